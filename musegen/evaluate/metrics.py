"""How good is a trained run? Held-out likelihood, musical statistics, collapse, memorisation.

    heldout(run)            NLL per token, perplexity, next-token accuracy on the run's validation files
    features(piece)         per-piece musical statistics (pitch-class entropy, scale consistency, …)
    compare_sets(real, gen) mgeval-style: intra-set vs inter-set distance distributions → overlap, KL
    structure: on_beat_share, beat_chord_fit, bar_repetition, key_stability (part of features)
    ostinato(piece)         the shortest figure of ≤ 8 notes repeated in a row, and how much it fills
    structure_summary(ps)   the structure statistics' means over a set, and its share locked in
    collapse(ids, piece)    distinct tokens, longest repeated loop, collapsed (remarks.collapse_warning,
                            or the piece locked into an ostinato)
    TrainingIndex(seqs)     longest passage copied verbatim from the training data, and its file
    evaluate(run)           all of the above in one dict (the CLI's `musegen evaluate`, the study)

The comparison follows Yang & Lerch, "On the evaluation of generative models in music" (mgeval):
for every feature, the distances between pieces *within* the real set and *between* the real and
the generated set are two distributions; when the model writes like the data they coincide
(overlap area → 1, KL divergence → 0). Plain numpy: Gaussian KDE with Scott's bandwidth.
"""
from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, ModelError
from ..messages import msg
from ..render.midi import estimate_key as find_key
from ..music.piece import DURATION, PART, PITCH, START, Piece, beat_quarters
from ..generate.remarks import collapse_warning  # noqa: F401  (one definition of "collapsed", shared with the app)

# ------------------------------------------------------------------------------------------
# Held-out likelihood
# ------------------------------------------------------------------------------------------


def split_pieces(run, pieces: list[Piece], strict: bool = True) -> tuple[list[Piece], list[Piece], str]:
    """(train, validation, how) pieces of `run`, the files it was trained and validated on.

    The recorded file names are used when every one of them is present; otherwise the split is
    redone with the run's seed (when `strict` is false: a dataset given explicitly) or refused.
    """
    from ..data.dataset import split_by_file

    by_name = {p.name: p for p in pieces}
    train_names, val_names = run.data.get("train_files"), run.data.get("val_files")
    if train_names is not None and val_names is not None:
        missing = [n for n in list(train_names) + list(val_names) if n not in by_name]
        if not missing:
            return [by_name[n] for n in train_names], [by_name[n] for n in val_names], "recorded split"
        if strict:
            raise ModelError(msg("said.dataset_changed", name=run.name, n=len(missing), example=missing[0]))
    train_idx, val_idx = split_by_file(len(pieces), run.config.data.val_fraction, run.config.train.seed)
    return [pieces[i] for i in train_idx], [pieces[i] for i in val_idx], "re-split"


def eval_windows(sequences: list[np.ndarray], window: int, targets: str, pad_id: int, from_token: int = 1):
    """Windows that predict every token of every sequence exactly once (so sums are per token).

    targets="sequence": stride = window (each window predicts its `window` next tokens);
    targets="last": stride 1 (each token after the first `window` of a piece is predicted once).
    from_token: only targets at this index of their sequence or later count (weight 0 before), so
    a sequence model can be scored on exactly the tokens a last-step model with window W predicts
    (from_token=W).
    """
    from ..data.dataset import make_windows

    if targets == "last":
        if from_token > window:
            sequences = [s[from_token - window :] for s in sequences]
        return make_windows(sequences, window, 1, "last", pad_id)
    xs, ys, ws = [], [], []
    for seq in sequences:
        for start in range(0, max(1, len(seq) - 1), window):
            part = seq[start : start + window + 1]
            if len(part) < 2:
                continue
            real = len(part) - 1  # targets before the padding
            part = np.pad(part, (0, window + 1 - len(part)), constant_values=pad_id)
            xs.append(part[:-1])
            ys.append(part[1:])
            index = start + 1 + np.arange(window)  # each target's index in its sequence
            ws.append((np.arange(window) < real) & (index >= from_token))
    if not xs:
        raise ModelError(msg("said.val_empty"))
    return np.stack(xs).astype(np.int32), np.stack(ys).astype(np.int32), np.stack(ws).astype(np.float32)


_BATCH_STATS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _batch_stats(model):
    """One compiled statistics function per model, kept while the model lives: a new tf.function
    per call would trace the model again each time (a second or more)."""
    import tensorflow as tf

    if model not in _BATCH_STATS:
        model_ref = weakref.ref(model)  # the function must not keep its own key alive

        @tf.function(reduce_retracing=True)
        def batch_stats(xb, yb, wb):
            logits = model_ref()(xb, training=False)
            nll = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=yb, logits=tf.cast(logits, tf.float32))
            correct = tf.cast(tf.equal(tf.argmax(logits, axis=-1, output_type=tf.int32), yb), tf.float32)
            return tf.reduce_sum(nll * wb), tf.reduce_sum(correct * wb), tf.reduce_sum(wb)

        _BATCH_STATS[model] = batch_stats
    return _BATCH_STATS[model]


def nll_and_accuracy(model, x, y, w, batch_size: int = 256) -> dict:
    """Weighted mean NLL (nats per token), perplexity and next-token accuracy of `model` on windows."""
    import tensorflow as tf

    total_nll = total_correct = total_weight = 0.0
    batch_stats = _batch_stats(model)
    for i in range(0, len(x), batch_size):
        s = batch_stats(tf.constant(x[i : i + batch_size]), tf.constant(y[i : i + batch_size]),
                        tf.constant(w[i : i + batch_size]))
        total_nll += float(s[0])
        total_correct += float(s[1])
        total_weight += float(s[2])
    if total_weight == 0:
        raise ModelError(msg("said.no_val_tokens"))
    nll = total_nll / total_weight
    return {"nll": nll, "perplexity": math.exp(min(nll, 700.0)), "accuracy": total_correct / total_weight,
            "tokens": int(total_weight), "total_nll": total_nll}


