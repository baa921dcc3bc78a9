"""Which of two trained models predicts music better, said in plain words with its evidence.

The Compare page asks the article's question — WaveNet or LSTM? — of the runs a person picked. The
answer rests on the validation loss (how surprised the model is, on average, by each next token of
music it never trained on), compared only where it can be: the same music and the same tokens. It
says by how much, and whether that is more than noise: the spread between runs of the same model
with other seeds when there are several, else how much one run's loss wandered over its last
epochs (a lower bound on the noise, said as such). Runs still improving when they stopped, or too
short to judge, are called out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..text import t

NAMES = {"wavenet": "WaveNet", "lstm": "LSTM", "simple-wavenet": "simple WaveNet"}
MIN_EPOCHS = 3


@dataclass
class Verdict:
    headline: str  # one sentence a person can act on
    evidence: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    winner: str | None = None  # a run name, or None when there is no fair answer
    clear: bool = False  # the difference is larger than the noise


MEASURE_TOKENS = 1024  # per held-out piece: the opening this many tokens, for every model alike
MEASURE_PIECES = 12


def val_loss(run, measured: dict | None = None) -> float | None:
    """The loss the answer rests on: measured like for like when given, else the run's own."""
    value = (measured or {}).get(run.name, run.summary.get("val_loss"))
    return float(value) if value is not None and math.isfinite(value) else None


def recorded_mismatch(runs: list, lang: str = "en") -> str | None:
    """Why the losses the runs recorded while training cannot be set side by side, or None.
    Validation windows of other lengths give the models other amounts of context."""
    windows = {r.config.data.window for r in runs}
    if len(windows) > 1:
        low, high = sorted(windows)[0], sorted(windows)[-1]
        return t("verdict.mismatch_windows", lang, low=low, high=high)
    splits = {tuple(sorted(r.data.get("val_files") or [])) for r in runs}
    if len(splits) > 1:
        return t("verdict.mismatch_pieces", lang)
    return None


def measure(runs: list, pieces: list) -> dict[str, float]:
    """Held-out loss of each run on the same pieces, measured the same way (NumPy engines, no
    TensorFlow): the pieces none of the runs trained on, each from its first token, up to
    MEASURE_TOKENS tokens. Runs of the article's fixed-window kind are left out."""
    from ..models.engine import forced_logits
    from ..generate.sample import load_engine

    trained = set()
    for r in runs:
        trained |= set(r.data.get("train_files") or [])
    held_out = [p for p in pieces if p.name not in trained][:MEASURE_PIECES]
    out = {}
    for r in runs:
        if r.config.model.targets != "sequence" or not held_out:
            continue
        engine, total, count = load_engine(r), 0.0, 0
        for piece in held_out:
            ids = np.asarray(r.tokenizer.encode(piece))[:MEASURE_TOKENS]
            if len(ids) < 2:
                continue
            logits = forced_logits(engine, ids[None, :-1])[0]
            logits = logits - logits.max(-1, keepdims=True)
            log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
            total -= float(log_probs[np.arange(len(ids) - 1), ids[1:]].sum())
            count += len(ids) - 1
        if count:
            out[r.name] = total / count
    return out


def wander(run, last: int = 6) -> float:
    """How much the validation loss jumps from epoch to epoch over the last ones, its trend aside (a
    lower bound on the noise): second differences cancel a steady fall, and have six times the
    variance of the jitter."""
    losses = [x for x in run.history.get("val_loss", []) if math.isfinite(x)][-last:]
    if len(losses) < 3:
        return 0.0
    return float(np.sqrt(np.mean(np.diff(losses, n=2) ** 2) / 6))


def still_improving(run) -> bool:
    """Its best epoch was its last and it was not stopped by early stopping: more training would help."""
    s = run.summary
    epochs, best = s.get("epochs") or 0, s.get("best_epoch") or 0
    return epochs > 0 and best == epochs and s.get("stopped") != "early stopping"


def kind_of(run) -> str:
    return run.summary.get("model", run.config.model.kind)


def label(run) -> str:
    return f"{NAMES.get(kind_of(run), kind_of(run))} ({run.name})"


