"""The Library page's feed watch: keep a feed current while the app runs.

The watcher itself is ``Briefbot.background_watch`` (one per app process, shared by every
session); this only adds feeds, stops them, and shows what each poll did.
"""

from __future__ import annotations

import streamlit as st

from briefbot.errors import BriefbotError
from briefbot.facade import Briefbot
from briefbot.ingest.watch import BackgroundWatch, interval_label, parse_interval
from briefbot.ui import text as fmt

INTERVALS = ("5m", "15m", "30m", "1h", "6h")
SHOWN_POLLS = 10


def feed_watch(bot: Briefbot) -> None:
    """A "Keep feeds current" box: a feed URL and an interval to watch, the feeds watched
    with a Stop button each, and the latest poll lines."""
    watch = bot.background_watch
    with st.expander(
        "Keep feeds current", icon=":material/rss_feed:", expanded=bool(watch.feeds())
    ):
        with st.form("watch_form", clear_on_submit=True, border=False):
            url = st.text_input(
                "RSS or Atom feed to watch while the app runs",
                key="watch_url",
                placeholder="https://example.org/feed.xml",
            )
            every = st.selectbox(
                "Poll every", INTERVALS, index=1, key="watch_every", format_func=_label
            )
            if st.form_submit_button("Watch", icon=":material/visibility:") and url.strip():
                try:
                    watch.watch(url, parse_interval(every))
                except BriefbotError as exc:
                    st.error(fmt.md_escape_inline(str(exc)))
        _status(watch)
        st.caption(
            "Each poll asks the feed what changed and stores only new or edited stories. "
            "Watching stops with the app; `briefbot watch` keeps feeds current without it."
        )


def _label(interval: str) -> str:
    return interval_label(parse_interval(interval))


@st.fragment(run_every="15s")
def _status(watch: BackgroundWatch) -> None:
    """The watched feeds and the latest polls, refreshed on its own every 15 s."""
    if watch.failure:
        st.error(fmt.md_escape_inline(watch.failure))
    for index, watched in enumerate(watch.feeds()):
        row = st.container(horizontal=True, vertical_alignment="center")
        when = (
            "polling now"
            if watched.last is None
            else f"next poll in {interval_label(watch.watcher.seconds_until(watched))}"
        )
        failing = f" · {watched.failures} failed in a row" if watched.failures else ""
        row.caption(
            f"{fmt.md_escape_inline(watched.feed)} · every {interval_label(watched.every_s)}"
            f" · {when}{failing}"
        )
        if row.button("Stop", key=f"watch_stop_{index}", icon=":material/stop_circle:"):
            watch.unwatch(watched.feed)
            st.rerun()
    recent = watch.recent()[:SHOWN_POLLS]
    if recent:
        st.code("\n".join(fmt.for_display(r.line()) for r in recent), language=None)
