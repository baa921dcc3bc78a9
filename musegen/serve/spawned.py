"""Start a spawned process without running the caller's main script in it again.

``multiprocessing``'s spawn start method re-imports the parent's ``__main__`` in every child, so
that functions defined there can be unpickled. Under Streamlit ``__main__`` is the app script
(its script runner installs the page as ``sys.modules["__main__"]``), so every training worker
ran ``app.py`` again: a visitor folder made, session settings written, and a thousand "missing
ScriptRunContext" warnings in the log, once per job. Our workers' functions live in ``musegen``
and need nothing from ``__main__``: while a process starts it is shown an empty one.

One lock for every caller: two threads starting processes at once must not each restore the
other's stand-in as the real ``__main__``.
"""
from __future__ import annotations

import sys
import threading
import types

_LOCK = threading.Lock()


def start(process) -> None:
    """``process.start()`` (a ``multiprocessing`` process) with an empty ``__main__`` in place of the
    caller's: the child imports only what its target and arguments need."""
    with _LOCK:
        real = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            process.start()
        finally:
            if real is not None:
                sys.modules["__main__"] = real
