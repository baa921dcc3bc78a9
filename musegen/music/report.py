"""What a load gives: the pieces, a report on every file (parsed, or skipped and why), and the reasons
for skipping a file that are not a reader's (``readers.Refused`` gives those)."""
from __future__ import annotations

from dataclasses import dataclass

from ..config import Limits
from ..messages import Message, msg
from .piece import Piece


@dataclass
class FileReport:
    name: str
    status: str  # "parsed" | "skipped"
    reason: Message | str = ""  # "" when parsed; a Message when skipped (an English one cached: parsed again)
    notes: int = 0
    seconds: float = 0.0  # length of the music (from the tempo map)
    sha256: str = ""
    # What a musician checks the file was read as; "" / None / 0.0: not known (a skipped file, a
    # shipped set saved before these were kept)
    metre: str = ""  # its first time signature: "6/8"
    key_sharps: int | None = None  # its key signature: sharps > 0, flats < 0
    tempo: float = 0.0  # its first tempo, in quarter notes per minute


def music_fields(time_signatures, key_sharps, tempo) -> dict:
    """A parsed piece's metre, key signature and tempo as FileReport's fields (from a Piece, or from
    the same values a cache shard keeps)."""
    first = time_signatures[0] if time_signatures else None
    return {"metre": f"{int(first[1])}/{int(first[2])}" if first else "",
            "key_sharps": None if key_sharps is None else int(key_sharps), "tempo": round(float(tempo), 1)}


def music_of(piece: Piece | None) -> dict:
    """music_fields of a piece; {} for none (a skipped file)."""
    return {} if piece is None else music_fields(piece.time_signatures, piece.key_sharps, piece.tempo)


def parsed_report(name: str, piece: Piece, sha256: str = "") -> FileReport:
    return FileReport(name, "parsed", "", piece.n_notes, round(piece.seconds, 3), sha256, **music_of(piece))


# A key signature's major and relative minor ("1 sharp": G major or E minor): the signature alone
# does not say which of the two a piece is in.
MAJOR_OF_SHARPS = dict(zip(range(-7, 8), "C♭ G♭ D♭ A♭ E♭ B♭ F C G D A E B F♯ C♯".split()))
MINOR_OF_SHARPS = dict(zip(range(-7, 8), "A♭ E♭ B♭ F C G D A E B F♯ C♯ G♯ D♯ A♯".split()))


def key_signature(sharps: int | None) -> Message | None:
    """A key signature in words ("G major / E minor"); None where it is not known."""
    if sharps not in MAJOR_OF_SHARPS:
        return None
    return msg("said.key_signature", major=MAJOR_OF_SHARPS[sharps], minor=MINOR_OF_SHARPS[sharps])


@dataclass
class LoadResult:
    pieces: list[Piece]
    report: list[FileReport]
    source: Message | str  # a built-in set's name, a path; a list of files: a Message ("3 uploaded file(s)")
    cached: bool = False

    @property
    def parsed(self) -> list[FileReport]:
        return [r for r in self.report if r.status == "parsed"]

    @property
    def skipped(self) -> list[FileReport]:
        return [r for r in self.report if r.status != "parsed"]

    def summary(self) -> dict:
        parsed = self.parsed
        return {
            "files": len(self.report),
            "parsed": len(parsed),
            "skipped": len(self.report) - len(parsed),
            "notes": int(sum(r.notes for r in parsed)),
            "seconds": float(sum(r.seconds for r in parsed)),
        }


# A skipped file's reason (FileReport.reason) is a messages.Message; str() is its English.
CRASHED = Message("said.r_crashed")
NOT_REGULAR = Message("said.r_not_regular")


def timed_out(seconds: float) -> Message:
    return msg("said.r_timed_out", seconds=f"{seconds:g}")


def out_of_memory(mb: int) -> Message:
    return msg("said.r_memory", mb=f"{mb:,}")


def over_budget(seconds: float) -> Message:
    return msg("said.r_over_budget", seconds=f"{seconds:g}")


def transient_reasons(limits: Limits) -> list[Message]:
    """Reasons a busy or short-of-memory server may be to blame for: never cached, never shipped."""
    return [CRASHED, timed_out(limits.max_parse_seconds), out_of_memory(limits.max_parse_memory_mb),
            over_budget(limits.max_upload_parse_seconds)]