def heldout(run, val_pieces: list[Piece], model=None, batch_size: int = 256, from_token: int = 1) -> dict:
    """NLL per token, perplexity and accuracy of a run on its validation pieces.

    Also `bits_per_quarter`: the total NLL in bits over the real length in quarter notes of the
    music whose tokens were predicted (`quarters`, from the pieces themselves: see
    predicted_quarters), a figure two token schemes can share (the article's notes scheme drops
    durations and rare chords, so its task is easier: compare with care). `from_token`: see
    eval_windows.
    """
    model = model if model is not None else run.load_model()
    tokenizer, config = run.tokenizer, run.config
    sequences = [tokenizer.encode(p) for p in val_pieces]
    x, y, w = eval_windows(sequences, config.data.window, config.model.targets, tokenizer.pad_id, from_token)
    stats = nll_and_accuracy(model, x, y, w, batch_size)
    first = max(from_token, config.data.window if config.model.targets == "last" else 1)
    quarters = sum(predicted_quarters(tokenizer, p, seq, first) for p, seq in zip(val_pieces, sequences))
    stats["bits_per_quarter"] = stats.pop("total_nll") / math.log(2) / max(quarters, 1e-9)
    stats["quarters"] = quarters
    stats["files"] = len(val_pieces)
    return stats


def predicted_quarters(tokenizer, piece: Piece, seq: np.ndarray, first: int) -> float:
    """The real length in quarter notes of the music whose tokens seq[first:] are (seq = the
    piece's encoding): from where token `first` starts to the end of the piece.

    Measured on the piece, not with the tokenizer's clock, which is only a stepping rule (the
    notes scheme writes every token half a beat long; the metre scheme counts a bar line as
    four quarters whatever the metre). The notes scheme's tokens are the piece's onsets, so the
    start is exact; in other schemes it is placed by the share of their clock before `first`
    (exact when the whole piece is predicted, first <= 1).
    """
    if first >= len(seq):
        return 0.0
    total = piece.duration_quarters
    if first <= 1:
        return total
    onsets = _token_onsets(tokenizer, piece)
    if onsets is not None:  # seq[i] is body token i - 1; past the last onset only <eos> is left
        return max(0.0, total - float(onsets[first - 1])) if first - 1 < len(onsets) else 0.0
    clock = tokenizer.token_quarters()[seq].astype(np.float64)
    share = clock[first:].sum() / clock.sum() if clock.sum() > 0 else (len(seq) - first) / len(seq)
    return total * float(share)


def _token_onsets(tokenizer, piece: Piece) -> np.ndarray | None:
    """Where each body token of tokenizer.encode(piece) starts, for the notes scheme (one token
    per onset, tokens outside the vocabulary left out as encode does); None for other schemes."""
    from ..tokens.notes import NotesTokenizer
    from ..tokens.base import pitched_notes

    if not isinstance(tokenizer, NotesTokenizer):
        return None
    notes = pitched_notes(piece)
    onsets = np.unique(np.round(notes[:, START], 6))  # the order piece_tokens writes them in
    kept = np.array([t in tokenizer.index for t in tokenizer.piece_tokens(piece)], bool)
    return onsets[kept] if len(onsets) else onsets


# ------------------------------------------------------------------------------------------
# Musical features of one piece
# ------------------------------------------------------------------------------------------

MAJOR = np.array([0, 2, 4, 5, 7, 9, 11])
HARMONIC_MINOR = np.array([0, 2, 3, 5, 7, 8, 11])
SCALES = np.array([np.isin(np.arange(12), (s + k) % 12) for s in (MAJOR, HARMONIC_MINOR) for k in range(12)])
DURATION_BINS = np.array([0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0])  # quarters; longer → last bin
DURATION_LABELS = ["1/16", "1/8", "dotted 1/8", "1/4", "dotted 1/4", "1/2", "dotted 1/2", "whole+"]

STRUCTURE_FEATURES = ["on_beat_share", "beat_chord_fit", "bar_repetition", "key_stability"]
SCALAR_FEATURES = ["pitch_class_entropy", "scale_consistency", "polyphony", "note_density", "pitch_range",
                   "empty_beat_rate", "mean_duration"] + STRUCTURE_FEATURES
HISTOGRAM_FEATURES = ["pitch_class_histogram", "duration_histogram"]


def pitched(piece: Piece) -> np.ndarray:
    """The notes of the pitched parts: a drum part's "pitch" names a drum, not a note."""
    drums = [i for i, part in enumerate(piece.parts) if part.is_drum]
    return piece.notes[~np.isin(piece.notes[:, PART], drums)] if drums else piece.notes


def pitch_class_histogram(piece: Piece) -> np.ndarray:
    counts = np.bincount(pitched(piece)[:, PITCH].astype(int) % 12, minlength=12).astype(float)
    return counts / counts.sum() if counts.sum() else counts


def pitch_class_entropy(piece: Piece) -> float:
    """Shannon entropy (bits) of the pitch classes: 0 for one repeated pitch, log2(12) ≈ 3.58 at most."""
    h = pitch_class_histogram(piece)
    h = h[h > 0]
    return float(-(h * np.log2(h)).sum()) + 0.0 if len(h) else 0.0


