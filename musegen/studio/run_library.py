"""The run library: the runs a visitor may use (bundled ones first), their labels, which one a page
selects by default, who may download a run's bundle, and the Compare page's rows.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

from .. import text
from ..errors import MusegenError
from ..files import safe_name
from ..messages import Message, from_json, msg
from ..paths import PROJECT_ROOT, bundled_dir, is_bundled, runs_dir
from ..serve.visitors import folder_of

STUDY_RESULTS = Path("docs") / "study" / "results.json"
BASE_RUN = "base"  # the bundled broad base (musegen/train/basemodel.py)

MODEL_KINDS = {
    "wavenet": "WaveNet (dilated causal convolutions)",
    "lstm": "LSTM (the article's recurrent model)",
    "simple-wavenet": "Simple WaveNet (the article's version)",
}


@dataclass
class Entry:
    run: object  # runs.folder.Run
    bundled: bool

    @property
    def path(self) -> Path:
        return self.run.path

    @property
    def label(self) -> str:
        """"bach-wavenet — WaveNet, error on music it never heard: 0.94 (lower is better) (bundled)"."""
        s = self.run.summary
        loss = s.get("val_loss")
        return text.t("runs.label", name=self.run.name,
                      kind=MODEL_KINDS.get(s.get("model", ""), s.get("model", "?")).split(" (")[0],
                      loss=text.t("runs.loss", loss=loss) if loss is not None else "",
                      bundled=text.t("runs.bundled") if self.bundled else "")


def library(visitor=None, shared=None) -> list[Entry]:
    """Bundled runs (read-only; WaveNet first), then the runs this visitor may use, newest first:
    the server's own, their own (everyone's for the operator), and runs shared with them: the
    paths ``visitors.shared_with`` gave, else looked up now (a share its owner ended is gone).
    visitor None: a private server, every run under runs/ (the command line, tests)."""
    from ..runs.folder import Run
    from ..runs.library import list_runs
    from ..serve.visitors import shared_with, visitor_runs

    bundled = sorted(list_runs(bundled_dir()), key=lambda r: (r.summary.get("model") != "wavenet", r.name))
    if runs_dir().resolve() == bundled_dir().resolve():
        user = []
    elif visitor is None:
        user = list_runs(runs_dir())
    else:
        user = visitor_runs(visitor, runs_dir())
    seen = {r.path.resolve() for r in user}
    if shared is None:
        shared = shared_with(visitor, runs_dir())[0] if visitor is not None else []
    for path in shared:
        try:
            if Path(path).resolve() not in seen:
                user.append(Run.load(path))
        except MusegenError:
            continue  # deleted or unshared since
    return [Entry(r, True) for r in bundled] + [Entry(r, False) for r in user]


def may_download(visitor, run_path) -> bool:
    """A run's whole bundle (its weights, the names and hashes of its music) is its owner's: a share
    lends the run for composing only. Bundled runs ship with the app, so anyone may have those."""
    return visitor is None or is_bundled(run_path) or visitor.may_change(run_path, runs_dir())


def bundle_for(visitor, run_path) -> bytes:
    """The run's bundle .zip for this visitor (runs.bundle.zip_run), refused to anyone but its owner."""
    from ..errors import ModelError
    from ..messages import msg
    from ..runs.bundle import zip_run

    if not may_download(visitor, run_path):
        raise ModelError(msg("said.not_owner", name=Path(run_path).name))
    return zip_run(run_path)


def dataset_source(run):
    """Where a run's music came from, as its data.json says: a list of files' label as its code
    ("source_message": a Message), else "source" as stored (a built-in set's name, a path, or the
    English label an older run kept for its files: shown as it is); None when it says nothing."""
    said = from_json(run.data.get("source_message"))
    if isinstance(said, Message) and said.values.get("n") == 1 and f"{said.code}_1" in text.EN:
        said = Message(f"{said.code}_1", said.values)  # kept before "1 uploaded file" had its own entry
    return said if isinstance(said, Message) else run.data.get("source") or None


def dataset_title(run):
    """'Bach chorales' for a run trained on a built-in dataset, else where its music came from
    (dataset_source: a Message, or text as the run stored it)."""
    from ..music.corpus import BUILTIN

    name = run.config.data.dataset
    if name in BUILTIN:
        return BUILTIN[name].title
    if name == BASE_RUN:
        return "music21's corpus in every layout (the base model)"
    source = dataset_source(run)
    return source if isinstance(source, Message) else str(source or name)


def default_entry(entries: list[Entry], kind: str | None = None) -> Entry | None:
    for e in entries:
        if kind is None or e.run.summary.get("model", e.run.config.model.kind) == kind:
            return e
    return None


ROUGH_GAP = 0.5  # nats of validation loss: a run this much worse than another on the same music is rough


def better_than_rough(run, entries: list[Entry]) -> Entry | None:
    """A run much better than `run` at the same music and tokens (the bundled one, often), when `run`
    is clearly undertrained; else None. Generate then selects that one and says why."""
    loss = run.summary.get("val_loss")
    if loss is None:
        return None
    same = [e for e in entries if e.path != run.path and e.run.summary.get("val_loss") is not None
            and e.run.config.data.dataset == run.config.data.dataset
            and e.run.config.tokenizer.scheme == run.config.tokenizer.scheme]
    best = min(same, key=lambda e: e.run.summary["val_loss"], default=None)
    return best if best is not None and best.run.summary["val_loss"] < loss - ROUGH_GAP else None


