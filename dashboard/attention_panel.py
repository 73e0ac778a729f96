"""The Overview's "Needs attention" panel: who is outside a target, since when, with a link."""

from collections.abc import Mapping
from datetime import date
from functools import partial

import pandas as pd
import streamlit as st

from dashboard import targets_view
from dashboard.filters import Selection, location_link


def needs_attention(
    status: pd.DataFrame, *, week: date, selection: Selection, names: Mapping[str, str]
) -> None:
    """Draw the panel of an `attention_status` table for the week starting `week`: the rows
    needing attention (each linking to its location's view), the rules, and the weeks not judged
    with their reasons."""
    st.subheader("Needs attention")
    found = status[status["attention"].astype(bool)]
    if found.empty:
        st.success(
            f"Nothing needs attention in the week of {week:%d %b %Y}: every location is within "
            "its targets, or has not been outside one for long enough.",
            icon=":material/check_circle:",
        )
    else:
        link = partial(location_link, selection, list(names))
        st.markdown(targets_view.attention_table(found, names, link))
    st.caption(targets_view.RULES)
    if unjudged := targets_view.unjudged(status, names):
        with st.expander(f"Not judged in the week of {week:%d %b} ({len(unjudged)})"):
            st.markdown("\n".join(f"- {line}" for line in unjudged))
