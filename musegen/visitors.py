"""Who owns what on a shared server: visitors, their runs, share links, the operator.

A visitor is a random secret token kept in a browser cookie (the app sets it); what the server
stores is only its hash, the *owner key*: a visitor's runs live in ``<runs>/visitors/<key>/`` and
their trainings carry the key. Runs in ``<runs>/`` itself were trained from the command line by
whoever runs the server: every visitor may use them, only the operator may change them.

Sharing a run gives it a share token (``shared.json`` in the run): its link lets anyone use the
run, never change it. The operator (``MUSEGEN_OPERATOR_PASSWORD``) may manage everything.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from .files import atomic_write

VISITORS = "visitors"
SHARED = "shared.json"
OPERATOR_ENV = "MUSEGEN_OPERATOR_PASSWORD"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def valid_token(token) -> bool:
    return isinstance(token, str) and _TOKEN.fullmatch(token) is not None


def owner_key(token: str) -> str:
    """What the server keeps of a visitor: a hash, so a folder name or a database row is no key."""
    return hashlib.sha256(token.encode()).hexdigest()[:24]


def operator_password_ok(password: str, environ=None) -> bool:
    expected = (os.environ if environ is None else environ).get(OPERATOR_ENV, "")
    return bool(expected) and hmac.compare_digest(password.encode(), expected.encode())


@dataclass(frozen=True)
class Visitor:
    """The person behind one browser: their owner key, and whether they unlocked operator rights."""

    key: str
    operator: bool = False

    def folder(self, runs: Path) -> Path:
        return Path(runs) / VISITORS / self.key

    def owns(self, run_path, runs: Path) -> bool:
        return Path(run_path).resolve().parent == self.folder(runs).resolve()

    def may_change(self, run_path, runs: Path) -> bool:
        """Rename, delete, share: the run's owner, or the operator (bundled runs: nobody)."""
        return self.operator or self.owns(run_path, runs)


def owner_of(run_path, runs: Path) -> str:
    """The owner key of a visitor's run; "" for the server's own runs."""
    path = Path(run_path).resolve()
    visitors = (Path(runs) / VISITORS).resolve()
    return path.parent.name if path.parent.parent == visitors else ""


def share_token(run_path) -> str | None:
    try:
        token = json.loads((Path(run_path) / SHARED).read_text()).get("token")
    except (OSError, ValueError, AttributeError):
        return None
    return token if valid_token(token) else None


def share(run_path) -> str:
    """Give the run a share token (kept if it has one) and return it."""
    token = share_token(run_path) or new_token()
    atomic_write(Path(run_path) / SHARED, json.dumps({"token": token}))
    return token


def unshare(run_path) -> None:
    (Path(run_path) / SHARED).unlink(missing_ok=True)


def find_shared(token: str, runs: Path) -> Path | None:
    """The run a share link points at, or None (unknown, or no longer shared)."""
    if not valid_token(token):
        return None
    for marker in (Path(runs) / VISITORS).glob(f"*/*/{SHARED}"):
        if marker.parent.name.startswith("."):
            continue
        found = share_token(marker.parent)
        if found is not None and hmac.compare_digest(found, token):
            return marker.parent
    return None


def visitor_runs(visitor: Visitor, runs: Path) -> list:
    """The runs a visitor may use besides the bundled ones: the server's own, their own, and with
    operator rights every visitor's."""
    from .runs import list_runs

    runs = Path(runs)
    folders = [runs, visitor.folder(runs)]
    if visitor.operator:
        folders += sorted(p for p in (runs / VISITORS).glob("*") if p.is_dir() and p != visitor.folder(runs))
    return list_runs(*folders)
