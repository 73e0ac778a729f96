"""The Overview's headline cards: one week's figures against the week before and the 12 before."""

from collections import namedtuple
from collections.abc import Mapping
from datetime import date

import pandas as pd
import streamlit as st

from dashboard import formats
from dashboard.targets_view import card_target
from queries.metric_definitions import column, conversion_final_from
from queries.overview import KPI_COLUMNS
from queries.targets import Target
from queries.vocabulary import CONVERSION_WINDOW

# Four cards a row: seven side by side cut their numbers short on a laptop screen.
PER_ROW = 4
# A card's row of `kpi_summary`, made once: `itertuples` makes a new class on every call.
Kpi = namedtuple("Kpi", KPI_COLUMNS)


def weekly_kpis(
    kpis: pd.DataFrame, *, week: date, still_rising: bool, targets: Mapping[str, Target | None]
) -> None:
    """Draw the cards of a `kpi_summary` table for the week starting `week`; `still_rising`: that
    week's consult conversion can still rise (dashboard/filters.py, `Selection.still_rising`);
    under each card its target from `targets` (`queries.targets.common_targets` of the
    selection's targets)."""
    final_from = conversion_final_from(week)
    st.subheader(f"Week of {week:%d %b %Y}")
    st.caption(
        "Arrows: change against the week before. Below each card: the 12 weeks before, as a "
        "weekly average for counts and taken together for rates."
    )
    cells = [cell for _ in range(0, len(kpis), PER_ROW) for cell in st.columns(PER_ROW)]
    rows = map(Kpi._make, zip(*(kpis[name].tolist() for name in KPI_COLUMNS), strict=True))
    for cell, kpi in zip(cells, rows, strict=False):  # the last row has spare cells
        change = formats.format_change(kpi.change_vs_previous, kpi.unit)
        direction = "normal" if kpi.higher_is_better else "inverse"
        help_text = formats.help_text(column(kpi.metric))
        rising = kpi.metric == "consult_conversion_pct" and still_rising
        if rising:
            help_text += f" Still rising: final from {final_from:%d %b %Y}."
        cell.metric(
            kpi.label,
            formats.format_value(kpi.value, kpi.unit),
            delta=change,
            delta_color="off" if formats.no_change(change) else direction,
            delta_arrow="off" if formats.no_change(change) else "auto",
            help=help_text,
            border=True,
        )
        twelve = formats.format_change(kpi.change_vs_twelve_week, kpi.unit) or "—"
        target = card_target(targets, kpi.metric, kpi.value)
        cell.caption(
            ("**Still rising.** " if rising else "")
            + f"12 weeks before: {formats.format_value(kpi.twelve_week, kpi.unit)} ({twelve})"
            + (f"  \n{target}" if target else "")
        )
    if still_rising:
        st.caption(
            f"Consult conversion counts a first infusion up to {CONVERSION_WINDOW.days} days "
            f"after the consult, so the week of {week:%d %b} is still rising as patients start "
            f"treatment; it is final from {final_from:%d %b %Y}. Compare it with the 12 weeks "
            "before with that in mind."
        )
