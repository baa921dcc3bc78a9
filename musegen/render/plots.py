"""Plotly figures: piano roll, learning curves, pitch/duration histograms, token frequencies.

Plain functions returning ``plotly.graph_objects.Figure``; the app shows them with
``st.plotly_chart``, a notebook with ``fig.show()``.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable, Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .midi import note_name
from .words import duration_label, duration_words, part_name, say, token_name
from ..music.piece import DURATION, PART, PITCH, START, VELOCITY, Piece
from ..text import CATALOGUE, DEFAULT

_KNOWN = CATALOGUE[DEFAULT]

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
_NAMES = np.array([note_name(p) for p in range(128)])


def _c_ticks(lo: int, hi: int) -> dict:
    """y/x-axis ticks on every C between ``lo`` and ``hi`` (MIDI pitches), labelled C2, C3…"""
    lo, hi = max(0, int(lo)), min(127, int(hi))
    vals = [p for p in range(lo - lo % 12, hi + 12, 12) if 0 <= p <= 127] or [60]
    return dict(tickmode="array", tickvals=vals, ticktext=[note_name(p) for p in vals])


def part_label(piece: Piece, index: int, lang: str | None = None) -> str:
    """A part's name in lang ("Alto", "Part 2"), numbered where two parts share it ("Violin 1")."""
    part = piece.parts[index] if index < len(piece.parts) else None
    if part is None or not part.name:
        return say("plot.part", lang, n=index + 1)
    shared = sum(p.name == part.name for p in piece.parts) > 1
    return f"{part_name(part.name, lang)} {index + 1}" if shared else part_name(part.name, lang)


def legend_label(piece: Piece, index: int, lang: str | None = None) -> str:
    """A part's name in a roll's legend; in an accompaniment (generate/accompany.py) it says whether
    the part was given or is new: "Soprano (given)", "Alto (new)"."""
    given = getattr(piece, "given_parts", None)
    if not given:
        return part_label(piece, index, lang)
    return say("plot.given_part" if index in given else "plot.new_part", lang, part=part_label(piece, index, lang))


