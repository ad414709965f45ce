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
                "measure": "mean sentiment (VADER compound)",
                "value": profile.tone.mean_compound,
            }
        )
        rows.append(
            {
                "outlet": label,
                "measure": "share of evaluative sentences",
                "value": profile.tone.evaluative_share,
            }
        )
    return rows


def framing_chart(outlets: Sequence[OutletProfile]) -> dict[str, Any]:
    """Vega-Lite spec: one small bar chart per measure, outlets side by side."""
    import altair as alt

    chart = (
        alt.Chart(alt.InlineData(values=chart_rows(outlets)))
        .mark_bar()
        .encode(
            x=alt.X("outlet:N", title=None),
            y=alt.Y("value:Q", title=None),
            color=alt.Color("outlet:N", legend=None),
            tooltip=["outlet:N", "measure:N", "value:Q"],
        )
        .properties(width=180, height=160)
        .facet(column=alt.Column("measure:N", title=None))
        .resolve_scale(y="independent")
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec
