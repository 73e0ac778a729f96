"""The Overview's "Needs attention" panel: who is outside a target, since when, with a link."""

from collections.abc import Mapping
from datetime import date
from functools import partial

import pandas as pd
import streamlit as st

from dashboard import targets_view
from dashboard.filters import Selection, location_link

# Up to this many rows are a Markdown table with a link each. More (a network's worth) go into a
# scrollable table of their own: a long Markdown table pushes the cards and trends far down the
# page, and the browser parses it again on every run of the page.
MARKDOWN_ROWS = 12
ROWS_SHOWN_HIGH = 36 * 11  # pixels: a header and about ten rows, the rest by scrolling


def needs_attention(
    status: pd.DataFrame, *, week: date, selection: Selection, names: Mapping[str, str]
) -> None:
    """Draw the panel of an `attention_status` table for the week starting `week`: the rows
    needing attention (each linking to its location's view), the rules, and the weeks not judged
    with their reasons."""
    st.subheader("Needs attention")
    link = partial(location_link, selection, list(names))
    rows = targets_view.attention_rows(status, names, link)
    if not rows:
        st.success(
            f"Nothing needs attention in the week of {week:%d %b %Y}: every location is within "
            "its targets, or has not been outside one for long enough.",
            icon=":material/check_circle:",
        )
    elif len(rows) <= MARKDOWN_ROWS:
        st.markdown(targets_view.attention_table(rows))
    else:
        places = status.loc[status["attention"].astype(bool), "location_id"].nunique()
        st.caption(
            f"{len(rows)} figures outside their targets at {places} "
            "locations. Sort by any column; Open shows that location's view in a new tab."
        )
        st.dataframe(
            targets_view.attention_frame(rows),
            hide_index=True,
            height=ROWS_SHOWN_HIGH,
            column_config={
                "Outside since": st.column_config.DateColumn(format="DD MMM YYYY"),
                "Open": st.column_config.LinkColumn(display_text="Open"),
            },
        )
    st.caption(targets_view.RULES)
    if unjudged := targets_view.unjudged(status, names):
        with st.expander(f"Not judged in the week of {week:%d %b} ({len(unjudged)})"):
            st.markdown("\n".join(f"- {line}" for line in unjudged))