def faded(colour: str, alpha: float = 0.35) -> str:
    """'#1f77b4' → 'rgba(31,119,180,0.35)': a given part's fill, under its outline."""
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def piano_roll(piece: Piece, title: str | None = None, unit: str = "seconds", lang: str | None = None) -> go.Figure:
    """One horizontal bar per note, one colour (and legend entry) per part, with faint bar lines.

    ``unit`` is "seconds" (using the piece's tempo) or "beats" (quarter notes); ``lang`` the
    language of its labels (None: English).
    """
    if unit not in ("seconds", "beats"):
        raise ValueError("unit must be 'seconds' or 'beats'")
    notes = piece.notes
    scale = 60.0 / piece.tempo if unit == "seconds" else 1.0
    parts = sorted({int(p) for p in notes[:, PART]}) or [0]
    given = getattr(piece, "given_parts", None) or ()
    fig = go.Figure()
    for i, index in enumerate(parts):
        rows = notes[notes[:, PART] == index]
        pitch = np.clip(np.rint(rows[:, PITCH]), 0, 127).astype(int)
        colour = PALETTE[i % len(PALETTE)]
        # A given part drawn lighter and outlined: the model's new parts stand out against it.
        marker = (dict(color=faded(colour), line=dict(color=colour, width=1.5)) if index in given
                  else dict(color=colour, line_width=0))
        fig.add_trace(go.Bar(
            orientation="h",
            base=rows[:, START] * scale,
            x=rows[:, DURATION] * scale,
            y=pitch,
            width=0.8,
            marker=marker,
            text=_NAMES[pitch],
            textposition="none",
            customdata=np.column_stack([rows[:, START], rows[:, DURATION], rows[:, VELOCITY]]),
            hovertemplate=_note_hover(legend_label(piece, index, lang), lang),
            name=legend_label(piece, index, lang),
        ))
    pitch = np.clip(np.rint(notes[:, PITCH]), 0, 127).astype(int)
    lo, hi = (int(pitch.min()) - 2, int(pitch.max()) + 2) if len(pitch) else (48, 72)
    bar_lines = [dict(type="line", xref="x", yref="paper", x0=float(at) * scale, x1=float(at) * scale, y0=0, y1=1,
                      line=dict(width=1, color="rgba(0,0,0,0.12)"), layer="below")
                 for at in (piece.bar_starts()[1:] if len(notes) else [])]  # the metre, seen
    fig.update_layout(
        shapes=bar_lines,
        title=title if title is not None else say("plot.roll_title", lang, name=piece.name, n=len(notes)),
        xaxis=dict(title=say("plot.time_s" if unit == "seconds" else "plot.time_q", lang), rangemode="tozero"),
        yaxis=dict(title=say("plot.pitch", lang), range=[lo - 0.5, hi + 0.5], **_c_ticks(lo, hi)),
        bargap=0, barmode="overlay", showlegend=len(parts) > 1, template="plotly_white",
        # The parts' legend under the roll: above it, it runs into the title on a phone.
        legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="left", x=0),
        margin=dict(l=50, r=20, t=50, b=40),
    )
    takeover = getattr(piece, "takeover", None)
    if takeover and len(notes):  # a continuation: the user's passage tinted, a line where the model begins
        fig.add_vrect(x0=0, x1=takeover * scale, fillcolor="rgba(0,0,0,0.04)", line_width=0, layer="below")
        fig.add_vline(x=takeover * scale, line=dict(width=1, dash="dash", color="rgba(0,0,0,0.55)"),
                      annotation_text=say("plot.takeover", lang), annotation_position="top right",
                      annotation_font=dict(size=11, color="#555"))
    rewritten = getattr(piece, "rewritten", None)
    if rewritten and len(notes):  # bars written again (generate/span.py): tinted and named
        fig.add_vrect(x0=rewritten[0] * scale, x1=rewritten[1] * scale, fillcolor="rgba(91,75,219,0.08)",
                      line=dict(width=1, dash="dash", color="rgba(91,75,219,0.7)"), layer="below",
                      annotation_text=say("plot.new_bars", lang), annotation_position="top left",
                      annotation_font=dict(size=11, color="#5b4bdb"))
    if not len(notes):
        fig.add_annotation(text=say("plot.no_notes", lang), showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    return fig


def _note_hover(part: str, lang: str | None) -> str:
    beats = say("plot.beats", lang)
    return (f"<b>%{{text}}</b> · {part}<br>{say('plot.start', lang)} %{{customdata[0]:.4g}} {beats}"
            f"<br>{say('plot.duration', lang)} %{{customdata[1]:.4g}} {beats}"
            f"<br>{say('plot.velocity', lang)} %{{customdata[2]:.0f}}<extra></extra>")


_ACCURACY = ("accuracy", "val_accuracy", "acc", "val_acc")


def _metric(name: str, lang: str | None) -> str:
    """A history key (loss, val_accuracy, …) as a legend names it in lang."""
    key = f"plot.metric.{name}"
    return say(key, lang) if key in _KNOWN else name


def learning_curves(
    histories: Mapping[str, Mapping[str, list[float]]],
    metrics: Iterable[str] = ("loss", "val_loss"),
    lang: str | None = None,
) -> go.Figure:
    """Overlay several runs' Keras histories (x = epoch). Loss metrics on top; a second panel for
    accuracy when any run has it. Training lines solid, validation dashed; one colour per run."""
    metrics = tuple(metrics)
    acc = tuple(m for m in _ACCURACY if any(m in h for h in histories.values()) and m not in metrics)
    rows = 2 if acc else 1
    loss, accuracy, epoch = say("plot.loss", lang), say("plot.accuracy", lang), say("plot.epoch", lang)
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=(loss, accuracy)[:rows] if rows == 2 else None)
    for i, (run, hist) in enumerate(histories.items()):
        colour = PALETTE[i % len(PALETTE)]
        _legend_key(fig, run, colour, "solid", group=run)
        for row, names in ((1, metrics), (2, acc)):
            for m in names:
                values = hist.get(m)
                if not values:
                    continue
                shown = _metric(m, lang)
                fig.add_trace(go.Scatter(
                    x=list(range(1, len(values) + 1)), y=[float(v) for v in values],
                    mode="lines+markers" if len(values) < 30 else "lines",
                    name=f"{run} · {shown}", legendgroup=run, showlegend=False,
                    line=dict(color=colour, dash="dash" if m.startswith("val_") else "solid"),
                    hovertemplate=f"{run}<br>{shown} %{{y:.4g}}<br>{epoch} %{{x}}<extra></extra>",
                ), row=row, col=1)
    if histories:  # which line is which: said once, not once per run and metric
        _legend_key(fig, say("plot.key_training", lang), "#888", "solid")
        _legend_key(fig, say("plot.key_validation", lang), "#888", "dash")
    fig.update_xaxes(title_text=epoch, row=rows, col=1)
    fig.update_yaxes(title_text=loss, row=1, col=1)
    if rows == 2:
        fig.update_yaxes(title_text=accuracy, row=2, col=1)
    # The legend under the curves, one entry per run and one per line style: beside them, eight
    # entries squeezed the curves to a sliver on a phone.
    fig.update_layout(template="plotly_white", hovermode="x unified", title=say("plot.curves_title", lang),
                      height=300 * rows + 100, margin=dict(l=50, r=20, t=60, b=40),
                      legend=dict(orientation="h", yanchor="top", y=-0.08 * (3 - rows), xanchor="left", x=0))
    return fig


