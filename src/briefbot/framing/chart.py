"""An Altair (Vega-Lite) chart of loaded-term density and tone per outlet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from briefbot.framing.report import OutletProfile


def chart_rows(outlets: Sequence[OutletProfile]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for profile in outlets:
        label = profile.outlet
        rows.append(
            {
                "outlet": label,
                "measure": "loaded terms per 1,000 words",
                "value": profile.tone.loaded_per_1000_words,
            }
        )
        rows.append(
            {
                "outlet": label,
                "measure": "tone (−1 negative, +1 positive)",
                "value": profile.tone.mean_compound,
            }
        )
        rows.append(
            {
                "outlet": label,
                "measure": "writer's own voice (share of sentences)",
                "value": profile.tone.evaluative_share,
            }
        )
    return rows


def framing_chart(outlets: Sequence[OutletProfile]) -> dict[str, Any]:
    """Vega-Lite spec: one small bar chart per measure, outlets side by side."""
    import altair as alt

    base = alt.Chart(alt.InlineData(values=chart_rows(outlets))).encode(
        x=alt.X("outlet:N", title=None),
        y=alt.Y("value:Q", title=None),
        tooltip=["outlet:N", "measure:N", "value:Q"],
    )
    bars = base.mark_bar(color="#7f8c8d")  # one neutral grey: no outlet gets a party's colour
    # the figure on each bar, so a zero is seen as a zero rather than a missing bar
    figures = base.mark_text(dy=-7, fontSize=11).encode(text=alt.Text("value:Q", format=".2f"))
    chart = (
        alt.layer(bars, figures)
        .properties(width=180, height=160)
        .facet(column=alt.Column("measure:N", title=None))
        .resolve_scale(y="independent")
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec
