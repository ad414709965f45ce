"""Library: ingest files, pages and feeds; list, read and delete articles."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from briefbot import Article, Briefbot, BriefbotError, IngestReport
from briefbot.ingest.fetch import host_entry
from briefbot.ui import text as fmt
from briefbot.ui.feed_watch import feed_watch

bot: Briefbot = st.session_state.briefbot
intranet: list[str] = st.session_state.setdefault("intranet_hosts", [])

st.header("Library")


def run_ingest(sources: list[str], *, web_only: bool = False) -> None:
    bar = st.progress(0.0, text="Reading…")

    def progress(done: int, total: int, label: str) -> None:
        share = done / total if total else 0.0
        bar.progress(min(share, 1.0), text=f"{done}/{total} · {fmt.for_display(label)[:80]}")

    try:
        if web_only:
            report = bot.ingest_urls(sources, progress=progress, intranet_hosts=intranet)
        else:
            report = bot.ingest(sources, progress=progress)
    except BriefbotError as exc:
        bar.empty()
        st.error(fmt.md_escape_inline(str(exc)))
        return
    bar.empty()
    st.session_state.ingest_report = report
    st.rerun()  # the sidebar's article count was drawn before this ingest


ingest_col, report_col = st.columns([3, 2], gap="large")
with ingest_col:
    st.subheader("Add articles")
    upload_tab, url_tab = st.tabs(["Upload files", "Web page or feed"])
    with upload_tab, st.form("upload_form", clear_on_submit=True, border=False):
        files = st.file_uploader(
            "Text, Markdown, HTML or JSON Lines files",
            type=["txt", "md", "html", "htm", "jsonl"],
            accept_multiple_files=True,
            key="upload_files",
        )
        if st.form_submit_button("Ingest files", type="primary") and files:
            with tempfile.TemporaryDirectory(prefix="briefbot-upload-") as folder:
                paths = []
                for index, upload in enumerate(files):
                    target = Path(folder) / f"{index:03d}-{Path(upload.name).name}"
                    target.write_bytes(upload.getvalue())
                    paths.append(str(target))
                run_ingest(paths)
    with url_tab, st.form("url_form", clear_on_submit=True, border=False):
        urls = st.text_area(
            "One URL per line: article pages or RSS/Atom feeds",
            key="ingest_urls",
            placeholder="https://example.org/news/story.html\nhttps://example.org/feed.xml",
        )
        wanted = [u.strip() for u in urls.splitlines() if u.strip()]
        if st.form_submit_button("Fetch and ingest", type="primary") and wanted:
            run_ingest(wanted, web_only=True)
    if bot.settings.app_intranet_hosts:
        with url_tab, st.expander("Intranet hosts", expanded=bool(intranet)):
            st.caption(
                "Addresses inside your network are refused unless you allow their host here, "
                "for this browser session only. Cloud metadata addresses stay refused."
            )
            with st.form("intranet_form", clear_on_submit=True, border=False):
                typed = st.text_input(
                    "Host or host:port", key="intranet_host", placeholder="news.intranet:8080"
                )
                if st.form_submit_button("Allow for this session") and typed.strip():
                    try:
                        entry = host_entry(typed)
                    except BriefbotError as exc:
                        st.error(fmt.md_escape_inline(str(exc)))
                    else:
                        if entry not in intranet:
                            intranet.append(entry)
            for index, entry in enumerate(intranet):
                row = st.container(horizontal=True, vertical_alignment="center")
                row.markdown(f"`{entry}`")
                if row.button("Remove", key=f"intranet_remove_{index}"):
                    intranet.remove(entry)
                    st.rerun()
    feed_watch(bot)

with report_col:
    report: IngestReport | None = st.session_state.get("ingest_report")
    if report is None:
        st.subheader("What goes in")
        st.caption(
            "Text and Markdown files (title on the first line or in front matter), HTML pages, "
            "JSON Lines (one article per line), article URLs and RSS/Atom feeds. The same text "
            "is stored once; wire copy run by several outlets is stored once with every outlet."
        )
    else:
        st.subheader("Last ingest")
        (st.success if report.ok else st.warning)(report.summary())
        for kind, article in bot.outcomes(report)[:50]:
            title = fmt.md_escape_inline(fmt.for_display(article.title) or "(untitled)")
            outlets = fmt.md_escape_inline(", ".join(article.outlets) or "unknown outlet")
            st.markdown(f"- {kind}: **{title}** — {outlets}")
        for skipped in report.skipped:
            where = fmt.for_display(skipped.location)
            st.markdown(f"- skipped `{where}`: {fmt.md_escape_inline(skipped.reason)}")
        private = any("ALLOW_PRIVATE_HOSTS" in s.reason for s in report.skipped)
        if private and bot.settings.app_intranet_hosts:
            st.caption(
                "An address inside your network: allow its host under “Intranet hosts” "
                "(Web page or feed tab) to fetch it in this session."
            )

st.divider()
flash = st.session_state.pop("library_flash", None)
if flash:
    st.success(flash)
articles: list[Article] = sorted(
    bot.articles(), key=lambda a: (a.published is not None, a.published), reverse=True
)
st.subheader(f"Articles ({len(articles)})")
needle = st.text_input(
    "Search titles and outlets", key="library_search", placeholder="e.g. Yonhap"
).casefold()
shown = [
    a
    for a in articles
    if not needle or needle in a.title.casefold() or needle in " ".join(a.outlets).casefold()
]
if not shown:
    st.info("No article matches." if articles else "The store is empty: add articles above.")
    st.stop()

st.dataframe(
    [
        {
            "Title": fmt.for_display(a.title),
            "Outlets": ", ".join(fmt.for_display(o) for o in a.outlets),
            "Published": fmt.date_label(a.published),
            "Chunks": a.chunk_count,
            "Id": a.id,
        }
        for a in shown
    ],
    hide_index=True,
    width="stretch",
    column_config={
        # pixels: together they fit the page beside the sidebar, so no column is cut off
        "Title": st.column_config.TextColumn("Title", width=320),
        "Outlets": st.column_config.TextColumn("Outlets", width=160),
        "Published": st.column_config.TextColumn("Published", width=90),
        "Chunks": st.column_config.NumberColumn("Chunks", width=65),
        "Id": st.column_config.TextColumn("Id", width=150),
    },
)

by_id = {a.id: a for a in shown}
chosen = st.selectbox(
    "Article",
    list(by_id),
    format_func=lambda article_id: fmt.article_label(by_id[article_id]),
    key="library_article",
)
with st.container(horizontal=True):
    if st.button("Open", key="library_open", icon=":material/article:"):
        st.session_state.library_opened = chosen
    if st.button("Delete", key="library_delete", icon=":material/delete:"):
        st.session_state.library_confirm = chosen

confirm = st.session_state.get("library_confirm")
if confirm in by_id:
    st.warning(
        f"Delete “{fmt.md_escape_inline(by_id[confirm].title)}” and its "
        f"{by_id[confirm].chunk_count} chunks from the store?"
    )
    row = st.container(horizontal=True)
    if row.button("Yes, delete", key="library_confirm_delete", type="primary"):
        try:
            removed = bot.delete(confirm)
        except BriefbotError as exc:
            st.error(fmt.md_escape_inline(str(exc)))
        else:
            st.session_state.library_confirm = None
            st.session_state.library_flash = (
                f"Deleted “{fmt.md_escape_inline(by_id[confirm].title)}” ({removed} chunks)."
            )
            st.rerun()
    if row.button("Cancel", key="library_cancel"):
        st.session_state.library_confirm = None
        st.rerun()

opened = st.session_state.get("library_opened")
if opened in by_id:
    try:
        article = bot.article(opened)
    except BriefbotError as exc:
        st.error(fmt.md_escape_inline(str(exc)))
    else:
        with st.container(border=True):
            st.markdown(f"#### {fmt.md_escape_inline(article.title)}")
            outlets = ", ".join(article.outlets) or "unknown outlet"
            byline = [outlets, fmt.date_label(article.published)]
            if article.authors:
                byline.append(", ".join(article.authors))
            st.caption(fmt.md_escape_inline(" · ".join(byline)))
            url = fmt.safe_url(article.url)
            if url:
                st.link_button("Open the original", url)
            st.markdown(fmt.md_escape(article.text))
