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
