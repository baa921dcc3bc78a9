"""Which of two trained models predicts music better, in plain words with its evidence.

The Compare page asks the article's question — WaveNet or LSTM? — of the runs a person picked. The
answer rests on the validation loss (how surprised the model is, on average, by each next token of
music it never trained on), compared only where it can be: the same music and the same tokens. It
says by how much, and whether that is more than noise: the spread between runs of the same model
with other seeds when there are several, else how much one run's loss wandered over its last
epochs (a lower bound on the noise, said as such). Runs still improving when they stopped, or too
short to judge, are called out. Every sentence is a code with its values (messages.Message), said
in English by str() and in the visitor's language by the Compare page.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..messages import Message, msg, option, plural

NAMES = {"wavenet": "WaveNet", "lstm": "LSTM", "simple-wavenet": "simple WaveNet"}
MIN_EPOCHS = 3


@dataclass
class Verdict:
    """The answer, every sentence a Message (said in English by str(), in a language by .said(lang))."""

    headline: Message  # one sentence a person can act on
    evidence: list[Message] = field(default_factory=list)
    warnings: list[Message] = field(default_factory=list)
    winner: str | None = None  # a run name, or None when there is no fair answer
    clear: bool = False  # the difference is larger than the noise
    sure: bool = False  # clear, and the noise measured between seeds (not one run's wander)
    losses: dict[str, float] = field(default_factory=dict)  # run name: the loss the answer rests on
    source: Message | None = None  # where those losses come from: which music, measured how, how many runs
    surprise: Message | None = None  # what the loss means, in a plain sentence


MEASURE_TOKENS = 1024  # per held-out piece: the opening this many tokens, for every model alike
MEASURE_PIECES = 12


def share_text(p: float) -> str:
    """A probability as a person reads it: 37%, 4.5%, 0.44% — never "0%" for a small one."""
    return f"{p:.0%}" if p >= 0.095 else f"{100 * p:.2g}%"


def val_loss(run, measured: dict | None = None) -> float | None:
    """The loss the answer rests on: measured like for like when given, else the run's own."""
    value = (measured or {}).get(run.name, run.summary.get("val_loss"))
    return float(value) if value is not None and math.isfinite(value) else None


def recorded_mismatch(runs: list) -> Message | None:
    """Why the losses the runs recorded while training cannot be set side by side, or None.
    Validation windows of other lengths give the models other amounts of context."""
    windows = {r.config.data.window for r in runs}
    if len(windows) > 1:
        low, high = sorted(windows)[0], sorted(windows)[-1]
        return msg("verdict.mismatch_windows", low=low, high=high)
    splits = {tuple(sorted(r.data.get("val_files") or [])) for r in runs}
    if len(splits) > 1:
        return msg("verdict.mismatch_pieces")
    return None


def measure(runs: list, pieces: list) -> dict[str, float]:
    """Held-out loss of each run on the same pieces, measured the same way (``measure_alike``)."""
    return {name: figures["loss"] for name, figures in measure_alike(runs, pieces).items()}


def measure_alike(runs: list, pieces: list) -> dict[str, dict[str, float]]:
    """Held-out loss and accuracy of each run on the same pieces, measured the same way (NumPy
    engines, no TensorFlow): the pieces none of the runs trained on, each from its first token, up
    to MEASURE_TOKENS tokens. {run name: {"loss": nats per token, "accuracy": how often its first
    guess was the real next token}}. Runs of the article's fixed-window kind are left out."""
    trained = set()
    for r in runs:
        trained |= set(r.data.get("train_files") or [])
    held_out = [p for p in pieces if p.name not in trained][:MEASURE_PIECES]
    out = {}
    for r in runs:
        if r.config.model.targets == "sequence" and held_out:
            figures = _measure_run(r, held_out)
            if figures is not None:
                out[r.name] = figures
    return out


