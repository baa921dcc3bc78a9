"""The keys that name parsed music in the caches: a file's entry in the user's cache (with
``parsecache.entry_key``) and a whole built-in set's shipped cache (``shippedsets``). Whatever could
change what parsing gives is in them: the cache format's version, the parsers' versions, the parse
settings and limits."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from functools import lru_cache

from ..config import Limits
from . import parsecache
from .gather import FileToParse
from .report import FileReport

CACHE_VERSION = 4  # 2: parts, time signatures and keys; 3: absurd tempos refused; 4: compressed, by column


def parse_settings(parts: str, drums: bool, limits: Limits) -> str:
    """Everything besides a file's name and bytes that decides what parsing it gives."""
    return parsecache.settings_fingerprint({"version": CACHE_VERSION, "readers": _reader_versions(), "parts": parts,
                                            "drums": drums, "limits": _limits_key(limits)})


def dataset_key(items: list[FileToParse], early: list[FileReport], parts: str, drums: bool, max_files: int,
                limits: Limits) -> str:
    """The key of a whole dataset load: names a shipped built-in set."""
    payload = {
        "version": CACHE_VERSION,
        "readers": _reader_versions(),
        "parts": parts,
        "drums": drums,
        "max_files": max_files,
        "limits": _limits_key(limits),
        "files": [[it.name, it.sha256, str(it.refused)] for it in items],  # English, as keys were made
        "early": [[r.name, str(r.reason)] for r in early],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


# Limits that never change what a file gives, left out of the cache keys (so the shipped sets still
# match): a file refused for memory is not cached, and a load's budget or walk cap stop a load.
NOT_IN_KEY = ("max_parse_memory_mb", "max_upload_parse_seconds", "max_folder_entries")


def _limits_key(limits: Limits) -> dict:
    return {k: v for k, v in dataclasses.asdict(limits).items() if k not in NOT_IN_KEY}


@lru_cache(maxsize=1)
def _reader_versions() -> dict[str, str]:
    """The parsers' versions, part of the key: a new music21 may read the same file differently.
    From the installed metadata (milliseconds), without importing music21 (half a second)."""
    from importlib import metadata

    versions = {}
    for package in ("music21", "symusic"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = ""
    return versions
