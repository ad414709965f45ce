"""briefbot web app: layout only; every behaviour lives in ``briefbot.Briefbot``."""

from __future__ import annotations

import streamlit as st

from briefbot import Briefbot, BriefbotError


@st.cache_resource(show_spinner="Loading the store and the embedder…")
def get_bot() -> Briefbot:
    return Briefbot.open()


st.set_page_config(page_title="briefbot", page_icon="📰", layout="wide")
st.title("briefbot")
st.caption("Search your news; every hit shows its source and the quoted text.")

try:
    bot = get_bot()
except BriefbotError as exc:
    st.error(str(exc))
    st.stop()

query = st.text_input("Search the store", placeholder="e.g. North Korean engineers in Russia")
if query:
    hits = bot.search(query, k=5)
    if not hits:
        st.info("No matching passages.")
    for hit in hits:
        date = hit.published.date().isoformat() if hit.published else "undated"
        with st.container(border=True):
            st.markdown(f"**{hit.title}**", help=None)
            st.text(f"{hit.source} · {date} · score {hit.score:.2f}")
            st.text(hit.quote)
