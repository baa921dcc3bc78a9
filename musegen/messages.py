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
        return text.t(self.code, lang, **{name: said(value, lang) for name, value in self.values.items()})

    def __str__(self) -> str:
        return self.said(text.DEFAULT)

    def to_json(self) -> dict:
        return {"code": self.code, "values": {name: _to_json(value) for name, value in self.values.items()}}


def msg(code: str, **values) -> Message:
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
