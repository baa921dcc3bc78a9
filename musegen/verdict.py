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


def recorded_mismatch(runs: list) -> str | None:
    """Why the losses the runs recorded while training cannot be set side by side, or None.
    Validation windows of other lengths give the models other amounts of context."""
    windows = {r.config.data.window for r in runs}
    if len(windows) > 1:
        return ("they were validated on windows of different lengths "
                f"({' and '.join(str(w) for w in sorted(windows))} tokens), so one heard more context than the other")
    splits = {tuple(sorted(r.data.get("val_files") or [])) for r in runs}
    if len(splits) > 1:
        return "they were validated on different pieces"
    return None


def measure(runs: list, pieces: list) -> dict[str, float]:
    """Held-out loss of each run on the same pieces, measured the same way (NumPy engines, no
    TensorFlow): the pieces none of the runs trained on, each from its first token, up to
    MEASURE_TOKENS tokens. Runs of the article's fixed-window kind are left out."""
    from .engine import forced_logits
    from .sample import load_engine

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


def compare(runs: list, measured: dict | None = None) -> Verdict:
    """The plain answer for the runs picked (two or more; runs of one kind count as seeds).
    measured: {run name: held-out loss} from ``measure``, the fair yardstick when the runs' own
    validation losses cannot be set side by side (``recorded_mismatch``)."""
    val = lambda r: val_loss(r, measured)  # noqa: E731
    scored = [r for r in runs if val(r) is not None]
    if len(scored) < 2:
        return Verdict("Pick two trained runs (a WaveNet and an LSTM) to get an answer.")
    warnings, too_short = [], False
    if len({r.config.data.dataset for r in scored}) > 1:
        return Verdict("These runs learnt from different music, so their losses cannot be compared: pick runs "
                       "trained on the same dataset (Train both does that).",
                       warnings=[f"{r.name}: {r.config.data.dataset}" for r in scored])
    mismatch = recorded_mismatch(scored)
    if mismatch and not measured:
        return Verdict(f"These runs' own losses cannot be set side by side: {mismatch}. They need measuring on the "
                       "same held-out music, and that music is not here (it was an upload): compare runs trained "
                       "with Train both, which share everything.")
    if len({r.config.tokenizer.scheme for r in scored}) > 1:
        return Verdict("These runs read the music as different tokens, so their losses are not on the same "
                       "scale: pick runs with the same token scheme.",
                       warnings=[f"{r.name}: {r.config.tokenizer.scheme} tokens" for r in scored])
    for r in scored:
        if (r.summary.get("epochs") or 0) < MIN_EPOCHS:
            too_short = True
            warnings.append(f"{r.name} trained for only {r.summary.get('epochs')} epoch(s): too short to judge. "
                            "Train it longer (the Small or Full size) before trusting the answer.")
        elif still_improving(r):
            warnings.append(f"{r.name} was still improving when it stopped: with more time it would do better, "
                            "so this answer may change.")

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
        noise_text = f"the spread between runs of the same model with other seeds is about {noise:.3f}"
    else:
        noise = max(wander(r) for rs in groups.values() for r in rs)
        noise_text = (f"with one run of each, the only measure of noise is how much a run's loss moved over its "
                      f"last epochs: {noise:.3f} (runs with other seeds usually differ more: train each twice "
                      "with another seed to be sure)")
    clear = gap > 2 * noise and gap > 0.01
    name = lambda k: NAMES.get(k, k) if k in by_kind and len(by_kind) > 1 else k  # noqa: E731
    pct = 100 * (math.exp(gap) - 1)  # the real next note's (geometric mean) probability, that much higher
    if too_short:
        headline = (f"Too early to tell: the runs are too short to judge. So far the {name(best)} is ahead by "
                    f"{gap:.3f}, but a few epochs decide little: train both longer (the same size for each).")
        clear = False
    elif clear and not warnings:
        headline = (f"The {name(best)} predicts held-out music better on this data: its average surprise at each "
                    f"next note is {gap:.3f} lower (it gives the right note {pct:.0f} % more probability), "
                    "well beyond the noise.")
    elif clear:
        headline = (f"So far the {name(best)} predicts held-out music better ({gap:.3f} lower loss, beyond the "
                    "noise), but see the warnings before trusting it.")
    else:
        headline = (f"No clear winner: the {name(best)} is ahead by {gap:.3f}, which is within the noise. On this "
                    "data they predict the music about equally well; listen to both.")

    how = "held-out loss measured on the same pieces" if measured else "validation loss"
    evidence = [f"{label(r)}: {how} {val(r):.3f}, validation accuracy "
                f"{(r.summary.get('val_accuracy') or 0):.1%}, after {r.summary.get('epochs')} epochs "
                f"({_seconds(r.summary.get('seconds'))})" for r in scored]
    evidence.append(f"Noise: {noise_text}.")
    evidence.append("Validation loss is measured on pieces the model never trained on: lower means it "
                    "expected the real next note more. Accuracy is how often its first guess was right.")
    if measured:
        evidence.append(f"Measured for this answer on the same held-out pieces (up to {MEASURE_PIECES}, each from its "
                        f"first note, {MEASURE_TOKENS} tokens at most), because "
                        f"{recorded_mismatch(scored) or 'the recorded losses were not like for like'}.")
    fast = min(scored, key=lambda r: r.summary.get("seconds") or math.inf)
    slow = max(scored, key=lambda r: r.summary.get("seconds") or 0)
    if fast is not slow and fast.summary.get("seconds") and slow.summary.get("seconds"):
        evidence.append(f"Training took {_seconds(fast.summary['seconds'])} for {fast.name} and "
                        f"{_seconds(slow.summary['seconds'])} for {slow.name}; both compose a piece in well under "
                        "a second, so speed is no reason to choose here.")
    return Verdict(headline, evidence, warnings, winner=best if clear else None, clear=clear)


def _seconds(value) -> str:
    if not value:
        return "time unknown"
    value = float(value)
    return f"{value / 60:.1f} min" if value >= 120 else f"{value:.0f} s"
