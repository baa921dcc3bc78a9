"""Charts and tables as the pages show them: a plotly figure with its title above it, and rows for
st.dataframe with their headers and cells in the visitor's language."""
from __future__ import annotations

import streamlit as st

from musegen import text
from musegen.messages import Message
from ui.language import kind_name, lang, opt, tr

NAMED = {"run", "file", "name"}  # columns of names a person gave (a run, a file): shown as they are
MISSING = "—"  # a cell with no value (a run that kept no validation loss): not "None"


def table(rows: list[dict]) -> list[dict]:
    """Rows for st.dataframe in the current language: headers (opt.column.*, a study's "_sd",
    "_real" and "_gap" columns too) and the text in the cells (opt.cell.*, musegen's phrases,
    a dataset's title and a model's name)."""
    if lang() == text.DEFAULT:  # a skipped file's reason: its English
        return [{k: MISSING if v is None else str(v) if isinstance(v, Message) else v for k, v in row.items()}
                for row in rows]
    return [{column_name(k): cell_text(v, k) for k, v in row.items()} for row in rows]


def filled(rows: list[dict], blank: str = "—") -> list[dict]:
    """Rows with no empty cells: a column empty in every row is left out (a speed not measured
    yet), an empty cell reads as a dash rather than "None"."""
    keep = [k for k in (rows[0] if rows else {}) if any(row.get(k) is not None for row in rows)]
    return [{k: blank if row.get(k) is None else row[k] for k in keep} for row in rows]


def column_name(name: str) -> str:
    for suffix in ("sd", "real", "gap"):
        if name.endswith(f"_{suffix}"):
            return tr(f"table.{suffix}", name=column_name(name[: -len(suffix) - 1]))
    return opt("column", name)


def cell_text(value, column: str = ""):
    if value is None:
        return MISSING
    if isinstance(value, Message):  # a skipped file's reason
        return value.said(lang())
    if not isinstance(value, str) or column in NAMED:
        return value
    if column == "dataset":
        return opt("dataset", value)
    if column == "model":  # "WaveNet", without the words in brackets a table has no room for
        return kind_name(value).split("（")[0].split(" (")[0]
    return opt("cell", value)


# Plotly's toolbar sits in the top 28 px of a figure, at its right, over whatever is there:
# the figures keep that band free, and a subplot's title sits below it. Its buttons are the ones a
# person uses (zoom, pan, reset, save), without the data-selection tools the pages never read.
TOOLBAR_ROOM = 34
SUBPLOT_TITLE_ROOM = 24
CONFIG = {"displaylogo": False,
          "modeBarButtonsToRemove": ["select2d", "lasso2d", "zoomIn2d", "zoomOut2d", "autoScale2d"]}


def chart(fig, key: str, where=st) -> None:
    """A plotly figure, its title written above it (inside the figure, a phone draws the title under
    the chart's toolbar) and its top kept for the toolbar."""
    title = fig.layout.title.text
    if title:
        where.markdown(f"**{title}**")
    fig.update_layout(title=None, margin=dict(t=TOOLBAR_ROOM + (SUBPLOT_TITLE_ROOM if subplot_titles(fig) else 0)))
    where.plotly_chart(fig, key=key, width="stretch", config=CONFIG)


def subplot_titles(fig) -> bool:
    """Whether the figure has subplots' titles (make_subplots writes them above each plot)."""
    return any(a.yref == "paper" and a.yanchor == "bottom" for a in fig.layout.annotations)