def scale_consistency(piece: Piece) -> float:
    """Share of notes inside the best-fitting major or harmonic-minor scale (C-RNN-GAN's measure)."""
    notes = pitched(piece)
    if not len(notes):
        return 0.0
    counts = np.bincount(notes[:, PITCH].astype(int) % 12, minlength=12)
    return float((SCALES @ counts).max() / counts.sum())


def _sounding(piece: Piece, grid: float) -> np.ndarray:
    """Notes sounding at each point of a grid (in quarters) from 0 to the end of the piece."""
    n_steps = int(math.ceil(piece.duration_quarters / grid - 1e-9))
    if n_steps <= 0:
        return np.zeros(0, int)
    delta = np.zeros(n_steps + 1, int)
    start = np.clip(np.floor(piece.notes[:, START] / grid + 1e-6).astype(int), 0, n_steps)
    end = np.clip(np.ceil((piece.notes[:, START] + piece.notes[:, DURATION]) / grid - 1e-6).astype(int), 0, n_steps)
    end = np.maximum(end, np.minimum(start + 1, n_steps))
    np.add.at(delta, start, 1)
    np.add.at(delta, end, -1)
    return np.cumsum(delta)[:n_steps]


def polyphony(piece: Piece) -> float:
    """Mean number of notes sounding together, over the sixteenths where anything sounds."""
    sounding = _sounding(piece, 0.25)
    busy = sounding[sounding > 0]
    return float(busy.mean()) if len(busy) else 0.0


def empty_beat_rate(piece: Piece) -> float:
    """Share of beats (quarter notes) in which no note sounds at all."""
    if not piece.n_notes:
        return 1.0
    sounding = _sounding(piece, 0.25)
    n_beats = int(math.ceil(len(sounding) / 4))
    padded = np.pad(sounding, (0, n_beats * 4 - len(sounding)))
    return float((padded.reshape(n_beats, 4).max(axis=1) == 0).mean()) if n_beats else 1.0


def note_density(piece: Piece) -> float:
    """Notes per quarter note."""
    return piece.n_notes / piece.duration_quarters if piece.duration_quarters > 0 else 0.0


def pitch_range(piece: Piece) -> float:
    notes = pitched(piece)
    return float(np.ptp(notes[:, PITCH])) if len(notes) else 0.0


def duration_histogram(piece: Piece) -> np.ndarray:
    if not piece.n_notes:
        return np.zeros(len(DURATION_BINS))
    idx = np.abs(np.log2(piece.notes[:, DURATION][:, None]) - np.log2(DURATION_BINS)[None, :]).argmin(axis=1)
    counts = np.bincount(idx, minlength=len(DURATION_BINS)).astype(float)
    return counts / counts.sum()


# ------------------------------------------------------------------------------------------
# Structure: a pulse, chords on the beat, repeated bars, one key, no ostinato lock-in
# ------------------------------------------------------------------------------------------
# All computed from a Piece alone, so real excerpts and generated music go through the same code.
# "Nothing to measure" (no notes, no beat with three pitch classes) is nan: sets skip it.

TOLERANCE = 1 / 48  # quarters: an onset this close to a beat is on it (unquantised MIDI)
GRID = 12  # steps per quarter when figures and bars are compared (sixteenths and triplets)
KEY_WINDOW_BARS = 4

# Chords as pitch classes over a root of 0. A seventh chord also counts without its fifth, the
# note four-part writing most often leaves out (V7 with a doubled root).
TRIADS = [(0, 4, 7), (0, 3, 7), (0, 3, 6), (0, 4, 8)]  # major, minor, diminished, augmented
SEVENTHS = [(0, 4, 7, 10), (0, 4, 7, 11), (0, 3, 7, 10), (0, 3, 6, 10), (0, 3, 6, 9)]  # dom, maj, min, ø, °
_SHAPES = TRIADS + SEVENTHS + [s[:2] + s[3:] for s in SEVENTHS]
POPCOUNT = np.array([bin(m).count("1") for m in range(4096)])
IS_CHORD = np.zeros(4096, bool)  # indexed by a 12-bit pitch-class mask (bit k = pitch class k)
IS_CHORD[[sum(1 << (root + i) % 12 for i in shape) for root in range(12) for shape in _SHAPES]] = True


def beats(piece: Piece) -> np.ndarray:
    """Every beat of the piece in quarters, counted from each bar line with the beat of the time
    signature in force (a dotted quarter in 6/8), up to the end of the last bar."""
    starts = piece.bar_starts()
    at = [c[0] for c in piece.time_signatures]
    out = []
    for i, start in enumerate(starts):
        _, num, den = piece.time_signatures[max(0, int(np.searchsorted(at, start + TOLERANCE, "right")) - 1)]
        end = starts[i + 1] if i + 1 < len(starts) else start + num * 4.0 / den
        out.append(np.arange(start, end - TOLERANCE, beat_quarters(num, den)))
    return np.concatenate(out + [[end]]) if out else np.zeros(0)


def on_beat_share(piece: Piece) -> float:
    """Share of the notes (drums aside) that start on a beat: music with a pulse puts most of its
    notes there (Bach chorales ≈ 0.8), a model without one scatters them. Notes, not distinct
    onsets, so a passing eighth in one voice weighs as one note against four on the beat."""
    onsets = pitched(piece)[:, START]
    if not len(onsets):
        return float("nan")
    grid = beats(piece)  # at least a downbeat and the last bar's end
    i = np.clip(np.searchsorted(grid, onsets), 1, len(grid) - 1)
    distance = np.minimum(np.abs(onsets - grid[i]), np.abs(onsets - grid[i - 1]))
    return float((distance <= TOLERANCE + 1e-9).mean())


