"""Chat: questions in, cited answers out; every [n] opens the quoted span."""

from __future__ import annotations

from typing import Any

import streamlit as st

from briefbot import Answer, Briefbot, BriefbotError
from briefbot.ui import components
from briefbot.ui import text as fmt

bot: Briefbot = st.session_state.briefbot
turns: list[dict[str, Any]] = st.session_state.setdefault("chat_turns", [])

st.header("Ask the news")
st.caption(
    "Answers quote your articles. Open a [n] below an answer to read the span in its "
    "paragraph; sentences no source supports are marked."
)

articles = bot.articles()
with st.sidebar:
    st.markdown("**Filters**")
    outlets = st.multiselect(
        "Outlets", fmt.outlet_choices(articles), key="chat_outlets", placeholder="All outlets"
    )
    bounds = fmt.date_bounds(articles)
    days = st.date_input(
        "Published between",
        value=(),
        min_value=bounds[0] if bounds else None,
        max_value=bounds[1] if bounds else None,
        key="chat_days",
        format="YYYY-MM-DD",
    )
    if turns and st.button("Clear conversation", key="chat_clear"):
        turns.clear()
        st.rerun()

since, until = fmt.day_range(days)
filters = fmt.search_filters(outlets=outlets, since=since, until=until)

if not articles:
    st.info("The store is empty: add articles on the Library page, then ask about them.")

for number, turn in enumerate(turns):
    with st.chat_message("user"):
        st.markdown(fmt.md_escape_inline(turn["question"]))
    with st.chat_message("assistant"):
        answer = turn["answer"]
        components.cited_text(bot, answer, key=f"answer-{number + 1}")

notice_slot = st.sidebar.empty()


def sidebar_notices(answer: Answer) -> None:
    """The latest answer's notices (e.g. the LLM failed, extractive answered) in the sidebar."""
    with notice_slot.container():
        for notice in answer.notices:
            st.warning(fmt.md_escape_inline(notice), icon=":material/warning:")


if turns:
    sidebar_notices(turns[-1]["answer"])

question = st.chat_input("Ask about your articles, e.g. How many engineers is North Korea sending?")
if question:
    with st.chat_message("user"):
        st.markdown(fmt.md_escape_inline(question))
    with st.chat_message("assistant"):
        live = st.empty()
        streamed: list[str] = []

        def on_text(piece: str) -> None:
            streamed.append(piece)
            live.markdown(fmt.draft_markdown("".join(streamed)))

        try:
            with st.spinner("Searching the store…"):
                answer = bot.ask(
                    question,
                    history=[t["answer"] for t in turns],
                    filters=None if filters.is_empty() else filters,
                    on_text=on_text,
                )
        except BriefbotError as exc:
            live.empty()
            st.error(fmt.md_escape_inline(str(exc)))
        else:
            live.empty()
            turns.append({"question": question, "answer": answer, "filters": filters})
            components.cited_text(bot, answer, key=f"answer-{len(turns)}")
            sidebar_notices(answer)
