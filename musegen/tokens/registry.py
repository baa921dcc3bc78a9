"""The token schemes by name: the one module that knows every tokenizer.

Each scheme is one file behind the base class in ``base.py`` (which imports none of them):
``metre``, ``rich``, ``notes`` and ``remi``. A run's ``tokenizer.json`` names its scheme and
holds its settings and vocabulary; ``tokenizer_from_json`` rebuilds it.
"""
from __future__ import annotations

import json

from ..config import TokenizerConfig, from_dict
from ..errors import ModelError
from ..messages import msg
from .metre import MetreTokenizer
from .notes import NotesTokenizer
from .remi import RemiTokenizer  # MidiTok itself is imported only when a remi tokenizer is made
from .rich import RichTokenizer
from .base import Tokenizer


def schemes() -> dict[str, type[Tokenizer]]:
    return {"metre": MetreTokenizer, "rich": RichTokenizer, "notes": NotesTokenizer, "remi": RemiTokenizer}


def _scheme(config: TokenizerConfig) -> type[Tokenizer]:
    known = schemes()
    if config.scheme not in known:
        raise ModelError(msg("said.unknown_scheme", scheme=config.scheme, known=", ".join(known)))
    return known[config.scheme]


def make_tokenizer(config: TokenizerConfig) -> Tokenizer:
    return _scheme(config)(config)


def tokenizer_from_json(text: str) -> Tokenizer:
    state = json.loads(text)
    config = from_dict(TokenizerConfig, state["config"])
    return _scheme(config).from_state(config, state)