def _legend_key(fig: go.Figure, name: str, colour: str, dash: str, group: str | None = None) -> None:
    """A legend entry with no data: a run's colour (clicking it hides the run), or a line style."""
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=name, legendgroup=group or name,
                             line=dict(color=colour, dash=dash), hoverinfo="skip"), row=1, col=1)


def _groups(pieces, lang: str | None = None) -> dict[str, list[Piece]]:
    """A Piece, a list of pieces, or {label: pieces} → {label: [pieces]}."""
    if isinstance(pieces, Piece):
        return {pieces.name: [pieces]}
    if isinstance(pieces, Mapping):
        return {k: [v] if isinstance(v, Piece) else list(v) for k, v in pieces.items()}
    return {say("plot.pieces", lang): list(pieces)}


def _column(pieces: list[Piece], col: int) -> np.ndarray:
    arrays = [p.notes[:, col] for p in pieces]
    return np.concatenate(arrays) if arrays else np.zeros(0)


def pitch_histogram(pieces, normalize: bool | None = None, lang: str | None = None) -> go.Figure:
    """Notes per MIDI pitch. ``pieces``: a Piece, pieces, or {label: pieces} for one bar series
    per label (then shown as shares, so groups of different sizes compare)."""
    groups = _groups(pieces, lang)
    normalize = len(groups) > 1 if normalize is None else normalize
    fig = go.Figure()
    lo, hi = 127, 0
    for i, (label, ps) in enumerate(groups.items()):
        pitch = np.clip(np.rint(_column(ps, PITCH)), 0, 127).astype(int)
        counts = np.bincount(pitch, minlength=128)
        used = np.flatnonzero(counts)
        if len(used):
            lo, hi = min(lo, int(used[0])), max(hi, int(used[-1]))
        y = counts[used] / max(1, counts.sum()) if normalize else counts[used]
        fig.add_trace(go.Bar(x=used, y=y, name=label, marker_color=PALETTE[i % len(PALETTE)],
                             customdata=_NAMES[used],
                             hovertemplate="%{customdata}: %{y:.3g}<extra>" + label + "</extra>"))
    if lo > hi:
        lo, hi = 48, 72
    fig.update_layout(title=say("plot.pitches", lang), barmode="group", template="plotly_white",
                      xaxis=dict(title=say("plot.pitch", lang), **_c_ticks(lo, hi)),
                      yaxis_title=say("plot.share" if normalize else "plot.notes", lang),
                      showlegend=len(groups) > 1)
    return fig


RARE_DURATION = 0.002  # durations this rare (share of the notes) share one "other" bar in plain words


def duration_histogram(pieces, normalize: bool | None = None, lang: str | None = None) -> go.Figure:
    """Notes per duration (quarter notes, rounded to 1/48). lang None: labelled as musical values
    ("1/8", "dotted 1/4", "1.25 q"); a language: in its plain words, the rare lengths as one bar."""
    groups = _groups(pieces, lang)
    normalize = len(groups) > 1 if normalize is None else normalize
    per_group = {}
    for label, ps in groups.items():
        d = np.rint(_column(ps, DURATION) * 48).astype(int)
        per_group[label] = Counter(d[d > 0].tolist())
    if lang is not None:
        per_group = _lump_rare(per_group)
    keys = sorted(set().union(*per_group.values()), key=lambda k: (k < 0, k)) if per_group else []
    labels = [say("plot.dur.other", lang) if k < 0 else duration_words(k / 48, lang) if lang is not None
              else duration_label(k / 48) for k in keys]
    hover = "%{x} (%{customdata:.3g} " + (say("plot.beats", lang) if lang is not None else "quarters") + "): %{y:.3g}"
    fig = go.Figure()
    for i, (label, counts) in enumerate(per_group.items()):
        total = max(1, sum(counts.values()))
        y = [counts.get(k, 0) / total if normalize else counts.get(k, 0) for k in keys]
        fig.add_trace(go.Bar(x=labels, y=y, name=label, marker_color=PALETTE[i % len(PALETTE)],
                             customdata=[k / 48 if k > 0 else None for k in keys],
                             hovertemplate=hover + "<extra>" + label + "</extra>"))
    fig.update_layout(title=say("plot.durations", lang), barmode="group", template="plotly_white",
                      xaxis=dict(title=say("plot.duration", lang), type="category", categoryorder="array",
                                 categoryarray=labels),
                      yaxis_title=say("plot.share" if normalize else "plot.notes", lang),
                      showlegend=len(groups) > 1)
    return fig


