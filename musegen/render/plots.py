"""Plotly figures: piano roll, learning curves, pitch/duration histograms, token frequencies.

Plain functions returning ``plotly.graph_objects.Figure``; the app shows them with
``st.plotly_chart``, a notebook with ``fig.show()``.
"""
from __future__ import annotations

import re
from collections import Counter
from fractions import Fraction
from typing import Iterable, Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .midi import note_name
from ..music.piece import DURATION, PART, PITCH, START, VELOCITY, Piece
from ..text import CATALOGUE, DEFAULT, t

_KNOWN = CATALOGUE[DEFAULT]

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
           "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
_NAMES = np.array([note_name(p) for p in range(128)])


def _c_ticks(lo: int, hi: int) -> dict:
    """y/x-axis ticks on every C between ``lo`` and ``hi`` (MIDI pitches), labelled C2, C3…"""
    lo, hi = max(0, int(lo)), min(127, int(hi))
    vals = [p for p in range(lo - lo % 12, hi + 12, 12) if 0 <= p <= 127] or [60]
    return dict(tickmode="array", tickvals=vals, ticktext=[note_name(p) for p in vals])


def _say(key: str, lang: str | None, **values) -> str:
    """A label in lang (None: English, as a notebook or the command line shows it)."""
    return t(key, lang or DEFAULT, **values)


def part_label(piece: Piece, index: int, lang: str | None = None) -> str:
    part = piece.parts[index] if index < len(piece.parts) else None
    if part is None or not part.name or sum(p.name == part.name for p in piece.parts) > 1:
        return f"{part.name} {index + 1}" if part is not None and part.name else _say("plot.part", lang, n=index + 1)
    return part.name


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
    fig = go.Figure()
    for i, index in enumerate(parts):
        rows = notes[notes[:, PART] == index]
        pitch = np.clip(np.rint(rows[:, PITCH]), 0, 127).astype(int)
        fig.add_trace(go.Bar(
            orientation="h",
            base=rows[:, START] * scale,
            x=rows[:, DURATION] * scale,
            y=pitch,
            width=0.8,
            marker=dict(color=PALETTE[i % len(PALETTE)], line_width=0),
            text=_NAMES[pitch],
            textposition="none",
            customdata=np.column_stack([rows[:, START], rows[:, DURATION], rows[:, VELOCITY]]),
            hovertemplate=_note_hover(part_label(piece, index, lang), lang),
            name=part_label(piece, index, lang),
        ))
    pitch = np.clip(np.rint(notes[:, PITCH]), 0, 127).astype(int)
    lo, hi = (int(pitch.min()) - 2, int(pitch.max()) + 2) if len(pitch) else (48, 72)
    bar_lines = [dict(type="line", xref="x", yref="paper", x0=float(at) * scale, x1=float(at) * scale, y0=0, y1=1,
                      line=dict(width=1, color="rgba(0,0,0,0.12)"), layer="below")
                 for at in (piece.bar_starts()[1:] if len(notes) else [])]  # the metre, seen
    fig.update_layout(
        shapes=bar_lines,
        title=title if title is not None else _say("plot.roll_title", lang, name=piece.name, n=len(notes)),
        xaxis=dict(title=_say("plot.time_s" if unit == "seconds" else "plot.time_q", lang), rangemode="tozero"),
        yaxis=dict(title=_say("plot.pitch", lang), range=[lo - 0.5, hi + 0.5], **_c_ticks(lo, hi)),
        bargap=0, barmode="overlay", showlegend=len(parts) > 1, template="plotly_white",
        # The parts' legend under the roll: above it, it runs into the title on a phone.
        legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="left", x=0),
        margin=dict(l=50, r=20, t=50, b=40),
    )
    takeover = getattr(piece, "takeover", None)
    if takeover and len(notes):  # a continuation: the user's passage tinted, a line where the model begins
        fig.add_vrect(x0=0, x1=takeover * scale, fillcolor="rgba(0,0,0,0.04)", line_width=0, layer="below")
        fig.add_vline(x=takeover * scale, line=dict(width=1, dash="dash", color="rgba(0,0,0,0.55)"),
                      annotation_text=_say("plot.takeover", lang), annotation_position="top right",
                      annotation_font=dict(size=11, color="#555"))
    if not len(notes):
        fig.add_annotation(text=_say("plot.no_notes", lang), showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    return fig


def _note_hover(part: str, lang: str | None) -> str:
    beats = _say("plot.beats", lang)
    return (f"<b>%{{text}}</b> · {part}<br>{_say('plot.start', lang)} %{{customdata[0]:.4g}} {beats}"
            f"<br>{_say('plot.duration', lang)} %{{customdata[1]:.4g}} {beats}"
            f"<br>{_say('plot.velocity', lang)} %{{customdata[2]:.0f}}<extra></extra>")


_ACCURACY = ("accuracy", "val_accuracy", "acc", "val_acc")


def _metric(name: str, lang: str | None) -> str:
    """A history key (loss, val_accuracy, …) as a legend names it in lang."""
    key = f"plot.metric.{name}"
    return _say(key, lang) if key in _KNOWN else name


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
    loss, accuracy, epoch = _say("plot.loss", lang), _say("plot.accuracy", lang), _say("plot.epoch", lang)
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=(loss, accuracy)[:rows] if rows == 2 else None)
    for i, (run, hist) in enumerate(histories.items()):
        colour = PALETTE[i % len(PALETTE)]
        for row, names in ((1, metrics), (2, acc)):
            for m in names:
                values = hist.get(m)
                if not values:
                    continue
                shown = _metric(m, lang)
                fig.add_trace(go.Scatter(
                    x=list(range(1, len(values) + 1)), y=[float(v) for v in values],
                    mode="lines+markers" if len(values) < 30 else "lines",
                    name=f"{run} · {shown}", legendgroup=run,
                    line=dict(color=colour, dash="dash" if m.startswith("val_") else "solid"),
                    hovertemplate=f"{run}<br>{shown} %{{y:.4g}}<br>{epoch} %{{x}}<extra></extra>",
                ), row=row, col=1)
    fig.update_xaxes(title_text=epoch, row=rows, col=1)
    fig.update_yaxes(title_text=loss, row=1, col=1)
    if rows == 2:
        fig.update_yaxes(title_text=accuracy, row=2, col=1)
    fig.update_layout(template="plotly_white", hovermode="x unified", title=_say("plot.curves_title", lang),
                      height=300 * rows + 100, margin=dict(l=50, r=20, t=60, b=40))
    return fig