def _pitch_class_masks(notes: np.ndarray, times: np.ndarray) -> np.ndarray:
    """12-bit mask of the pitch classes sounding at each instant (begun, within the tolerance, and
    not yet ended)."""
    masks = np.zeros(len(times), np.int64)
    t = times + TOLERANCE
    for pc in range(12):
        rows = notes[notes[:, PITCH].astype(int) % 12 == pc]
        begun = np.searchsorted(np.sort(rows[:, START]), t, "right")
        ended = np.searchsorted(np.sort(rows[:, START] + rows[:, DURATION]), t, "right")
        masks |= (begun > ended).astype(np.int64) << pc
    return masks


def beat_chord_fit(piece: Piece) -> float:
    """Over the beats where three or more pitch classes sound (drums aside), the share that sound
    a triad (major, minor, diminished, augmented) or a seventh chord (dominant, major, minor,
    half-diminished, diminished; also without its fifth), any root and inversion: harmony moves
    on the beat, so real chorales score ≈ 0.85 and clusters 0. nan when no beat has three."""
    notes = pitched(piece)
    grid = beats(piece)
    masks = _pitch_class_masks(notes, grid[grid < piece.duration_quarters])
    full = masks[POPCOUNT[masks] >= 3]
    return float(IS_CHORD[full].mean()) if len(full) else float("nan")


def bar_repetition(piece: Piece) -> float:
    """Share of the bars with notes whose content exactly equals an earlier bar's: every note that
    starts in the bar, as (offset from the bar line, pitch, duration, part), offsets and durations on
    a 1/12-quarter grid. Parts count (the same music in another voice is another bar); drums count
    too (a bar is all that sounds in it); a transposed repeat is not a repeat. Form repeats bars,
    a model without memory of them rarely does."""
    notes = piece.notes
    if not len(notes):
        return float("nan")
    starts = piece.bar_starts()
    bar = np.maximum(np.searchsorted(starts, notes[:, START] + TOLERANCE, "right") - 1, 0)
    rows = np.column_stack([bar, np.round((notes[:, START] - starts[bar]) * GRID), notes[:, PITCH],
                            np.round(notes[:, DURATION] * GRID), notes[:, PART]]).astype(np.int64)
    rows = rows[np.lexsort(rows.T[::-1])]
    contents = np.split(rows[:, 1:], np.flatnonzero(np.diff(rows[:, 0])) + 1)
    seen: set[bytes] = set()
    repeats = 0
    for content in contents:
        key = content.tobytes()
        repeats += key in seen
        seen.add(key)
    return repeats / len(contents)


def estimate_key(notes: np.ndarray, lo: float = -np.inf, hi: float = np.inf) -> int | None:
    """The key of the notes sounding within [lo, hi) as one number, tonic + 12 for minor (midi's
    estimate_key, musegen's one key-finder); None when nothing sounds there."""
    key = find_key(notes, lo, hi, silent=None)
    return None if key is None else key[0] + 12 * key[1]


def key_stability(piece: Piece) -> float:
    """Share of the 4-bar windows (16 quarters in 4/4) whose estimated key is the whole piece's
    (drums aside): 1.0 for a piece in one key; a model that forgets its key wanders. Every Piece
    has a metre (4/4 when the source gave none), so windows always follow its bars."""
    notes = pitched(piece)
    whole = estimate_key(notes)
    if whole is None:
        return float("nan")
    edges = np.append(piece.bar_starts()[::KEY_WINDOW_BARS], np.inf)
    keys = [estimate_key(notes, lo, hi) for lo, hi in zip(edges[:-1], edges[1:])]
    keys = [k for k in keys if k is not None]
    return float(np.mean([k == whole for k in keys])) if keys else float("nan")


def structure(piece: Piece) -> dict:
    """The four structure statistics of one piece."""
    return {"on_beat_share": on_beat_share(piece), "beat_chord_fit": beat_chord_fit(piece),
            "bar_repetition": bar_repetition(piece), "key_stability": key_stability(piece)}


OSTINATO_NOTES = 8  # the longest figure that counts as an ostinato
LOCK_IN_SHARE = 0.4  # locked in: one figure fills this share of the piece's notes …
LOCK_IN_REPEATS = 4  # … played at least this many times in a row (twice is just a repeated bar)


def ostinato(piece: Piece) -> dict:
    """The shortest figure of ≤ 8 notes played several times in a row that covers the most notes.

    The parts are merged (drums aside): every note in onset order, as (pitch, duration, gap to the
    next onset; the last note's: its duration), so a chord is a figure of notes 0 apart. A figure
    that fills the whole texture is a lock-in; one voice's ostinato under a changing melody is music
    and is not found.
    `share`: the notes its repetitions cover over all the piece's pitched notes; `locked_in`: share
    ≥ 40 % with at least 4 plays in a row.
    """
    notes = pitched(piece)
    found = {"figure": [], "notes": 0, "repeats": 0.0, "share": 0.0, "start": 0.0, "locked_in": False}
    if len(notes) < 2:
        return found
    gaps = np.diff(notes[:, START], append=notes[-1, START] + notes[-1, DURATION])
    events = np.column_stack([notes[:, PITCH], np.round(notes[:, DURATION] * GRID), np.round(gaps * GRID)])
    _, ids = np.unique(events.astype(np.int64), axis=0, return_inverse=True)
    loop = longest_loop(ids.ravel(), OSTINATO_NOTES)
    if not loop.period:
        return found
    share = loop.span / len(notes)
    figure = [[int(p), float(d) / GRID, float(g) / GRID] for p, d, g in events[loop.start : loop.start + loop.period]]
    return {"figure": figure, "notes": loop.period, "repeats": round(loop.repeats, 2), "share": share,
            "start": float(notes[loop.start, START]),
            "locked_in": bool(share >= LOCK_IN_SHARE and loop.repeats >= LOCK_IN_REPEATS)}


