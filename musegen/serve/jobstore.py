"""Where the trainings' state lives between server processes: one SQLite file.

A row per job holds what a restarted server needs to tell a person what happened: owner, state,
messages, epoch history, folders. Live-only things (batch points, sample audio) stay in memory.
SQLite because it ships with Python, survives a kill -9 (each write is a transaction) and lets
several threads write one at a time.
"""
from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from pathlib import Path

SCHEMA = """CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    submitted REAL NOT NULL,
    data TEXT NOT NULL
)"""


class JobStore:
    def __init__(self, path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute(SCHEMA)

    @contextlib.contextmanager
    def _connect(self):
        """One short connection per call: committed on success, always closed."""
        db = sqlite3.connect(self.path, timeout=10.0)
        try:
            with db:
                yield db
        finally:
            db.close()

    def save(self, row: dict) -> None:
        """Insert or replace one job's row (a dict of JSON-able values with id, owner, submitted)."""
        with self._lock, self._connect() as db:
            db.execute("INSERT OR REPLACE INTO jobs (id, owner, submitted, data) VALUES (?, ?, ?, ?)",
                       (row["id"], row.get("owner", ""), float(row["submitted"]), json.dumps(row)))

    def load(self) -> list[dict]:
        """Every stored job, oldest first; a row that no longer parses is skipped."""
        with self._lock, self._connect() as db:
            rows = db.execute("SELECT data FROM jobs ORDER BY submitted").fetchall()
        out = []
        for (data,) in rows:
            try:
                out.append(json.loads(data))
            except ValueError:
                continue
        return out

    def forget(self, job_ids) -> None:
        with self._lock, self._connect() as db:
            db.executemany("DELETE FROM jobs WHERE id = ?", [(i,) for i in job_ids])
