"""What generation tells a person about a piece: the steering rules in force, a piece that
collapsed into a loop, a request that reached its token budget. Codes with values (Messages).
"""
from __future__ import annotations

import numpy as np

from . import form, steer
from ..messages import Message, joined, msg, option, plural


def stopped_at_budget(tokens: int) -> Message:
    """The remark when a piece asked for in seconds or bars reached the request's token budget first."""
    return msg("said.budget_stop", n=f"{tokens:,}")


def rule_message(rule) -> Message | None:
    """A rule in words (None: a rule nobody chose, e.g. the banned tokens)."""
    if isinstance(rule, steer.KeyLock):
        key = {"tonic": steer.NOTE_NAMES[rule.scale.tonic], "scale": option("scale", rule.scale.mode)}
        return msg("said.key", **key) if rule.strength >= 1 else msg("said.key_strength", **key,
                                                                       strength=f"{rule.strength:g}")
    if isinstance(rule, steer.PitchRange):
        return msg("said.range", low=steer.pitch_name(rule.low), high=steer.pitch_name(rule.high))
    if isinstance(rule, steer.RepetitionGuard):
        return msg("said.guard")
    if isinstance(rule, steer.BarEcho):
        if rule.share is not None:
            return msg("said.echo_share", n=f"{rule.strength:g}", share=f"{rule.share:.0%}")
        return msg("said.echo", n=f"{rule.strength:g}")
    if isinstance(rule, form.FormPlan) and rule.form:
        return msg("said.form_rule", form=rule.form, bars=rule.phrase_bars,
                   repeats=msg("said.repeats_exact" if rule.strength == form.EXACT else "said.repeats_varied"))
    said = getattr(rule, "message", None)  # a rule that says itself (chords, given parts)
    return said() if said else None


def describe(rule) -> str:
    """A rule in English words, for the command line and --json ("" for a rule nobody chose)."""
    said = rule_message(rule)
    return str(said) if said else ""


def collapse_message(ids, max_loop: int = 128) -> Message | None:
    """What to tell a person when generated ids collapsed, else None.

    Collapsed: hardly any distinct tokens (one note over and over), or the second half is one
    short loop repeated. The usual cure is more randomness, so the message says how.
    """
    ids = np.asarray(ids).ravel()
    if len(ids) < 16:
        return None
    distinct = len(np.unique(ids))
    if distinct <= 3:
        return joined(plural("said.collapsed", distinct, n=distinct), msg("said.advice"))
    tail = ids[len(ids) // 2:]
    for period in range(1, min(max_loop, len(tail) // 3) + 1):
        if np.array_equal(tail[period:], tail[:-period]):
            return joined(msg("said.loop", n=period), msg("said.advice"))
    return None


def collapse_warning(ids, max_loop: int = 128) -> str | None:
    """collapse_message in English (the command line, evaluate/), else None."""
    said = collapse_message(ids, max_loop)
    return str(said) if said else None