def _lump_rare(per_group: dict[str, Counter]) -> dict[str, Counter]:
    """Durations under RARE_DURATION of all the notes counted together, as one key (-1): a dozen
    lengths that a handful of notes have would crowd the axis and say nothing."""
    together = Counter()
    for counts in per_group.values():
        together.update(counts)
    total = max(1, sum(together.values()))
    rare = {k for k, n in together.items() if n / total < RARE_DURATION}
    if len(rare) < 2:
        return per_group
    out = {}
    for label, counts in per_group.items():
        kept = Counter({k: n for k, n in counts.items() if k not in rare})
        other = sum(n for k, n in counts.items() if k in rare)
        if other:
            kept[-1] = other
        out[label] = kept
    return out


def _log_ticks(top: float) -> dict:
    """Tick labels at 1, 10, 100, … only (plotly labels 2 and 5 of each decade too, which read as
    stray numbers on a phone)."""
    values = [10 ** i for i in range(int(np.log10(max(top, 1))) + 1)]
    return dict(tickmode="array", tickvals=values, ticktext=[f"{v:,}" for v in values])


def token_counts(counts: Mapping[str, int], cutoff: int, lang: str | None = None) -> go.Figure:
    """Token frequencies, most common first, on a log scale; a line at ``cutoff`` and the tokens
    seen fewer than ``cutoff`` times (the ones a vocabulary with that cutoff drops) in grey."""
    items = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    names = [token_name(str(k), lang) for k, _ in items]
    values = [int(v) for _, v in items]
    kept = [v >= cutoff for v in values]
    dropped = len(values) - sum(kept)
    said_kept, said_dropped = say("plot.kept", lang), say("plot.dropped", lang)
    fig = go.Figure(go.Bar(
        x=list(range(1, len(values) + 1)), y=values,
        marker_color=[PALETTE[0] if k else "#bbbbbb" for k in kept],
        customdata=[[n, said_kept if k else said_dropped] for n, k in zip(names, kept)],
        hovertemplate="%{customdata[0]}: %{y} (%{customdata[1]})<extra></extra>",
    ))
    fig.add_hline(y=max(cutoff, 1), line_dash="dash", line_color="#d62728",  # plotly places it in data units
                  annotation_text=say("plot.cutoff_line", lang, cutoff=cutoff, dropped=dropped, total=len(values)),
                  annotation_position="top right")
    top = max([cutoff, 1, *values]) * 2
    fig.update_layout(title=say("plot.tokens_title", lang), template="plotly_white", showlegend=False,
                      xaxis_title=say("plot.rank", lang), bargap=0,
                      # The range is log10 on a log axis; it reaches above the cutoff so the line shows.
                      yaxis=dict(title=say("plot.count", lang), type="log", range=[-0.1, float(np.log10(top))],
                                 **_log_ticks(top)))
    return fig


def training_progress(batches: Mapping[str, list], history: Mapping[str, list[float]],
                      title: str | None = None, lang: str | None = None) -> go.Figure:
    """The live chart of a training: running batch loss/accuracy (x = fractional epoch) and the
    per-epoch loss, val_loss, accuracy, val_accuracy as markers. Works with no data yet."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1,
                        subplot_titles=(say("plot.loss", lang), say("plot.accuracy", lang)))
    x = list(batches.get("epoch", []))
    epoch = say("plot.epoch", lang)
    for row, key, colour in ((1, "loss", PALETTE[0]), (2, "accuracy", PALETTE[2])):
        ys = [v for v in batches.get(key, [])]
        if x and any(v is not None for v in ys):
            shown = _metric(key, lang)
            fig.add_trace(go.Scatter(x=x, y=ys, mode="lines" if len(x) > 2 else "lines+markers",
                                     name=say("plot.batches", lang, metric=shown),
                                     line=dict(color=colour, width=1), opacity=0.6,
                                     hovertemplate=f"{shown} %{{y:.4g}}<br>{epoch} %{{x:.2f}}<extra></extra>"),
                          row=row, col=1)
        for metric, dash, c in ((key, "solid", colour), (f"val_{key}", "dash", PALETTE[1])):
            values = history.get(metric) or []
            if values:
                shown = _metric(metric, lang)
                fig.add_trace(go.Scatter(x=list(range(1, len(values) + 1)), y=[float(v) for v in values],
                                         mode="lines+markers", name=shown, line=dict(color=c, dash=dash),
                                         hovertemplate=f"{shown} %{{y:.4g}}<br>{epoch} %{{x}}<extra></extra>"),
                              row=row, col=1)
    fig.update_xaxes(title_text=epoch, row=2, col=1, rangemode="tozero")
    fig.update_layout(template="plotly_white", title=title if title is not None else say("plot.training", lang),
                      height=520, hovermode="x unified",
                      margin=dict(l=50, r=20, t=60, b=40), legend=dict(orientation="h", y=-0.15))
    if not x and not history.get("loss"):
        fig.add_annotation(text=say("plot.waiting", lang), showarrow=False, xref="paper", yref="paper",
                           x=0.5, y=0.5)
    return fig
