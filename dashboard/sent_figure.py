"""A figure kept as the plain dicts `st.plotly_chart` sends, for charts that are only drawn.

`st.plotly_chart` turns a plotly figure into the JSON it sends by `figure.to_dict()`. A
`go.Figure` built from plain dicts first makes an object of every trace and layout property and
copies the default template into its layout; `to_dict` then deep-copies all of it, template
included, to give back dicts. `SentFigure` skips both: it keeps the traces and layout as given
and returns them from `to_dict` in the form `go.Figure(data=traces, layout=layout).to_dict()`
has (`tests/test_chart_band.py` compares the JSON sent, byte for byte). Nothing else of a plotly
figure works on it (no `.data`, no `.layout`, no `add_*`): pages that change a figure after it
is made use `go.Figure`.
"""

import base64
import functools

import numpy as np
import plotly.graph_objects as go
from _plotly_utils.utils import plotlyjsShortTypes, to_typed_array_spec
from plotly.basedatatypes import BaseFigure

# The key plotly's figure adds to each trace after its own properties.
TYPE = "type"


class SentFigure(BaseFigure):
    """Traces and layout as plotly stores them: each trace holding only valid properties with a
    `type`, the layout's nested dicts in the form plotly stores them (no `xaxis_title`
    shorthands, no template, no arrays), arrays only as a trace's own values (`x`, `y`), not
    nested. A subclass of plotly's figure so that `st.plotly_chart` takes it as one (and asks
    it for `to_dict`), without building plotly's objects."""

    def __init__(self, traces: list[dict], layout: dict) -> None:
        # BaseFigure's own __init__ builds the objects this class exists to skip.
        self._traces = traces
        self._plain_layout = layout

    @property
    def traces(self) -> list[dict]:
        """The traces as given (their values as given, numpy arrays included)."""
        return self._traces

    def to_dict(self) -> dict:
        """What `to_dict` of the `go.Figure` made of these dicts returns: each trace's and the
        layout's properties in plotly's order (by name, a trace's `type` last, the layout's
        template last), numeric arrays as plotly's base64 typed arrays. Fresh dicts at the top
        and for each trace; nested values and the template are shared, not copied: the JSON
        encoder reads them and changes nothing."""
        data = [_in_plotly_order(trace) for trace in self._traces]
        layout = {key: self._plain_layout[key] for key in sorted(self._plain_layout)}
        layout["template"] = _default_template()
        return {"data": data, "layout": layout}

    def __repr__(self) -> str:
        return f"SentFigure({len(self._traces)} traces)"


def _in_plotly_order(trace: dict) -> dict:
    ordered = {key: _typed(trace[key]) for key in sorted(trace) if key != TYPE}
    ordered[TYPE] = trace[TYPE]
    return ordered


# Whole numbers are sent in the narrowest of these that holds them (plotly.js has no int64).
NARROWER_INTS = ("int8", "int16", "int32")


def _typed(value: object) -> object:
    """A trace's value as plotly's `to_dict` sends it: a numeric array as a base64 typed array
    (`_plotly_utils.utils.to_typed_array_spec`), anything else as it is. A 1-D numpy array of
    int64 or float64 is converted here by plotly's rule: plotly's own function first passes
    every array through narwhals, most of the cost of sending a figure."""
    if not isinstance(value, np.ndarray):
        return value
    if value.ndim != 1 or value.dtype.kind not in "if" or value.dtype.itemsize != 8:
        return to_typed_array_spec(value) if value.dtype.kind != "M" else value
    if value.size == 0:
        return value
    if value.dtype.kind == "i":
        low, high = value.min(), value.max()
        narrower = next(
            (
                kind
                for kind in NARROWER_INTS
                if np.iinfo(kind).min <= low <= high <= np.iinfo(kind).max
            ),
            None,
        )
        if narrower is None:
            return value
        value = value.astype(narrower)
    data = base64.b64encode(np.ascontiguousarray(value)).decode("ascii")
    return {"dtype": plotlyjsShortTypes[str(value.dtype)], "bdata": data}


@functools.cache
def _default_template() -> dict:
    # The template plotly puts in every new figure's layout (Streamlit sets its own as the
    # default when it loads): the same for every figure of the process, so read once.
    return go.Figure().to_dict()["layout"]["template"]