def ostinato_warning(piece: Piece) -> str | None:
    """A sentence for a person when the piece locked into a short figure, else None."""
    found = ostinato(piece)
    if not found["locked_in"]:
        return None
    return (f"The output locked into a {found['notes']}-note figure repeated for {found['share']:.0%} of the "
            "piece. Raise the temperature (e.g. 1.0–1.2) or sample with top-p ≈ 0.9, and prime it with "
            "more varied music.")


def features(piece: Piece) -> dict:
    """Every musical statistic of one piece (scalars, and the two histograms as lists)."""
    return {
        "notes": piece.n_notes,
        "pitch_class_entropy": pitch_class_entropy(piece),
        "scale_consistency": scale_consistency(piece),
        "polyphony": polyphony(piece),
        "note_density": note_density(piece),
        "pitch_range": pitch_range(piece),
        "empty_beat_rate": empty_beat_rate(piece),
        "mean_duration": float(piece.notes[:, DURATION].mean()) if piece.n_notes else 0.0,
        "pitch_class_histogram": pitch_class_histogram(piece).tolist(),
        "duration_histogram": duration_histogram(piece).tolist(),
        **structure(piece),
    }


# ------------------------------------------------------------------------------------------
# Set against set (mgeval)
# ------------------------------------------------------------------------------------------


def _values(feats: list[dict], name: str) -> np.ndarray:
    return np.asarray([f[name] for f in feats], dtype=float)


