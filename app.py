"""briefbot web app: layout only; every behaviour lives in ``briefbot.Briefbot``.

The store and engine come from ``Settings`` (environment and ``.env``). A caller that already
holds a ``Briefbot`` (a test, an embedding app) may put it in ``st.session_state["briefbot"]``
before the first run; pages take it from there.
"""

from __future__ import annotations

import streamlit as st

from briefbot import Briefbot, BriefbotError, Settings
from briefbot.settings import load_settings, redact_userinfo
from briefbot.ui import text as fmt
from briefbot.ui.shared import shared_bot

st.set_page_config(page_title="briefbot", page_icon="📰", layout="wide")


@st.cache_resource(show_spinner="Opening the store…")
def open_bot(store_location: str, embedder: str, _settings: Settings) -> Briefbot:
    """One ``Briefbot`` per store and embedder, shared by every session of the server: the one
    ``make run`` opened and warmed before serving (``python -m briefbot.ui.serve``), or, under a
    plain ``streamlit run``, one opened now whose model loads in the background."""
    return shared_bot(_settings)


if "briefbot" not in st.session_state:
    try:
        settings = load_settings()
        st.session_state.briefbot = open_bot(
            settings.store_location, settings.embedder, _settings=settings
        )
    except BriefbotError as exc:
        st.error(f"briefbot cannot start: {fmt.md_escape_inline(redact_userinfo(str(exc)))}")
        st.stop()

bot: Briefbot = st.session_state.briefbot

with st.sidebar:
    st.markdown("### :material/newspaper: briefbot")
    st.caption("Every sentence cites the span of the article that supports it.")
    st.markdown("**Engine**")
    st.caption(fmt.md_escape_inline(fmt.engine_label(bot.settings)))
    st.markdown("**Library**")
    count = bot.article_count()
    # No file path or server address: the reader needs the count, not where it is kept.
    where = "shared server" if bot.settings.chroma_url else "this computer"
    st.caption(f"{count} article{'s' if count != 1 else ''} · {where}")

page = st.navigation(
    [
        st.Page("app_pages/chat.py", title="Chat", icon=":material/forum:", default=True),
        st.Page("app_pages/brief.py", title="Brief", icon=":material/summarize:"),
        st.Page("app_pages/framing.py", title="Framing", icon=":material/compare:"),
        st.Page("app_pages/library.py", title="Library", icon=":material/library_books:"),
    ],
    position="top",
)
page.run()
