"""Generated music against real music, set against set (mgeval).

    features(piece)          every musical statistic of one piece (note statistics and structure)
    compare_sets(real, gen)  intra-set vs inter-set distance distributions → overlap, KL
    real_excerpts(...)       real sequences cut and decoded like generated music, to compare with

The comparison follows Yang & Lerch, "On the evaluation of generative models in music" (mgeval):
for every feature, the distances between pieces *within* the real set and *between* the real and
the generated set are two distributions; when the model writes like the data they coincide
(overlap area → 1, KL divergence → 0). Plain numpy: Gaussian KDE with Scott's bandwidth.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import ModelError
from ..messages import msg
from ..music.piece import DURATION, Piece
from .note_statistics import (duration_histogram, empty_beat_rate, note_density, pitch_class_entropy,
                              pitch_class_histogram, pitch_range, polyphony, scale_consistency)
from .structure import STRUCTURE_FEATURES, nanmean, structure

SCALAR_FEATURES = ["pitch_class_entropy", "scale_consistency", "polyphony", "note_density", "pitch_range",
                   "empty_beat_rate", "mean_duration"] + STRUCTURE_FEATURES
HISTOGRAM_FEATURES = ["pitch_class_histogram", "duration_histogram"]


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
            row.update(real_mean=nanmean(r), real_std=_nanstd(r), generated_mean=nanmean(g),
                       generated_std=_nanstd(g))
        else:
            row.update(real_mean=r.mean(axis=0).round(4).tolist(), generated_mean=g.mean(axis=0).round(4).tolist())
        out["features"][name] = row
    rows = out["features"].values()
    out["overlap"] = nanmean([r["overlap"] for r in rows])
    out["kl"] = nanmean([r["kl"] for r in rows])
    return out


def _nanstd(values) -> float:
    values = np.asarray(values, float)
    values = values[~np.isnan(values)]
    return float(values.std()) if len(values) else math.nan


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
