"""The music a visitor works with: the dataset they chose (a built-in set or their upload), kept for
reloads; its name as the pages show it; reading it with a progress bar; an uploaded primer; and
how many tokens a bar of it takes in a scheme."""
from __future__ import annotations

import streamlit as st

from musegen.studio import presets
from musegen.config import DataConfig
from musegen.messages import msg
from musegen.serve.saved_session import NotKept
from ui.language import duration_text, opt, tr, tr_count
from ui.server import builtin_dataset
from ui.session import DATASET, limits, not_kept, saved


def current_dataset() -> dict | None:
    return st.session_state.get(DATASET)


def choose_dataset(label: str, result, name: str | None = None, files: list | None = None) -> None:
    """The music this visitor works with: a built-in (name) or their upload (files), kept for reloads
    (first: an upload that does not fit the disk budget is refused, and chosen nowhere)."""
    try:
        saved().save_dataset(label, name=name, files=files, report=result.report)
    except NotKept as e:  # chosen for this session all the same
        not_kept(e)
    st.session_state[DATASET] = {"label": label, "name": name, "result": result}
    keep_cache_in_budget()


def keep_cache_in_budget() -> None:
    """The parsed-dataset cache grows with every new upload: past its budget the least recently
    used files go."""
    from musegen.serve import disk
    from musegen.music.parsecache import default_cache_dir

    disk.enforce(disk.cache_files(default_cache_dir()), limits().max_cache_mb * 1_000_000)


def dataset_label(data: dict) -> str:
    """The chosen music's name in the current language (a built-in set's title is translated)."""
    return opt("dataset", data["name"]) if data.get("name") else data["label"]


def totals_text(summary: dict) -> str:
    """What was read, in one line (five metrics filled a phone's screen): files read and skipped,
    notes, how long the music lasts; each file's details are in the per-file report below."""
    files = (tr("ds.totals_skipped", n=summary["files"], parsed=summary["parsed"], skipped=summary["skipped"])
             if summary["skipped"] else tr_count("ds.totals_files", summary["files"]))
    return tr("ds.totals", files=files, notes=summary["notes"], duration=duration_text(summary["seconds"]))


def reading_progress(bar, budget: float = 0.0):
    """load_pieces' progress on a st.progress bar: files read and, once the pace is known
    (music.progress.FilesLeft), about how long is left, in the visitor's language. ``budget``: an upload's
    reading time (Limits.max_upload_parse_seconds), the most the time left can be."""
    from musegen.music.progress import FilesLeft

    pace = FilesLeft(budget)

    def report(done: int, total: int, file: str) -> None:
        left = pace.seconds_left(done, total)
        label = (tr("ds.reading_file", done=done, total=total, file=file) if left is None
                 else tr("ds.reading_left", done=done, total=total, left=duration_text(left)))
        bar.progress(done / max(1, total), text=label)

    return report


def read_upload(name: str, data: bytes):
    """One uploaded file as a Piece, read in a worker process like every upload (never in the
    server), once per file content and session."""
    import hashlib

    from musegen.errors import InputError
    from musegen.music.sources import load_pieces

    key = ("upload", hashlib.sha256(data).hexdigest())
    if key not in st.session_state:
        result = load_pieces([(name, data)], DataConfig(), cache_dir=False)
        if not result.pieces:
            reason = result.report[0].reason if result.report else msg("said.r_unusable")
            raise InputError(msg("said.about", name=name, error=reason))
        st.session_state[key] = result.pieces[0]
    return st.session_state[key]


def tokens_per_bar(data: dict | None, tokenizer_config) -> float:
    """Tokens per bar of the chosen music in a scheme, computed once per dataset and scheme."""
    key = ("tokens-per-bar", data["label"] if data else "bach", tokenizer_config.scheme)
    if key not in st.session_state:
        pieces = data["result"].pieces if data else builtin_dataset("bach").pieces
        st.session_state[key] = presets.tokens_per_bar(pieces, tokenizer_config)
    return st.session_state[key]