def _groups(pieces, lang: str | None = None) -> dict[str, list[Piece]]:
    """A Piece, a list of pieces, or {label: pieces} → {label: [pieces]}."""
    if isinstance(pieces, Piece):
        return {pieces.name: [pieces]}
    if isinstance(pieces, Mapping):
        return {k: [v] if isinstance(v, Piece) else list(v) for k, v in pieces.items()}
    return {_say("plot.pieces", lang): list(pieces)}


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
    fig.update_layout(title=_say("plot.pitches", lang), barmode="group", template="plotly_white",
                      xaxis=dict(title=_say("plot.pitch", lang), **_c_ticks(lo, hi)),
                      yaxis_title=_say("plot.share" if normalize else "plot.notes", lang),
                      showlegend=len(groups) > 1)
    return fig


_VALUES = {  # quarter-note length → musical value
    Fraction(4): "1/1", Fraction(2): "1/2", Fraction(1): "1/4", Fraction(1, 2): "1/8",
    Fraction(1, 4): "1/16", Fraction(1, 8): "1/32", Fraction(1, 16): "1/64",
    Fraction(6): "dotted 1/1", Fraction(3): "dotted 1/2", Fraction(3, 2): "dotted 1/4",
    Fraction(3, 4): "dotted 1/8", Fraction(3, 8): "dotted 1/16",
    Fraction(4, 3): "1/2 triplet", Fraction(2, 3): "1/4 triplet", Fraction(1, 3): "1/8 triplet",
    Fraction(1, 6): "1/16 triplet", Fraction(8): "2 bars (4/4)",
}


def duration_label(quarters: float) -> str:
    """0.25 → "1/16", 1.5 → "dotted 1/4", 1/3 → "1/8 triplet", else the quarter-note count."""
    f = Fraction(float(quarters)).limit_denominator(48)
    if abs(float(f) - quarters) < 1e-6 and f in _VALUES:
        return _VALUES[f]
    return f"{quarters:.3g} q"


# Note values by their length in quarter notes.
_NOTE_VALUES = {"whole": 4, "half": 2, "quarter": 1, "eighth": Fraction(1, 2), "16th": Fraction(1, 4),
                "32nd": Fraction(1, 8), "64th": Fraction(1, 16)}


