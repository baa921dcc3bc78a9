"""Who owns what on a shared server: visitors, their runs, share links, the operator.

A visitor is a random secret token kept in a browser cookie (the server sets it, HttpOnly, on the
page's connection: web.py); what the server stores is only its hash, the *owner key*: a visitor's runs live in ``<runs>/visitors/<key>/`` and
their trainings carry the key. Runs in ``<runs>/`` itself were trained from the command line by
whoever runs the server: every visitor may use them, only the operator may change them.

Sharing a run gives it a share token (``shared.json`` in the run): its link lets anyone use the
run, never change it nor download its bundle. A visitor who opened a link keeps its token, never the
run's path, and every listing looks the token up again: when the owner stops sharing (or deletes
the run), the share ends for everyone at once. The operator (``MUSEGEN_OPERATOR_PASSWORD``) may
manage everything.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from ..files import atomic_write

VISITORS = "visitors"
SHARED = "shared.json"
SHARED_WITH_ME = ".shared-with-me.json"  # in a visitor's folder: the share links they opened
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


class PasswordGate:
    """Wrong operator passwords make the next try wait, for the whole server: a stranger opens as
    many sessions as they like, so a wait per session would stop nobody. The first `free` wrong
    tries cost nothing (a typo), then each makes the next wait twice as long as the one before,
    from `first` seconds up to `most`; the right password clears it. 30 guesses took 20 s; now they
    take over three hours, and then one more each ten minutes. The price: a guesser also keeps the
    operator waiting, at most `most` seconds after their last guess."""

    def __init__(self, free: int = 3, first: float = 2.0, most: float = 600.0, clock=None):
        import time

        self.free, self.first, self.most = free, first, most
        self.clock = clock or time.monotonic
        self.failures, self.last = 0, 0.0
        self._lock = threading.Lock()

    def wait(self) -> float:
        """Seconds until a try is heard (0: now)."""
        with self._lock:
            return self._wait()

    def _wait(self) -> float:
        if self.failures < self.free:
            return 0.0
        delay = min(self.most, self.first * 2 ** (self.failures - self.free))
        return max(0.0, self.last + delay - self.clock())

    def attempt(self, password: str, environ=None) -> bool | None:
        """True: the operator's password; False: wrong (counted); None: not heard, wait() first."""
        with self._lock:
            if self._wait() > 0:
                return None
            if operator_password_ok(password, environ):
                self.failures = 0
                return True
            self.failures, self.last = self.failures + 1, self.clock()
            return False


OPERATOR_GATE = PasswordGate()  # one per server process, as the sessions share it


@dataclass(frozen=True)
class Visitor:
    """The person behind one browser: their owner key, and whether they unlocked operator rights."""

    key: str
    operator: bool = False

    def folder(self, runs: Path) -> Path:
        return visitors_root(runs) / self.key

    def owns(self, run_path, runs: Path) -> bool:
        return Path(run_path).resolve().parent == self.folder(runs).resolve()

    def may_change(self, run_path, runs: Path) -> bool:
        """Rename, delete, share: the run's owner, or the operator (bundled runs: nobody)."""
        return self.operator or self.owns(run_path, runs)


def visitors_root(runs) -> Path:
    """``<runs>/visitors``: every visitor's folder is in here."""
    return Path(runs) / VISITORS


def folder_of(visitor: Visitor | None, runs) -> Path:
    """Where a visitor's work goes (their runs, imports, kept session): ``<runs>/visitors/<key>``;
    on a private server (visitor None) ``runs`` itself."""
    return visitor.folder(runs) if visitor is not None else Path(runs)


def owner_of(run_path, runs: Path) -> str:
    """The owner key of a visitor's run; "" for the server's own runs."""
    path = Path(run_path).resolve()
    visitors = visitors_root(runs).resolve()
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


def _shared_runs(runs: Path) -> dict[str, Path]:
    """Every run shared now, by its share token."""
    found = {}
    for marker in visitors_root(runs).glob(f"*/*/{SHARED}"):
        token = share_token(marker.parent) if not marker.parent.name.startswith(".") else None
        if token is not None:
            found[token] = marker.parent
    return found


def find_shared(token: str, runs: Path) -> Path | None:
    """The run a share link points at, or None (unknown, or no longer shared)."""
    if not valid_token(token):
        return None
    return next((path for found, path in _shared_runs(runs).items() if hmac.compare_digest(found, token)), None)


def open_share(visitor: Visitor, token: str, runs: Path) -> Path | None:
    """A share link opened: the run behind it joins the visitor's library (None: unknown or no
    longer shared). The token is kept, so that the share is looked up again at every listing."""
    found = find_shared(token, runs)
    if found is not None:
        opened = [e for e in _opened(visitor, runs) if e["token"] != token]
        _keep_opened(visitor, runs, opened + [{"token": token, "path": str(found)}])
    return found


def shared_with(visitor: Visitor, runs: Path) -> tuple[list[Path], list[Path]]:
    """The runs behind the share links this visitor opened, each looked up again now, so that a
    share its owner ended (or a run deleted) is gone here too: (the runs still shared, where the
    others last were). The others are forgotten; a renamed run is found under its new name."""
    opened, live = _opened(visitor, runs), _shared_runs(runs)
    kept = [{"token": e["token"], "path": str(live[e["token"]])} for e in opened if e["token"] in live]
    if kept != opened:
        _keep_opened(visitor, runs, kept)
    return [Path(e["path"]) for e in kept], [Path(e["path"]) for e in opened if e["token"] not in live]


def _opened(visitor: Visitor, runs: Path) -> list[dict]:
    try:
        found = json.loads((visitor.folder(runs) / SHARED_WITH_ME).read_text())
    except (OSError, ValueError):
        return []
    # An older file held bare paths, which cannot say which share gave them: they are dropped.
    return [{"token": e["token"], "path": str(e.get("path", ""))} for e in found if isinstance(e, dict)
            and valid_token(e.get("token"))] if isinstance(found, list) else []


def _keep_opened(visitor: Visitor, runs: Path, opened: list[dict]) -> None:
    atomic_write(visitor.folder(runs) / SHARED_WITH_ME, json.dumps(opened))


def visitor_runs(visitor: Visitor, runs: Path) -> list:
    """The runs a visitor may use besides the bundled ones: the server's own, their own, and with
    operator rights every visitor's."""
    from ..runs.library import list_runs

    runs = Path(runs)
    folders = [runs, visitor.folder(runs)]
    if visitor.operator:
        folders += sorted(p for p in visitors_root(runs).glob("*") if p.is_dir() and p != visitor.folder(runs))
    return list_runs(*folders)