def compare(runs: list, measured: dict | None = None, lang: str = "en") -> Verdict:
    """The plain answer for the runs picked (two or more; runs of one kind count as seeds).
    measured: {run name: held-out loss} from ``measure``, the fair yardstick when the runs' own
    validation losses cannot be set side by side (``recorded_mismatch``). lang: the catalogue's
    language of the sentences (musegen/text.py)."""
    say = lambda key, **values: t(f"verdict.{key}", lang, **values)  # noqa: E731
    val = lambda r: val_loss(r, measured)  # noqa: E731
    scored = [r for r in runs if val(r) is not None]
    if len(scored) < 2:
        return Verdict(say("pick_two"))
    warnings, too_short = [], False
    if len({r.config.data.dataset for r in scored}) > 1:
        return Verdict(say("other_music"),
                       warnings=[f"{r.name}: {r.config.data.dataset}" for r in scored])
    mismatch = recorded_mismatch(scored, lang)
    if mismatch and not measured:
        return Verdict(say("not_alike", why=mismatch))
    if len({r.config.tokenizer.scheme for r in scored}) > 1:
        return Verdict(say("other_tokens"),
                       warnings=[f"{r.name}: {r.config.tokenizer.scheme}" for r in scored])
    for r in scored:
        if (r.summary.get("epochs") or 0) < MIN_EPOCHS:
            too_short = True
            warnings.append(say("too_short", name=r.name, epochs=r.summary.get("epochs")))
        elif still_improving(r):
            warnings.append(say("improving", name=r.name))

    by_kind: dict[str, list] = {}
    for r in scored:
        by_kind.setdefault(kind_of(r), []).append(r)
    if len(by_kind) == 1:  # several runs of one model: compare the runs themselves
        groups = {r.name: [r] for r in scored}
    else:
        groups = {k: rs for k, rs in by_kind.items()}
    means = {k: float(np.mean([val(r) for r in rs])) for k, rs in groups.items()}
    ranked = sorted(means, key=means.get)
    best, second = ranked[0], ranked[1]
    gap = means[second] - means[best]

    seeds = [float(np.std([val(r) for r in rs], ddof=1)) for rs in groups.values() if len(rs) >= 2]
    if seeds:
        noise = float(np.mean(seeds))
        noise_text = say("noise_seeds", noise=noise)
    else:
        noise = max(wander(r) for rs in groups.values() for r in rs)
        noise_text = say("noise_jitter", noise=noise)
    clear = gap > 2 * noise and gap > 0.01
    name = lambda k: NAMES.get(k, k) if k in by_kind and len(by_kind) > 1 else k  # noqa: E731
    pct = 100 * (math.exp(gap) - 1)  # the real next note's (geometric mean) probability, that much higher
    if too_short:
        headline = say("early", best=name(best), gap=gap)
        clear = False
    elif clear and not warnings:
        headline = say("winner", best=name(best), gap=gap, pct=pct)
    elif clear:
        headline = say("so_far", best=name(best), gap=gap)
    else:
        headline = say("no_winner", best=name(best), gap=gap)

    how = say("how_measured") if measured else say("how_recorded")
    evidence = [say("run_line", label=label(r), how=how, loss=val(r), accuracy=r.summary.get("val_accuracy") or 0,
                    epochs=r.summary.get("epochs"), time=_seconds(r.summary.get("seconds"), lang)) for r in scored]
    evidence.append(say("noise", text=noise_text))
    evidence.append(say("explain"))
    if measured:
        evidence.append(say("measured", pieces=MEASURE_PIECES, tokens=MEASURE_TOKENS,
                            why=recorded_mismatch(scored, lang) or say("not_like_for_like")))
    fast = min(scored, key=lambda r: r.summary.get("seconds") or math.inf)
    slow = max(scored, key=lambda r: r.summary.get("seconds") or 0)
    if fast is not slow and fast.summary.get("seconds") and slow.summary.get("seconds"):
        evidence.append(say("speed", fast_time=_seconds(fast.summary["seconds"], lang), fast=fast.name,
                            slow_time=_seconds(slow.summary["seconds"], lang), slow=slow.name))
    return Verdict(headline, evidence, warnings, winner=best if clear else None, clear=clear)


def _seconds(value, lang: str = "en") -> str:
    if not value:
        return t("verdict.time_unknown", lang)
    value = float(value)
    return t("verdict.minutes", lang, n=value / 60) if value >= 120 else t("verdict.seconds", lang, n=value)
