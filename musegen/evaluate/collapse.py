"""Collapse: has generation fallen into a loop of tokens or locked into a short figure?"""
from __future__ import annotations

import numpy as np

from ..generate.remarks import collapse_message, collapse_warning
from ..messages import Message
from ..music.piece import Piece
from .repetition import longest_loop, ostinato, ostinato_message


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


def collapse_reason(piece: Piece | None = None, ids=None) -> Message | None:
    """What to tell a person when the output collapsed (its tokens, then its notes), else None."""
    warning = collapse_message(ids) if ids is not None else None
    return warning or (ostinato_message(piece) if piece is not None else None)