MUSIC_SUFFIX = re.compile(r"\.(zip|midi?|mxl|musicxml|xml|krn|abc)$", re.IGNORECASE)  # "jigs.zip": "jigs"


def new_run_path(music: str, kind: str, visitor=None, base: str = "", lang: str = text.DEFAULT) -> Path:
    """A new run's folder in the visitor's own (a private server: runs/ itself), named by
    ``new_run_name``."""
    return folder_of(visitor, runs_dir()) / new_run_name(music, kind, base, lang)


def new_run_name(music: str, kind: str, base: str = "", lang: str = text.DEFAULT) -> str:
    """A new run's name, for a person in their language: what learnt, from which music, when:
    "wavenet-on-jigs-2026-12-06-09h14" (``music``: the built-in set's name or the upload's, a
    folder's or a file's), "base-tuned-on-jigs-…" (fine-tuned from ``base``, a run folder). The
    model first keeps it from ever reading as a bundled run ("bach-wavenet"). The app and
    `musegen train` both name runs so."""
    heard = safe_name(MUSIC_SUFFIX.sub("", music).lower(), limit=40, empty="music")
    when = time.strftime("%Y-%m-%d-%Hh%M", time.localtime())  # a second one this minute: the caller numbers it
    tuned = safe_name(Path(base).name, limit=30, empty="run")
    name = (text.t("runs.new_tuned", lang, base=tuned, music=heard, when=when) if base
            else text.t("runs.new_name", lang, model=kind, music=heard, when=when))
    return safe_name(name, empty=when)


MEASURED_LOSS = "held-out loss (measured alike)"  # the columns when the answer measured the runs again
MEASURED_ACCURACY = "held-out accuracy (measured alike)"


def run_row(run, tokens_per_s: float | None = None, measured: dict | None = None) -> dict:
    """One row of the comparison table. measured: the loss and accuracy the Compare answer measured
    for this run ({"loss", "accuracy"}), shown in place of the ones it recorded while training: those
    were measured on its own validation music, not like for like (``own_row`` keeps them)."""
    s = run.summary
    if measured:
        figures = {MEASURED_LOSS: _rounded(measured.get("loss"), 3),
                   MEASURED_ACCURACY: _rounded(measured.get("accuracy"), 4)}
    else:
        figures = {"best val loss": _rounded(s.get("val_loss"), 3), "val accuracy": _rounded(s.get("val_accuracy"), 4)}
    return {
        "run": run.name,
        "model": s.get("model", run.config.model.kind),
        **figures,  # as the answer says them, and first: a phone shows them
        "parameters": s.get("params"),
        "receptive field": (msg("said.n_tokens", n=s["receptive_field"]) if s.get("receptive_field")
                            else "unbounded (recurrent)" if s.get("model") == "lstm" else None),
        "epochs": s.get("epochs"),
        "training time (s)": round(s["seconds"], 1) if s.get("seconds") is not None else None,
        "generation tokens/s": round(tokens_per_s, 1) if tokens_per_s else None,
    }


def own_row(run) -> dict:
    """What a run measured itself while training, on its own validation music (and the window it
    read that music in): Compare's details, beside the figures it measured alike."""
    s = run.summary
    return {"run": run.name, "best val loss": _rounded(s.get("val_loss"), 3),
            "val accuracy": _rounded(s.get("val_accuracy"), 4), "validation window (tokens)": run.config.data.window}


def _rounded(value, digits: int):
    return round(value, digits) if value is not None else None


def study_results(root: Path | None = None) -> dict:
    """The study's results (docs/study/results.json), or {} when there are none to read."""
    path = Path(root if root is not None else PROJECT_ROOT) / STUDY_RESULTS
    try:
        results = json.loads(path.read_text()) if path.is_file() else {}
    except (ValueError, OSError):
        return {}
    return results if isinstance(results, dict) else {}


def study_headline(root: Path | None = None) -> list[dict] | None:
    """The study's headline table (docs/study/results.json, key "headline"), if it exists."""
    rows = study_results(root).get("headline")
    return rows if isinstance(rows, list) and all(isinstance(r, dict) for r in rows) and rows else None


def study_seconds(root: Path | None = None) -> float | None:
    """How long the study trained each run, in seconds."""
    settings = study_results(root).get("settings")
    return settings.get("seconds_per_model") if isinstance(settings, dict) else None


def study_rows(headline: list[dict]) -> list[dict]:
    """The study's headline as the Compare page shows it: the columns a person reads (of its ~70),
    each mean with its spread over seeds in one cell."""
    def spread(row, key, fmt):
        mean, sd = row.get(key), row.get(f"{key}_sd")
        if mean is None:
            return None
        return fmt.format(mean) + (f" ± {fmt.format(sd)}" if sd else "")

    return [{
        "dataset": row.get("dataset"),
        "model": row.get("model"),
        "setup": row.get("setup"),
        "seeds": row.get("seeds"),
        "parameters": int(row["params"]) if row.get("params") is not None else None,
        "epochs": round(row["epochs"]) if row.get("epochs") is not None else None,
        "held-out loss (mean ± sd)": spread(row, "val_nll", "{:.3f}") or spread(row, "val_loss", "{:.3f}"),
        "val accuracy": spread(row, "val_accuracy", "{:.1%}"),
        "generation tokens/s": round(row["tokens_per_s"]) if row.get("tokens_per_s") is not None else None,
    } for row in headline]
