"""What the library tells a person, as a code and its values: said in a language at the edge.

A ``Message`` names a catalogue entry of musegen/text.py (``"said.no_checkpoint"``) and the
values its placeholders take. The command line, logs and files say it in English (``str``); the
app says it in the visitor's language (``message.said(lang)``). Nobody parses the sentence back.
A value may itself be a Message (a reason inside a sentence) or a list of them (said one after
another). Stored as ``{"code": …, "values": {…}}``; text stored by older versions stays as it was.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import text


@dataclass(frozen=True)
class Message:
    code: str
    values: dict = field(default_factory=dict)

    def said(self, lang: str = text.DEFAULT) -> str:
        return text.tidy(text.t(self.code, lang, **{name: said(value, lang) for name, value in self.values.items()}), lang)

    def __str__(self) -> str:
        return self.said(text.DEFAULT)

    def to_json(self) -> dict:
        return {"code": self.code, "values": {name: _to_json(value) for name, value in self.values.items()}}


def msg(code: str, /, **values) -> Message:
    """``msg("said.no_checkpoint", name=run.name)``: the message whose English is that catalogue entry."""
    return Message(code, values)


def said(value, lang: str = text.DEFAULT):
    """A Message (or a list of them, or a plain value) as lang says it; numbers keep their type so
    the catalogue's format fields ({loss:.3f}) still apply."""
    if isinstance(value, Message):
        return value.said(lang)
    if isinstance(value, (list, tuple)):
        return text.sentences(lang, *(said(v, lang) for v in value))
    return value


def to_json(value):
    """A Message (or a list of them) as JSON values to store; anything else as it is."""
    return _to_json(value)


def option(group: str, value):
    """An option value kept in English (a scale's name), said as its ``opt.<group>.<value>`` entry
    where the catalogue has one, else as it is."""
    key = f"opt.{group}.{value}"
    return Message(key) if key in text.CATALOGUE[text.DEFAULT] else value


def from_json(value):
    """A stored message back: ``{"code", "values"}`` is a Message, anything else stays as stored."""
    if isinstance(value, dict) and isinstance(value.get("code"), str) and isinstance(value.get("values", {}), dict):
        return Message(value["code"], {k: from_json(v) for k, v in value.get("values", {}).items()})
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def _to_json(value):
    if isinstance(value, Message):
        return value.to_json()
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    return value


def joined(*parts) -> Message:
    """Messages said one after another as one (a space between them in English, none in Chinese);
    None and empty parts are left out."""
    flat = []
    for part in parts:
        if isinstance(part, Message) and part.code == "said.sentences":
            flat += part.values["parts"]
        elif part:
            flat.append(part)
    return Message("said.sentences", {"parts": flat})


def plural(code: str, count: int, /, **values) -> Message:
    """``code`` for a count, or ``code + "_1"`` where the count is one (English says "1 epoch")."""
    return Message(f"{code}_1" if count == 1 else code, values)


def stop_message(stop: dict) -> Message:
    """How a training ended, from the code musegen.train.fit keeps in summary.json ("stop"): its
    English is summary.json's "stop_reason"."""
    val = stop.get("monitor") == "val_loss"
    kept = (msg("said.kept_val" if val else "said.kept_loss", epoch=stop["kept"], loss=f"{stop['loss']:.3f}")
            if stop.get("kept") else msg("said.no_finite"))
    code, epochs = stop.get("code"), stop.get("epochs", 0)
    if code == "early_stop":
        patience = stop.get("patience", 0)
        return plural("said.early_stop_val" if val else "said.early_stop_train", patience, patience=patience,
                      epochs=epochs, kept=kept)
    if code == "interrupted":
        return msg("said.interrupted", epochs=epochs, kept=kept)
    learning = msg("said.still_learning") if stop.get("learning") else None
    if code == "time_budget":
        budget = stop.get("budget_s", 0.0)
        told = msg("said.n_min", n=f"{budget / 60:g}") if budget >= 120 else msg("said.n_s", n=f"{budget:g}")
        head = msg("said.budget_reached", budget=told, epochs=epochs, kept=kept)
    elif code == "stop_requested":
        head = msg("said.stop_requested", epochs=epochs, kept=kept)
    else:
        head = plural("said.finished", epochs, epochs=epochs, kept=kept)
    return joined(head, learning) if learning else head


STOP_CODES = {"early stopping": "early_stop", "time budget": "time_budget", "stop requested": "stop_requested",
              "interrupted": "interrupted"}  # summary.json's "stopped" word → its stop code ("finished" else)


def run_ending(summary: dict, train=None) -> Message | str:
    """How a run's training ended, from summary.json's "stop" code. A run trained before the code
    was kept (the bundled ones among them) gets its code from the summary's numbers and ``train``
    (its config.train) where that code says exactly the English the run stored ("stop_reason");
    else that English is shown as it was stored, in every language."""
    stop = summary.get("stop")
    if isinstance(stop, dict) and stop.get("code"):
        return stop_message(stop)
    stored = summary.get("stop_reason") or ""
    rebuilt = _old_stop(summary, train)
    return stop_message(rebuilt) if rebuilt is not None and str(stop_message(rebuilt)) == stored else stored


def _old_stop(summary: dict, train) -> dict | None:
    try:
        monitor = "val_loss" if summary.get("val_loss") is not None else "loss"
        stop = {"code": STOP_CODES.get(summary.get("stopped"), "finished"), "monitor": monitor,
                "epochs": int(summary["epochs"])}
        best, loss = int(summary.get("best_epoch") or 0), summary.get(monitor)
        if best > 0 and loss is not None:
            stop.update(kept=best, loss=round(float(loss), 3), learning=best == stop["epochs"])
        if train is not None:
            stop.update(patience=train.early_stopping, budget_s=float(train.max_seconds))
        return stop
    except (KeyError, TypeError, ValueError):  # a summary without its numbers: its English as stored
        return None


def codes(value) -> list[str]:
    """Every catalogue code in a message, its nested ones too, in order (for tests and logs)."""
    if isinstance(value, Message):
        return [value.code] + [c for v in value.values.values() for c in codes(v)]
    if isinstance(value, (list, tuple)):
        return [c for v in value for c in codes(v)]
    return []
