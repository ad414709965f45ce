"""``Briefbot``: the one object the CLI, the UI, tests and benchmarks use."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from briefbot.backends.embedders import Embedder, create_embedder, embedder_for_store, preload
from briefbot.backends.lexical import BM25Index, lexical_dir
from briefbot.backends.memo import MemoEmbedder
from briefbot.backends.store import ChromaStore
from briefbot.errors import EmbedderMismatchError
from briefbot.models import Article, Hit, IngestReport, SearchFilters, Skipped
from briefbot.retrieval import Retrieval, create_retriever, judge_relevance
from briefbot.settings import Settings, load_settings

# What only some commands need is imported where it is used, so that a command that only
# reads the store (``briefbot articles``) does not import ingest, framing or answers.
if TYPE_CHECKING:
    from briefbot.answers.ask import Answerer
    from briefbot.answers.types import Answer
    from briefbot.briefs.types import Brief, BriefMode
    from briefbot.framing.framer import FramingMode
    from briefbot.framing.report import FramingReport
    from briefbot.ingest.ingestor import Ingestor, Progress
    from briefbot.ingest.watch import BackgroundWatch, FeedWatcher


log = logging.getLogger(__name__)


def _is_web_address(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


class Briefbot:
    """News in, cited answers out. Safe to share between threads (writes are serialised)."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        store: ChromaStore,
        bm25: BM25Index | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self._lock = threading.RLock()
        self.bm25 = bm25 or BM25Index(store, lexical_dir(settings))
        self._memo = MemoEmbedder(embedder)
        # Through the memo, a question embedded for the search is not embedded again when
        # the answer scores its sentences against it.
        self.retriever = create_retriever(
            settings.retriever, store, self._memo, self.bm25, settings
        )
        self._ingestor: Ingestor | None = None
        self._background_watch: BackgroundWatch | None = None
        self._watch_lock = threading.Lock()  # not _lock: that one is held through ingests

    @classmethod
    def open(
        cls,
        store: str | Path | None = None,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
    ) -> Briefbot:
        """Open (creating if needed) a store: a directory, or an http(s) Chroma server URL."""
        settings = settings or load_settings()
        if store is not None:
            location = str(store)
            if location.startswith(("http://", "https://")):
                settings = settings.model_copy(update={"chroma_url": location})
            else:
                settings = settings.model_copy(
                    update={"store_path": Path(location).expanduser(), "chroma_url": None}
                )
        given = embedder is not None
        embedder = embedder or create_embedder(settings)
        try:
            chroma = ChromaStore(settings, embedder.name, embedder.dimension)
        except EmbedderMismatchError as exc:
            # The default 'minilm' follows the store: one built by torch stays on torch.
            follow = None if given else embedder_for_store(settings, exc.recorded)
            if follow is None:
                raise
            embedder = follow
            chroma = ChromaStore(settings, embedder.name, embedder.dimension)
        return cls(settings, embedder, chroma)

    def with_settings(self, **updates: Any) -> Briefbot:
        """The same store, model and lexical index under other settings (retrieval, answers):
        for evaluations that compare settings without opening the store again."""
        return Briefbot(
            self.settings.model_copy(update=updates), self.embedder, self.store, bm25=self.bm25
        )

    def warm_up(self) -> threading.Thread:
        """Load the embedding model in a background thread (returned: join it to wait), then
        what the first answer, brief and comparison would load: their modules (the LLM SDK's
        among them), the sentence splitter, the framing lexicon, gazetteer and chart library.

        They otherwise load on first use, so commands that only read the store never pay for
        them; the app calls this once per server so its first question does not wait.
        A question asked during the load waits for it rather than loading a second copy; a
        failed load is logged here and raised again by the first use that needs it.
        """

        def load() -> None:
            try:
                preload(self.embedder)
            except Exception:  # the first real use raises it again, where it is reported
                log.warning("loading the embedding model failed", exc_info=True)
            try:
                self._prepare_readers()
            except Exception:  # likewise (e.g. a framing lexicon directory that is gone)
                log.warning("preparing answers, briefs and framing failed", exc_info=True)

        thread = threading.Thread(target=load, name="briefbot-warm-up", daemon=True)
        thread.start()
        return thread

    @property
    def ingestor(self) -> Ingestor:
        """The one ``Ingestor`` of this store, built on first use."""
        if self._ingestor is None:
            from briefbot.ingest.ingestor import Ingestor

            with self._lock:
                if self._ingestor is None:
                    self._ingestor = Ingestor(
                        self.store, self.embedder, self.settings, on_change=self._store_changed
                    )
        return self._ingestor

    @property
    def memo_embedder(self) -> MemoEmbedder:
        """``embedder`` remembering the texts it embedded, for briefs and framing, which embed
        the same stored sentences again and again (see ``backends/memo.py``)."""
        if self._memo.embedder is not self.embedder:  # the embedder was swapped
            self._memo = MemoEmbedder(self.embedder)
        return self._memo

    def _prepare_readers(self) -> None:
        from briefbot.answers.ask import Answerer  # noqa: F401
        from briefbot.briefs.briefer import Briefer  # noqa: F401
        from briefbot.framing.framer import prepare
        from briefbot.text.sentences import split_sentences

        split_sentences("Warm up. The sentence splitter loads its model on first use.")
        prepare(self.settings)

    def _store_changed(self) -> None:
        """Hook for derived indexes that must follow the store."""
        self.bm25.refresh()

    # --- library -----------------------------------------------------------------------

    def ingest(
        self, sources: Iterable[str | Path], progress: Progress | None = None
    ) -> IngestReport:
        with self._lock:
            return self.ingestor.ingest([str(s) for s in sources], progress)

    def ingest_urls(
        self,
        urls: Iterable[str],
        progress: Progress | None = None,
        intranet_hosts: Sequence[str] = (),
    ) -> IngestReport:
        """Web pages and feeds only (the app's URL box): anything that is not an http(s) URL
        is skipped, never read as a file or folder of the machine briefbot runs on.

        ``intranet_hosts`` may be fetched from private addresses for this call only (hosts a
        reporter allowed for their session; see ``Settings.app_intranet_hosts``)."""
        wanted = [u.strip() for u in urls if u.strip()]
        web = [u for u in wanted if _is_web_address(u)]
        report = IngestReport()
        if web:
            with self._lock:
                report = self.ingestor.ingest(web, progress, intranet_hosts)
        for entry in wanted:
            if entry not in web:
                report.skipped.append(
                    Skipped(
                        location=entry,
                        reason="not a web address: only http:// or https:// links can be "
                        "fetched here (upload files in the other tab)",
                    )
                )
        return report

    def ingest_articles(self, articles: list[Article]) -> IngestReport:
        with self._lock:
            return self.ingestor.ingest_articles(articles)

    def feed_watcher(self) -> FeedWatcher:
        """A watcher that keeps feeds current in this store (``briefbot watch``): conditional
        GETs, only new or changed entries ingested, back-off on errors (see ``ingest/watch.py``).
        Its per-feed state lives in ``feeds.json`` in the store directory (for a Chroma server,
        in the user state directory)."""
        from briefbot.ingest.feed_state import FeedStateFile, state_path
        from briefbot.ingest.watch import FeedWatcher

        return FeedWatcher(
            self.ingestor.fetcher,
            self.ingest_articles,
            FeedStateFile(state_path(self.settings)),
            self.settings,
        )

    @property
    def background_watch(self) -> BackgroundWatch:
        """The one watcher of this ``Briefbot`` that runs in a background thread while the
        process lives (the app's Library page): created on first use."""
        from briefbot.ingest.watch import BackgroundWatch

        with self._watch_lock:
            if self._background_watch is None:
                self._background_watch = BackgroundWatch(self.feed_watcher())
            return self._background_watch

    def article_count(self) -> int:
        """How many articles the store holds."""
        return self.store.count_articles()

    def articles(self) -> list[Article]:
        """All articles, newest first (undated last), without their text."""
        found = self.store.list_articles(with_text=False)
        dated = sorted((a for a in found if a.published), key=lambda a: a.published, reverse=True)  # type: ignore[arg-type,return-value]
        return dated + sorted((a for a in found if not a.published), key=lambda a: a.title)

    def article(self, article_id: str) -> Article:
        return self.store.article(article_id)

    def outcomes(self, report: IngestReport) -> list[tuple[str, Article]]:
        """Each article an ingest touched with what happened to it ("added", "replaced",
        "merged as wire copy", "unchanged"), for the report a reporter reads."""
        kinds = (
            ("added", report.added),
            ("replaced", report.replaced),
            ("merged as wire copy", report.duplicates),
            ("unchanged", report.unchanged),
        )
        found = {a.id: a for a in self.store.list_articles(with_text=False)}
        return [
            (kind, found[article_id])
            for kind, ids in kinds
            for article_id in dict.fromkeys(ids)
            if article_id in found
        ]

    def delete(self, article_id: str) -> int:
        """Remove an article and all its chunks; returns the number of chunks removed."""
        with self._lock:
            self.article(article_id)
            removed = self.store.delete_article(article_id)
            self._store_changed()
            return removed

    def search(self, query: str, k: int = 5, filters: SearchFilters | None = None) -> list[Hit]:
        return self.retriever.search(query, k, filters)

    def retrieve(
        self, question: str, k: int | None = None, filters: SearchFilters | None = None
    ) -> Retrieval:
        """Hits for a question and whether they clear ``Settings.relevance_floor``."""
        hits = self.retriever.search(question, k or self.settings.top_k, filters)
        return judge_relevance(question, hits, self.settings.relevance_floor)

    # --- answers -----------------------------------------------------------------------

    @cached_property
    def answerer(self) -> Answerer:
        """The ``ask`` flow (built once: it holds the LLM client when one is configured)."""
        from briefbot.answers.ask import Answerer

        return Answerer(self.retrieve, self.memo_embedder, self.settings, articles=self.store)

    def ask(
        self,
        question: str,
        history: Sequence[Answer] | None = None,
        filters: SearchFilters | None = None,
        on_text: Callable[[str], None] | None = None,
    ) -> Answer:
        """A cited, verified answer (or a refusal); ``history`` holds earlier turns."""
        return self.answerer.ask(question, history, filters, on_text)

    # --- briefs ------------------------------------------------------------------------

    def brief(
        self,
        article_ids: Sequence[str] | None = None,
        query: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        outlets: Sequence[str] | None = None,
        max_words: int | None = None,
        mode: BriefMode = "auto",
    ) -> Brief:
        """One cited paragraph over articles, a story or a topic (see ``briefs.py``)."""
        from briefbot.briefs.briefer import Briefer

        return Briefer(self.store, self.memo_embedder, self.settings, self.search).brief(
            article_ids, query, since, until, outlets, max_words, mode
        )

    # --- framing -----------------------------------------------------------------------

    def compare(
        self,
        article_ids: Sequence[str] | None = None,
        query: str | None = None,
        mode: FramingMode = "offline",
    ) -> FramingReport:
        """Neutral and critical readings of articles (by id or near a query), compared
        across outlets when there are two or more (see ``framing/framer.py``); ``mode="llm"``
        adds the model's verified readings beside the offline analysis."""
        from briefbot.framing.framer import Framer

        framer = Framer(self.store, self.memo_embedder, self.settings, self.retrieve, self.brief)
        return framer.report(article_ids, query, mode)