def _value_words() -> dict[Fraction, tuple[str, str]]:
    """Length → (how, note value): each value plain, dotted (× 3/2) and as a triplet (× 2/3)."""
    words = {}
    for name, length in _NOTE_VALUES.items():
        words[Fraction(length)] = ("plot.dur.plain", name)
        words[Fraction(length) * Fraction(3, 2)] = ("plot.dur.dotted", name)
        words[Fraction(length) * Fraction(2, 3)] = ("plot.dur.triplet", name)
    return words


_WORDS = _value_words()
_EIGHTHS = {0: "", 1: "⅛", 2: "¼", 3: "⅜", 4: "½", 5: "⅝", 6: "¾", 7: "⅞"}


def duration_words(quarters: float, lang: str | None = None) -> str:
    """A note length in plain words: 1.5 → "dotted quarter note", 1/3 → "eighth triplet",
    1.25 → "1¼ beats" (a beat being a quarter note), 0.52 → "≈ eighth note"."""
    f = Fraction(float(quarters)).limit_denominator(48)
    if abs(float(f) - quarters) < 1e-6 and f in _WORDS:
        key, name = _WORDS[f]
        return _say(key, lang, value=_say(f"plot.dur.{name}", lang))
    eighths = round(quarters * 8)
    if abs(eighths - quarters * 8) < 1e-6 and eighths > 0:
        whole, part = divmod(eighths, 8)
        return _say("plot.dur.beats", lang, n=f"{whole or ''}{_EIGHTHS[part]}" if part else str(whole))
    nearest = min(_WORDS, key=lambda v: abs(np.log(float(v) / max(quarters, 1e-9))))
    key, name = _WORDS[nearest]
    return _say("plot.dur.about", lang, value=_say(key, lang, value=_say(f"plot.dur.{name}", lang)))


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
    labels = [_say("plot.dur.other", lang) if k < 0 else duration_words(k / 48, lang) if lang is not None
              else duration_label(k / 48) for k in keys]
    hover = "%{x} (%{customdata:.3g} " + (_say("plot.beats", lang) if lang is not None else "quarters") + "): %{y:.3g}"
    fig = go.Figure()
    for i, (label, counts) in enumerate(per_group.items()):
        total = max(1, sum(counts.values()))
        y = [counts.get(k, 0) / total if normalize else counts.get(k, 0) for k in keys]
        fig.add_trace(go.Bar(x=labels, y=y, name=label, marker_color=PALETTE[i % len(PALETTE)],
                             customdata=[k / 48 if k > 0 else None for k in keys],
                             hovertemplate=hover + "<extra>" + label + "</extra>"))
    fig.update_layout(title=_say("plot.durations", lang), barmode="group", template="plotly_white",
                      xaxis=dict(title=_say("plot.duration", lang), type="category", categoryorder="array",
                                 categoryarray=labels),
                      yaxis_title=_say("plot.share" if normalize else "plot.notes", lang),
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


# ---------------------------------------------------------------- tokens of the article's scheme

_PITCH_CLASSES = ("C", "C♯", "D", "E♭", "E", "F", "F♯", "G", "A♭", "A", "B♭", "B")
_CHORDS = {  # intervals above the root → chord symbol suffix (symbols read the same in every language)
    (0, 4, 7): "", (0, 3, 7): "m", (0, 3, 6): "dim", (0, 4, 8): "aug", (0, 5, 7): "sus4", (0, 2, 7): "sus2",
    (0, 4, 7, 10): "7", (0, 4, 7, 11): "maj7", (0, 3, 7, 10): "m7", (0, 3, 6, 10): "m7♭5", (0, 3, 6, 9): "dim7",
    (0, 3, 7, 11): "m(maj7)", (0, 4, 10): "7", (0, 3, 10): "m7", (0, 4, 11): "maj7",
}
_LETTERS, _NATURALS = "CDEFGAB", (0, 2, 4, 5, 7, 9, 11)
# Interval above the root → how many letters above it the tone is written (a diminished seventh
# as a sixth, A in C dim7, as chord charts do, rather than B double flat).
_STEPS = {0: 0, 2: 1, 3: 2, 4: 2, 5: 3, 6: 4, 7: 4, 8: 4, 9: 5, 10: 6, 11: 6}
_ACCIDENTALS = {-1: "♭", 0: "", 1: "♯"}


def token_name(token: str, lang: str | None = None) -> str:
    """A token of the article's notes-and-chords scheme for a person: "0.3.7.10" (pitch classes) →
    "Cm7 (C E♭ G B♭)", "E-5" → "E♭5", "9" (one pitch class in octaves) → "A in octaves"; others as
    they are."""
    if re.fullmatch(r"\d+(\.\d+)*", token):
        classes = sorted({int(pc) % 12 for pc in token.split(".")})
        if len(classes) == 1:
            return _say("plot.octaves", lang, note=_PITCH_CLASSES[classes[0]])
        for root in classes:
            intervals = tuple(sorted((pc - root) % 12 for pc in classes))
            if intervals in _CHORDS:
                notes = _spelt(root, intervals)
                return _say("plot.chord", lang, symbol=notes[0] + _CHORDS[intervals], notes=" ".join(notes))
        return " ".join(_PITCH_CLASSES[pc] for pc in classes)
    note = re.fullmatch(r"([A-G])([#-]?)(-?\d+)", token)
    if note:
        return note.group(1) + {"#": "♯", "-": "♭"}.get(note.group(2), "") + note.group(3)
    return token


def _spelt(root: int, intervals: tuple[int, ...]) -> list[str]:
    """A chord's tones written on successive letters (C E♭ G, not C D♯ G), the root named the
    way that needs the fewest sharps and flats (D♭ F A♭ rather than C♯ E♯ G♯)."""
    spellings = []
    for letter in range(7):
        names = []
        for interval in intervals:
            at = (letter + _STEPS[interval]) % 7
            shift = (root + interval - _NATURALS[at] + 6) % 12 - 6
            names.append(_LETTERS[at] + _ACCIDENTALS[shift] if shift in _ACCIDENTALS else None)
        if names[0] is not None and None not in names:
            spellings.append(names)
    return min(spellings, key=lambda names: sum(len(n) - 1 for n in names)) if spellings else \
        [_PITCH_CLASSES[(root + i) % 12] for i in intervals]


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
    said_kept, said_dropped = _say("plot.kept", lang), _say("plot.dropped", lang)
    fig = go.Figure(go.Bar(
        x=list(range(1, len(values) + 1)), y=values,
        marker_color=[PALETTE[0] if k else "#bbbbbb" for k in kept],
        customdata=[[n, said_kept if k else said_dropped] for n, k in zip(names, kept)],
        hovertemplate="%{customdata[0]}: %{y} (%{customdata[1]})<extra></extra>",
    ))
    fig.add_hline(y=max(cutoff, 1), line_dash="dash", line_color="#d62728",  # plotly places it in data units
                  annotation_text=_say("plot.cutoff_line", lang, cutoff=cutoff, dropped=dropped, total=len(values)),
                  annotation_position="top right")
    top = max([cutoff, 1, *values]) * 2
    fig.update_layout(title=_say("plot.tokens_title", lang), template="plotly_white", showlegend=False,
                      xaxis_title=_say("plot.rank", lang), bargap=0,
                      # The range is log10 on a log axis; it reaches above the cutoff so the line shows.
                      yaxis=dict(title=_say("plot.count", lang), type="log", range=[-0.1, float(np.log10(top))],
                                 **_log_ticks(top)))
    return fig


def training_progress(batches: Mapping[str, list], history: Mapping[str, list[float]],
                      title: str | None = None, lang: str | None = None) -> go.Figure:
    """The live chart of a training: running batch loss/accuracy (x = fractional epoch) and the
    per-epoch loss, val_loss, accuracy, val_accuracy as markers. Works with no data yet."""
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1,
                        subplot_titles=(_say("plot.loss", lang), _say("plot.accuracy", lang)))
    x = list(batches.get("epoch", []))
    epoch = _say("plot.epoch", lang)
    for row, key, colour in ((1, "loss", PALETTE[0]), (2, "accuracy", PALETTE[2])):
        ys = [v for v in batches.get(key, [])]
        if x and any(v is not None for v in ys):
            shown = _metric(key, lang)
            fig.add_trace(go.Scatter(x=x, y=ys, mode="lines" if len(x) > 2 else "lines+markers",
                                     name=_say("plot.batches", lang, metric=shown),
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
    fig.update_layout(template="plotly_white", title=title if title is not None else _say("plot.training", lang),
                      height=520, hovermode="x unified",
                      margin=dict(l=50, r=20, t=60, b=40), legend=dict(orientation="h", y=-0.15))
    if not x and not history.get("loss"):
        fig.add_annotation(text=_say("plot.waiting", lang), showarrow=False, xref="paper", yref="paper",
                           x=0.5, y=0.5)
    return fig