def _measure_run(run, pieces: list) -> dict[str, float] | None:
    """One run's mean surprise and first-guess accuracy over the next tokens of `pieces`."""
    from ..models.engine import forced_logits
    from ..generate.sample import load_engine

    engine, surprise, right, count = load_engine(run), 0.0, 0, 0
    for piece in pieces:
        ids = np.asarray(run.tokenizer.encode(piece))[:MEASURE_TOKENS]
        if len(ids) < 2:
            continue
        logits = forced_logits(engine, ids[None, :-1])[0]
        logits = logits - logits.max(-1, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
        surprise -= float(log_probs[np.arange(len(ids) - 1), ids[1:]].sum())
        right += int((logits.argmax(-1) == ids[1:]).sum())
        count += len(ids) - 1
    return {"loss": surprise / count, "accuracy": right / count} if count else None


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


def compare(runs: list, measured: dict | None = None, accuracies: dict | None = None) -> Verdict:
    """The plain answer for the runs picked (two or more; runs of one kind count as seeds).
    measured: {run name: held-out loss} from ``measure``, the fair yardstick when the runs' own
    validation losses cannot be set side by side (``recorded_mismatch``); accuracies: the
    accuracies measured with them, said in the evidence instead of the runs' own. Every sentence is a
    Message (a ``verdict.*`` code of musegen/text.py and its values), said at the edge."""
    val = lambda r: val_loss(r, measured)  # noqa: E731
    scored = [r for r in runs if val(r) is not None]
    refused = refusal(scored, measured)
    if refused is not None:
        return refused
    warnings, too_short = run_warnings(scored)
    groups, shown = groups_of(scored)
    means = {k: float(np.mean([val(r) for r in rs])) for k, rs in groups.items()}
    ranked = sorted(means, key=means.get)
    best, second = ranked[0], ranked[1]
    gap = means[second] - means[best]
    noise, noise_said, seeded = noise_of(groups, val)
    clear = gap > 2 * noise and gap > 0.01 and not too_short
    music = option("dataset", scored[0].config.data.dataset)
    sure_said = msg("verdict.sure_seeds") if seeded else msg("verdict.sure_one_run")
    headline = headline_of(shown(best), gap, clear, too_short, bool(warnings), music, sure_said)
    evidence = evidence_of(scored, val, measured, noise_said, accuracies)
    return Verdict(headline, evidence, warnings, winner=best if clear else None, clear=clear, sure=clear and seeded,
                   losses={r.name: val(r) for r in scored}, source=source_of(scored, measured, music),
                   surprise=msg("verdict.surprise", loss=means[best], p=share_text(math.exp(-means[best]))))


def source_of(scored: list, measured: dict | None, music) -> Message:
    """Where the losses the answer compares come from, said beside the table that shows them: the
    runs' own validation losses, or measured again alike (and why the recorded ones differ)."""
    kinds = {kind_of(r) for r in scored}
    runs = msg("verdict.one_run_each") if len(kinds) == len(scored) else msg("verdict.n_runs", n=len(scored))
    if measured:
        return msg("verdict.source_measured", pieces=MEASURE_PIECES, tokens=MEASURE_TOKENS, music=music, runs=runs,
                   why=recorded_mismatch(scored) or msg("verdict.not_like_for_like"))
    return msg("verdict.source_recorded", music=music, runs=runs)


def refusal(scored: list, measured: dict | None) -> Verdict | None:
    """The answer when these runs cannot be compared at all (too few, other music, other tokens,
    losses not like for like and nothing measured), else None."""
    if len(scored) < 2:
        return Verdict(msg("verdict.pick_two"))
    if len({r.config.data.dataset for r in scored}) > 1:
        return Verdict(msg("verdict.other_music"),
                       warnings=[msg("verdict.run_setting", name=r.name, setting=r.config.data.dataset) for r in scored])
    mismatch = recorded_mismatch(scored)
    if mismatch and not measured:
        return Verdict(msg("verdict.not_alike", why=mismatch))
    if len({r.config.tokenizer.scheme for r in scored}) > 1:
        return Verdict(msg("verdict.other_tokens"),
                       warnings=[msg("verdict.run_setting", name=r.name, setting=r.config.tokenizer.scheme)
                                 for r in scored])
    return None


def run_warnings(scored: list) -> tuple[list[Message], bool]:
    """A warning for each run too short to judge or still improving, and whether any was too short."""
    warnings, too_short = [], False
    for r in scored:
        if (r.summary.get("epochs") or 0) < MIN_EPOCHS:
            too_short = True
            warnings.append(plural("verdict.too_short", r.summary.get("epochs"), name=r.name, epochs=r.summary.get("epochs")))
        elif still_improving(r):
            warnings.append(msg("verdict.improving", name=r.name))
    return warnings, too_short


def groups_of(scored: list):
    """The runs grouped by model (its seeds together), or one group per run when all are of one
    model; and how a group is named to a person (WaveNet, or the run's own name)."""
    by_kind: dict[str, list] = {}
    for r in scored:
        by_kind.setdefault(kind_of(r), []).append(r)
    if len(by_kind) == 1:  # several runs of one model: compare the runs themselves
        return {r.name: [r] for r in scored}, lambda k: k
    return by_kind, lambda k: NAMES.get(k, k)


def noise_of(groups: dict, val) -> tuple[float, Message, bool]:
    """How much the loss moves by chance, how it was measured, and whether between seeds: the
    spread between seeds when a model has several runs, else how much one run's loss wandered (a
    lower bound: one run of each cannot show a gap is beyond chance)."""
    seeds = [float(np.std([val(r) for r in rs], ddof=1)) for rs in groups.values() if len(rs) >= 2]
    if seeds:
        noise = float(np.mean(seeds))
        return noise, msg("verdict.noise_seeds", noise=noise), True
    noise = max(wander(r) for rs in groups.values() for r in rs)
    return noise, msg("verdict.noise_jitter", noise=noise), False


def headline_of(best: str, gap: float, clear: bool, too_short: bool, warned: bool, music, sure: Message) -> Message:
    """The one sentence a person can act on: on which music, and how sure (seeds, or one run each)."""
    if too_short:
        return msg("verdict.early", best=best, gap=gap)
    if clear and not warned:
        pct = 100 * (math.exp(gap) - 1)  # the real next note's (geometric mean) probability, that much higher
        return msg("verdict.winner", best=best, gap=gap, pct=pct, music=music, sure=sure)
    if clear:
        return msg("verdict.so_far", best=best, gap=gap, music=music, sure=sure)
    return msg("verdict.no_winner", best=best, gap=gap, music=music)


def evidence_of(scored: list, val, measured: dict | None, noise_said: Message,
                accuracies: dict | None = None) -> list[Message]:
    """The evidence under the answer: each run's loss and accuracy (measured alike when they were),
    the noise, what the loss means, how it was measured, and the training times."""
    how = msg("verdict.how_measured") if measured else msg("verdict.how_recorded")
    accuracy = lambda r: (accuracies or {}).get(r.name, r.summary.get("val_accuracy")) or 0  # noqa: E731
    evidence = [plural("verdict.run_line", r.summary.get("epochs"), label=label(r), how=how, loss=val(r),
                       accuracy=accuracy(r), epochs=r.summary.get("epochs"),
                       time=_seconds(r.summary.get("seconds"))) for r in scored]
    evidence.append(msg("verdict.noise", text=noise_said))
    evidence.append(msg("verdict.explain"))
    if measured:
        evidence.append(msg("verdict.measured", pieces=MEASURE_PIECES, tokens=MEASURE_TOKENS,
                            why=recorded_mismatch(scored) or msg("verdict.not_like_for_like")))
    fast = min(scored, key=lambda r: r.summary.get("seconds") or math.inf)
    slow = max(scored, key=lambda r: r.summary.get("seconds") or 0)
    if fast is not slow and fast.summary.get("seconds") and slow.summary.get("seconds"):
        evidence.append(msg("verdict.speed", fast_time=_seconds(fast.summary["seconds"]), fast=fast.name,
                            slow_time=_seconds(slow.summary["seconds"]), slow=slow.name))
    return evidence


def _seconds(value) -> Message:
    if not value:
        return msg("verdict.time_unknown")
    value = float(value)
    return msg("verdict.minutes", n=value / 60) if value >= 120 else msg("verdict.seconds", n=value)
