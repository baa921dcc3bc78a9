"""The Dataset page: how often each token occurs, what a rare-token cutoff would drop, and the
per-file report of a load.
"""
from __future__ import annotations

from collections import Counter

from ..config import TokenizerConfig
from ..music.piece import Piece
from ..music.report import key_signature

def token_frequencies(pieces: list[Piece]) -> Counter:
    """How often each token of the article's notes/chords scheme occurs (computed once; the
    cutoff slider then only filters)."""
    from ..tokens.notes import NotesTokenizer

    tokenizer = NotesTokenizer(TokenizerConfig(scheme="notes"))
    return Counter(t for p in pieces for t in tokenizer.piece_tokens(p))


def cutoff_preview(counts: Counter, cutoff: int) -> dict:
    """What a rare-token cutoff would drop: the tokens, their count, and the share of notes lost."""
    dropped = {t: n for t, n in counts.items() if n < cutoff}
    total = sum(counts.values()) or 1
    return {
        "tokens": len(counts),
        "kept": len(counts) - len(dropped),
        "dropped": dict(sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0]))),
        "dropped_occurrences": int(sum(dropped.values())),
        "share": sum(dropped.values()) / total,
    }


UNKNOWN = "—"  # a skipped file's metre, key and tempo; a parsed one's a cache did not keep


def report_rows(loaded) -> list[dict]:
    """The per-file report: each file, how it was read, and the metre, key and tempo it was read in
    (a student checks their jigs came out in 6/8): those first, for a phone's narrow table, and the
    reason, empty for most files, last."""
    return [{"file": r.name, "status": r.status, "metre": r.metre or UNKNOWN,
             "key": key_signature(r.key_sharps) or UNKNOWN, "tempo (bpm)": f"{r.tempo:g}" if r.tempo else UNKNOWN, "notes": r.notes, "seconds": round(r.seconds, 1),
             "reason": r.reason} for r in loaded.report]
