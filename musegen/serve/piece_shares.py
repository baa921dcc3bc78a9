"""Share links for one piece: a kept piece that anyone with its link may hear, read and download,
until its owner stops sharing it.

Sharing copies the piece (MIDI, audio, score, its name and what made it) into its owner's folder,
``<owner>/.shared-pieces/<digest>/``, the digest being a hash of the link's random token. The link
finds that copy and nothing else: not the owner's session, not their other pieces. The copy is
what was shared, on disk: a server restart keeps it, and the owner's session may forget the piece
(it keeps the newest twelve) while the link still plays it. It counts in the owner's disk budget.

Stop sharing renames the copy out of the link's reach first (one atomic step), then deletes it: a
link opened a moment later finds nothing, whoever opens it, however long their page was open.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..files import atomic_write
from ..messages import msg
from . import visitors
from .saved_session import read_piece, write_piece

SHARES = ".shared-pieces"  # in an owner's folder (a visitor's, or the runs folder of a private server)
SHARE = "share.json"  # in each shared copy: its token, and which piece it is a copy of
MAX_SHARED_PIECES = 24  # per owner: a link costs disk, and a stranger must not fill it with copies


@dataclass(frozen=True)
class SharedPiece:
    """One of an owner's shares: its link's token, the piece's name, and its MIDI's digest."""

    token: str
    name: str
    piece: str


def piece_digest(rendered) -> str:
    """Which piece a share is a copy of: its MIDI (a piece read back after a reload is the same MIDI)."""
    return hashlib.sha256(rendered.midi).hexdigest()


def _folder_name(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:40]


def _root(owner_folder) -> Path:
    return Path(owner_folder) / SHARES


# ---------------------------------------------------------------- the owner's side


def share_piece(owner_folder, rendered, budget_mb: int = 0) -> str:
    """Share a piece (its own copy, written whole before the link works) and return the link's token;
    a piece shared already keeps its link. Refused with an InputError past MAX_SHARED_PIECES or the
    disk budget."""
    existing = token_of(owner_folder, rendered)
    if existing is not None:
        return existing
    if len(shared_pieces(owner_folder)) >= MAX_SHARED_PIECES:
        raise InputError(msg("said.piece_shares_cap", n=MAX_SHARED_PIECES))
    from .disk import check_room

    check_room(owner_folder, budget_mb, len(rendered.midi) + len(rendered.audio or b"") + len(rendered.musicxml or ""))
    token = visitors.new_token()
    building = _root(owner_folder) / f".building-{secrets.token_hex(8)}"
    try:
        write_piece(building, rendered)
        atomic_write(building / SHARE, json.dumps({"token": token, "piece": piece_digest(rendered)}))
        os.replace(building, _root(owner_folder) / _folder_name(token))
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return token


def shared_pieces(owner_folder) -> list[SharedPiece]:
    """The owner's shares now, by piece name."""
    found = []
    for folder in sorted(_root(owner_folder).glob("*")) if _root(owner_folder).is_dir() else []:
        share = _share_of(folder)
        if share is not None:
            found.append(share)
    return sorted(found, key=lambda s: s.name)


def token_of(owner_folder, rendered) -> str | None:
    """The link's token of a piece this owner shares (None: not shared)."""
    digest = piece_digest(rendered)
    return next((s.token for s in shared_pieces(owner_folder) if s.piece == digest), None)


def unshare_piece(owner_folder, token: str) -> None:
    """Stop sharing: the link stops working at once (the copy is moved out of its reach in one
    step, then deleted). Only this owner's share of that token is touched."""
    if not visitors.valid_token(token):
        return
    folder = _root(owner_folder) / _folder_name(token)
    share = _share_of(folder)
    if share is None or not hmac.compare_digest(share.token, token):
        return
    gone = folder.with_name(f".gone-{secrets.token_hex(8)}")
    try:
        os.replace(folder, gone)
    except FileNotFoundError:  # stopped meanwhile (another tab)
        return
    shutil.rmtree(gone, ignore_errors=True)


def _share_of(folder: Path) -> SharedPiece | None:
    if folder.name.startswith("."):  # one being written, or being deleted
        return None
    try:
        share = json.loads((folder / SHARE).read_text())
        name = json.loads((folder / "meta.json").read_text())["name"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    token = share.get("token") if isinstance(share, dict) else None
    if not visitors.valid_token(token) or folder.name != _folder_name(token):
        return None
    return SharedPiece(token, str(name), str(share.get("piece", "")))


# ---------------------------------------------------------------- the link's side


def find_shared_piece(token, runs) -> Path | None:
    """The copy a piece's link points at (None: an unknown token, or one no longer shared): in the
    runs folder (a private server's) or any visitor's folder, checked against its own token."""
    if not visitors.valid_token(token):
        return None
    name = _folder_name(token)
    owners = [Path(runs)] + sorted(p for p in visitors.visitors_root(runs).glob("*") if p.is_dir())
    for owner in owners:
        share = _share_of(_root(owner) / name)
        if share is not None and hmac.compare_digest(share.token, token):
            return _root(owner) / name
    return None


def open_shared_piece(token, runs):
    """The piece behind a link, as rendering.Rendered (None: unknown, no longer shared, or gone
    while it was read)."""
    folder = find_shared_piece(token, runs)
    if folder is None:
        return None
    try:
        return read_piece(folder)
    except Exception:  # noqa: BLE001 — stopped while it was read, or damaged: the link says it is gone
        return None