def _pairwise(a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
    """Distances within a (upper triangle, no self pairs) or between a and b (every pair)."""
    a2 = a.reshape(len(a), -1)
    if b is None:
        d = np.linalg.norm(a2[:, None, :] - a2[None, :, :], axis=-1)
        return d[np.triu_indices(len(a2), k=1)]
    b2 = b.reshape(len(b), -1)
    return np.linalg.norm(a2[:, None, :] - b2[None, :, :], axis=-1).ravel()


def _kde(samples: np.ndarray, grid: np.ndarray, bandwidth: float) -> np.ndarray:
    z = (grid[:, None] - samples[None, :]) / bandwidth
    density = np.exp(-0.5 * z * z).sum(axis=1) / (len(samples) * bandwidth * math.sqrt(2 * math.pi))
    return density


def _scott(samples: np.ndarray) -> float:
    std = samples.std(ddof=1) if len(samples) > 1 else 0.0
    return std * len(samples) ** (-1 / 5)


def overlap_and_kl(p_samples: np.ndarray, q_samples: np.ndarray, points: int = 512) -> tuple[float, float]:
    """Overlap area ∫min(p, q) and KL(p‖q) of two 1-D sample sets, each smoothed by a Gaussian KDE."""
    p_samples, q_samples = np.asarray(p_samples, float), np.asarray(q_samples, float)
    if not len(p_samples) or not len(q_samples):
        return float("nan"), float("nan")
    both = np.concatenate([p_samples, q_samples])
    spread = both.max() - both.min()
    floor = max(spread, abs(both).max(), 1e-3) * 1e-2  # identical samples still get a width
    bw_p, bw_q = max(_scott(p_samples), floor), max(_scott(q_samples), floor)
    lo, hi = both.min() - 4 * max(bw_p, bw_q), both.max() + 4 * max(bw_p, bw_q)
    grid = np.linspace(lo, hi, points)
    p, q = _kde(p_samples, grid, bw_p), _kde(q_samples, grid, bw_q)
    dx = grid[1] - grid[0]
    overlap = float(np.minimum(p, q).sum() * dx)
    eps = 1e-12
    kl = float((p * np.log((p + eps) / (q + eps))).sum() * dx)
    return min(overlap, 1.0), max(kl, 0.0)


def compare_sets(real: list[Piece], generated: list[Piece]) -> dict:
    """Per feature: means, and the overlap / KL between the real set's intra-set distances and the
    real↔generated inter-set distances. Plus `overlap` and `kl` averaged over the features."""
    if len(real) < 2 or not generated:
        raise ModelError(msg("said.compare_needs"))
    real_f, gen_f = [features(p) for p in real], [features(p) for p in generated]
    out: dict = {"features": {}}
    for name in SCALAR_FEATURES + HISTOGRAM_FEATURES:
        r, g = _values(real_f, name), _values(gen_f, name)
        if name in SCALAR_FEATURES:  # nan: nothing to measure in that piece (no chord, no note)
            r, g = r[~np.isnan(r)], g[~np.isnan(g)]
        enough = len(r) >= 2 and len(g)
        overlap, kl = overlap_and_kl(_pairwise(r), _pairwise(r, g)) if enough else (math.nan, math.nan)
        row = {"overlap": overlap, "kl": kl}
        if name in SCALAR_FEATURES:
            row.update(real_mean=_nanmean(r), real_std=_nanstd(r), generated_mean=_nanmean(g),
                       generated_std=_nanstd(g))
        else:
            row.update(real_mean=r.mean(axis=0).round(4).tolist(), generated_mean=g.mean(axis=0).round(4).tolist())
        out["features"][name] = row
    rows = out["features"].values()
    out["overlap"] = _nanmean([r["overlap"] for r in rows])
    out["kl"] = _nanmean([r["kl"] for r in rows])
    return out


def _nanmean(values) -> float:
    values = np.asarray(values, float)
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else math.nan


def _nanstd(values) -> float:
    values = np.asarray(values, float)
    values = values[~np.isnan(values)]
    return float(values.std()) if len(values) else math.nan


# ------------------------------------------------------------------------------------------
# Collapse
# ------------------------------------------------------------------------------------------


@dataclass
class Loop:
    period: int  # tokens in the repeated pattern
    span: int  # tokens covered by the repetition (pattern × repeats)
    start: int

    @property
    def repeats(self) -> float:
        return self.span / self.period if self.period else 0.0


def longest_loop(ids, max_period: int | None = None) -> Loop:
    """The longest stretch that is one pattern played at least twice in a row (ids[i] == ids[i+p]),
    of at most `max_period` ids; the shortest pattern when several cover as much."""
    ids = np.asarray(ids)
    best = Loop(0, 0, 0)
    n = len(ids)
    for p in range(1, min(n // 2, max_period or n) + 1):
        eq = np.concatenate([[False], ids[p:] == ids[:-p], [False]])
        edges = np.flatnonzero(np.diff(eq.astype(np.int8)))
        if not len(edges):
            continue
        starts, ends = edges[::2], edges[1::2]
        runs = ends - starts
        i = int(runs.argmax())
        if runs[i] >= p and runs[i] + p > best.span:  # at least two full repeats
            best = Loop(p, int(runs[i] + p), int(starts[i]))
    return best


def collapse(ids, piece: Piece | None = None) -> dict:
    """Has generation collapsed? `collapsed` follows the app's `remarks.collapse_warning` (almost no
    distinct tokens, or a second half that is one short loop) or, given the decoded `piece`, an
    ostinato lock-in (a figure of ≤ 8 notes filling ≥ 40 % of it); the longest loop anywhere in the
    output is reported alongside, as a number to watch."""
    ids = np.asarray(ids)
    loop = longest_loop(ids)
    row = {"tokens": int(len(ids)), "distinct_tokens": int(len(np.unique(ids))), "loop_period": loop.period,
           "loop_tokens": loop.span, "loop_repeats": round(loop.repeats, 2),
           "collapsed": collapse_warning(ids) is not None}
    if piece is not None:
        found = ostinato(piece)
        row.update(ostinato_notes=found["notes"], ostinato_share=round(found["share"], 4),
                   locked_in=found["locked_in"], collapsed=row["collapsed"] or found["locked_in"])
    return row


def collapse_reason(piece: Piece | None = None, ids=None) -> str | None:
    """A sentence for a person when the output collapsed (its tokens, then its notes), else None."""
    warning = collapse_warning(ids) if ids is not None else None
    return warning or (ostinato_warning(piece) if piece is not None else None)


def structure_summary(pieces: list[Piece], ids_list: list[np.ndarray] | None = None) -> dict:
    """Over a set of pieces: the mean of each structure statistic (nan skipped; None when no piece
    has one), the mean ostinato share, and the share of pieces locked in and collapsed (locked in,
    or, given their ids, collapsed as tokens). The same call for real excerpts and generated music."""
    rows = [structure(p) for p in pieces]
    found = [ostinato(p) for p in pieces]
    ids_list = ids_list if ids_list is not None else [None] * len(pieces)
    collapsed = [f["locked_in"] or (ids is not None and collapse_warning(ids) is not None)
                 for f, ids in zip(found, ids_list)]
    out: dict = {"pieces": len(pieces)}
    for name in STRUCTURE_FEATURES:
        mean = _nanmean([r[name] for r in rows])
        out[name] = None if math.isnan(mean) else round(mean, 4)
    out["ostinato_share"] = round(float(np.mean([f["share"] for f in found])), 4) if found else None
    out["locked_in"] = float(np.mean([f["locked_in"] for f in found])) if found else None
    out["collapsed"] = float(np.mean(collapsed)) if found else None
    return out


# ------------------------------------------------------------------------------------------
# Memorisation
# ------------------------------------------------------------------------------------------

_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd, so invertible modulo 2**64


def _inverse(a: int) -> int:
    return pow(int(a), -1, 2**64)


@dataclass
class Copy:
    tokens: int  # length of the longest passage found verbatim in the training data
    file: str | None  # the training file it came from
    start_generated: int
    start_file: int

    def as_dict(self) -> dict:
        return {"tokens": self.tokens, "file": self.file, "start_generated": self.start_generated,
                "start_file": self.start_file}


class TrainingIndex:
    """The training sequences, ready to answer "what is the longest passage of these ids that
    appears verbatim in the training data, and where?"

    Polynomial rolling hashes modulo 2**64 of every L-gram (numpy, vectorised), binary search on L;
    candidates are checked token by token, so a hash collision never reports a false copy.
    A few hundred thousand training tokens answer in well under a second.
    """

    def __init__(self, sequences: list[np.ndarray], names: list[str]):
        self.names = list(names)
        parts, owners, offsets = [], [], []
        pos = 0
        sep = -1
        for i, seq in enumerate(sequences):
            offsets.append(pos)
            parts.append(np.asarray(seq, np.int64))
            parts.append(np.array([sep], np.int64))  # a separator no generated id equals
            owners.append(np.full(len(seq) + 1, i, np.int64))
            pos += len(seq) + 1
            sep -= 1
        self.tokens = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        self.owner = np.concatenate(owners) if owners else np.zeros(0, np.int64)
        self.offsets = np.asarray(offsets, np.int64)
        self._prefix, self._inv = self._hash_tables(self.tokens)
        self._sorted: dict[int, np.ndarray] = {}

    @staticmethod
    def _hash_tables(tokens: np.ndarray):
        n = len(tokens)
        powers = np.empty(n + 1, np.uint64)
        inverse = np.empty(n + 1, np.uint64)
        powers[0] = inverse[0] = 1
        inv_base = np.uint64(_inverse(int(_BASE)))
        with np.errstate(over="ignore"):
            if n:
                powers[1:] = _BASE
                powers = np.cumprod(powers, dtype=np.uint64)
                inverse[1:] = inv_base
                inverse = np.cumprod(inverse, dtype=np.uint64)
            values = (tokens.astype(np.int64) + (1 << 20)).astype(np.uint64)  # no zero, negatives stay distinct
            prefix = np.concatenate([[np.uint64(0)], np.cumsum(values * powers[:n], dtype=np.uint64)])
        return prefix, inverse

    def _gram_hashes(self, prefix, inverse, length: int) -> np.ndarray:
        with np.errstate(over="ignore"):
            return (prefix[length:] - prefix[:-length]) * inverse[: len(prefix) - length]

    def _train_hashes(self, length: int) -> np.ndarray:
        if length not in self._sorted:
            self._sorted[length] = np.sort(self._gram_hashes(self._prefix, self._inv, length))
        return self._sorted[length]

    def _matches(self, ids: np.ndarray, length: int, gen_tables) -> np.ndarray:
        """Positions in ids whose `length`-gram hash appears in the training data."""
        if length > len(ids) or length > len(self.tokens):
            return np.zeros(0, np.int64)
        table = self._train_hashes(length)
        hashes = self._gram_hashes(*gen_tables, length)
        found = np.searchsorted(table, hashes)
        found = np.minimum(found, len(table) - 1)
        return np.flatnonzero(table[found] == hashes)

    def _locate(self, ids: np.ndarray, length: int, candidates: np.ndarray, gen_tables):
        """The first candidate whose L-gram truly occurs in the training data: (gen pos, train pos)."""
        train_hashes = self._gram_hashes(self._prefix, self._inv, length)
        gen_hashes = self._gram_hashes(*gen_tables, length)
        for g in candidates:
            for t in np.flatnonzero(train_hashes == gen_hashes[g]):
                if np.array_equal(self.tokens[t : t + length], ids[g : g + length]):
                    return int(g), int(t)
        return None

    def longest_copy(self, ids) -> Copy:
        """Longest passage of `ids` found verbatim in one training sequence, and where."""
        ids = np.asarray(ids, np.int64)
        if not len(ids) or not len(self.tokens):
            return Copy(0, None, 0, 0)
        gen_tables = self._hash_tables(ids)
        hi = len(ids)
        while True:
            lo, top = 0, hi  # binary search on hashes alone: a match at L implies matches below L
            while lo < top:
                mid = (lo + top + 1) // 2
                if len(self._matches(ids, mid, gen_tables)):
                    lo = mid
                else:
                    top = mid - 1
            if lo == 0:
                return Copy(0, None, 0, 0)
            found = self._locate(ids, lo, self._matches(ids, lo, gen_tables), gen_tables)
            if found is not None:
                g, t = found
                owner = int(self.owner[t])
                return Copy(lo, self.names[owner], g, t - int(self.offsets[owner]))
            hi = lo - 1  # a 64-bit hash collision (astronomically rare): look shorter

    def copied_share(self, ids, n: int = 16) -> float:
        """Share of the n-grams of ids that appear somewhere in the training data (hash test)."""
        ids = np.asarray(ids, np.int64)
        if len(ids) < n:
            return 0.0
        return len(self._matches(ids, n, self._hash_tables(ids))) / (len(ids) - n + 1)


# ------------------------------------------------------------------------------------------
# Everything for one run
# ------------------------------------------------------------------------------------------


def real_excerpts(sequences: list[np.ndarray], tokenizer, length: int, n: int, seed: int, tempo: float = 120.0):
    """n random excerpts of `length` tokens from real sequences, decoded like generated music is,
    so both sets go through the same tokenizer (same grid, same losses)."""
    rng = np.random.default_rng(seed)
    specials = set(tokenizer.special_ids)
    usable = [s for s in sequences if len(s) > 4]
    if not usable:
        raise ModelError(msg("said.no_real_sequences"))
    out_ids, pieces = [], []
    for i in range(n):
        seq = usable[rng.integers(len(usable))]
        body = np.asarray([t for t in seq if t not in specials], np.int32)
        start = int(rng.integers(0, max(1, len(body) - length + 1)))
        ids = body[start : start + length]
        out_ids.append(ids)
        pieces.append(tokenizer.decode(ids, name=f"real-{i + 1}", tempo=tempo))
    return out_ids, pieces


def summarize_generation(ids_list: list[np.ndarray], index: TrainingIndex,
                         pieces: list[Piece] | None = None) -> dict:
    """Collapse and memorisation over several generated sequences; given their decoded `pieces`
    too, an ostinato lock-in counts as collapsed (`locked_in`: how many; None without pieces)."""
    by_piece = list(pieces) if pieces is not None else [None] * len(ids_list)
    rows = [collapse(ids, piece) for ids, piece in zip(ids_list, by_piece)]
    copies = [index.longest_copy(ids) for ids in ids_list]
    longest = max(copies, key=lambda c: c.tokens)
    warnings = [w for w in (collapse_reason(piece, ids) for ids, piece in zip(ids_list, by_piece)) if w]
    return {
        "collapse": {
            "distinct_tokens": float(np.mean([r["distinct_tokens"] for r in rows])),
            "distinct_tokens_min": int(min(r["distinct_tokens"] for r in rows)),
            "loop_tokens_max": int(max(r["loop_tokens"] for r in rows)),
            "collapsed": int(sum(r["collapsed"] for r in rows)),
            "locked_in": int(sum(r["locked_in"] for r in rows)) if pieces is not None else None,
            "pieces": len(rows),
            "warning": warnings[0] if warnings else None,
        },
        "memorisation": {
            "longest_copy": longest.tokens,
            "longest_copy_file": longest.file,
            "mean_longest_copy": float(np.mean([c.tokens for c in copies])),
            "copied_16gram_share": float(np.mean([index.copied_share(ids, 16) for ids in ids_list])),
        },
    }


def copy_against_chance(generated_ids: list[np.ndarray], val_ids: list[np.ndarray], index: TrainingIndex,
                        tokenizer, length: int, seed: int, tempo: float = 120.0) -> dict:
    """Memorisation like for like: the mean longest copy of the generated pieces and of real
    validation excerpts (music the model never saw, which shares cadences and scales with the
    training data by chance), over passages of the same lengths.

    Each generated piece is paired with one real excerpt of up to `length` tokens; where the real
    piece is shorter (a chorale is about 70 notes tokens), the generated piece is cut to its length.
    validation_baseline: the real excerpts' mean; matched_longest_copy: the generated pieces' mean;
    compared_tokens: the passages' mean length.
    """
    real_ids, _ = real_excerpts(val_ids, tokenizer, length, len(generated_ids), seed, tempo)
    generated_cut = [ids[: len(real)] for ids, real in zip(generated_ids, real_ids)]
    return {
        "matched_longest_copy": float(np.mean([index.longest_copy(ids).tokens for ids in generated_cut])),
        "validation_baseline": float(np.mean([index.longest_copy(ids).tokens for ids in real_ids])),
        "compared_tokens": float(np.mean([len(ids) for ids in real_ids])),
    }


MAX_PIECES = 1000  # pieces evaluate() generates


def check_evaluate(n_pieces: int, length: int, temperature: float, top_p: float, seed: int) -> None:
    """evaluate()'s settings, each refused in one sentence before any music is read or model loaded
    (a temperature of -1 once failed only after 10 s and 1.3 GB of reading the data)."""
    from ..config import SampleConfig

    if isinstance(n_pieces, bool) or not isinstance(n_pieces, int) or not 1 <= n_pieces <= MAX_PIECES:
        raise InputError(msg("said.between", name="pieces", low=1, high=f"{MAX_PIECES:,}", value=repr(n_pieces)))
    SampleConfig(length=length, temperature=temperature, top_p=top_p, seed=seed).check()


def evaluate(run, pieces: list[Piece] | None = None, *, n_pieces: int = 8, length: int = 400,
             temperature: float = 1.0, top_p: float = 1.0, seed: int = 0, strict: bool = True,
             model=None, composer=None, heldout_stats: dict | None = None) -> dict:
    """Held-out NLL / perplexity / accuracy, then `n_pieces` generated pieces against real excerpts
    of the training data (musical features, overlap and KL; structure statistics side by side),
    collapse (tokens and ostinato lock-in) and memorisation."""
    from ..config import SampleConfig
    from ..generate.sample import Composer
    from ..music.sources import load_pieces

    check_evaluate(n_pieces, length, temperature, top_p, seed)
    if pieces is None:
        pieces = load_pieces(run.config.data.dataset, run.config.data).pieces
    train_pieces, val_pieces, how = split_pieces(run, pieces, strict=strict)
    if not val_pieces:
        raise ModelError(msg("said.no_val_files", name=run.name))
    composer = composer or Composer(run)
    stats = heldout_stats or heldout(run, val_pieces, model=model)

    tokenizer = run.tokenizer
    train_ids = [tokenizer.encode(p) for p in train_pieces]
    index = TrainingIndex(train_ids, [p.name for p in train_pieces])
    # One piece per seed, each from its own real primer (a batch would share one primer). Plain
    # sampling (one temperature for every token), no steering rules (no guard, no bar echo): this
    # measures the model itself.
    compositions = [composer.compose(SampleConfig(length=length, temperature=temperature,
                                                  rhythm_temperature=max(temperature, 0.05), top_p=top_p,
                                                  seed=seed + i, primer="random", repetition_guard=False, echo=0.0))
                    for i in range(n_pieces)]
    generated_ids = [c.ids[0] for c in compositions]
    tokens_per_s = float(np.mean([c.tokens_per_s for c in compositions[1:] or compositions]))  # first compiles
    tempo = run.data.get("tempo", 120.0)
    _, real = real_excerpts(train_ids, tokenizer, length, max(n_pieces, 16), seed, tempo)
    generated = [c.pieces[0] for c in compositions]  # an output with no notes is scored as such
    musical = compare_sets(real, generated)
    summary = summarize_generation(generated_ids, index, generated)
    val_ids = [tokenizer.encode(p) for p in val_pieces]
    summary["memorisation"].update(copy_against_chance(generated_ids, val_ids, index, tokenizer, length, seed + 1, tempo))
    return {
        "run": str(run.path),
        "dataset": run.config.data.dataset,
        "model": run.config.model.kind,
        "scheme": run.config.tokenizer.scheme,
        "params": run.summary.get("params"),
        "split": how,
        "val_files": stats["files"],
        "val_tokens": stats["tokens"],
        "nll": stats["nll"],
        "perplexity": stats["perplexity"],
        "accuracy": stats["accuracy"],
        "bits_per_quarter": stats["bits_per_quarter"],
        "temperature": temperature,
        "pieces": len(compositions),
        "tokens_per_s": tokens_per_s,
        "musical": _musical_summary(musical),
        "structure": {"real": structure_summary(real), "generated": structure_summary(generated, generated_ids)},
        "overlap": musical["overlap"],
        "kl": musical["kl"],
        **summary,
    }


def _musical_summary(musical: dict) -> dict:
    rows = musical.get("features", {})
    return {name: {k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()} for name, row in rows.items()}
