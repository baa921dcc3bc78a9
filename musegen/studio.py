"""The logic behind the app's pages, without Streamlit: paths, the run library, presets, the
token-cutoff preview, a model pool, and turning a generated piece into MIDI / score / audio.

Pages stay thin — widgets in, these calls, results out — and tests reach all of this directly.
"""
from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter, OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .generate import steer
from .config import DataConfig, ModelConfig, RunConfig, SampleConfig, TokenizerConfig, TrainConfig
from .errors import AudioError, MusegenError
from .files import safe_name
from .messages import Message, from_json, msg
from .music.piece import Piece
from .serve.visitors import folder_of

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RUNS_ENV = "MUSEGEN_RUNS"
BUNDLED_ENV = "MUSEGEN_BUNDLED_DIR"
STUDY_RESULTS = Path("docs") / "study" / "results.json"

MODEL_KINDS = {
    "wavenet": "WaveNet (dilated causal convolutions)",
    "lstm": "LSTM (the article's recurrent model)",
    "simple-wavenet": "Simple WaveNet (the article's version)",
}



def runs_dir() -> Path:
    """Where the runs people train go: $MUSEGEN_RUNS, else runs/ in the project."""
    return Path(os.environ.get(RUNS_ENV) or PROJECT_ROOT / "runs")


def bundled_dir() -> Path:
    """The pretrained runs shipped with the app: $MUSEGEN_BUNDLED_DIR, else assets/models/."""
    return Path(os.environ.get(BUNDLED_ENV) or PROJECT_ROOT / "assets" / "models")


# ---------------------------------------------------------------- the run library


@dataclass
class Entry:
    run: object  # runs.Run
    bundled: bool

    @property
    def path(self) -> Path:
        return self.run.path

    @property
    def label(self) -> str:
        s = self.run.summary
        bits = [MODEL_KINDS.get(s.get("model", ""), s.get("model", "?")).split(" (")[0]]
        if s.get("val_loss") is not None:
            bits.append(f"val loss {s['val_loss']:.2f}")
        return f"{self.run.name} — {', '.join(bits)}{' (bundled)' if self.bundled else ''}"


def library(visitor=None, shared=None) -> list[Entry]:
    """Bundled runs (read-only; WaveNet first), then the runs this visitor may use, newest first:
    the server's own, their own (everyone's for the operator), and runs shared with them: the
    paths ``visitors.shared_with`` gave, else looked up now (a share its owner ended is gone).
    visitor None: a private server, every run under runs/ (the command line, tests)."""
    from .runs import Run, list_runs
    from .serve.visitors import shared_with, visitor_runs

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
    """The run's bundle .zip for this visitor (runs.zip_run), refused to anyone but its owner."""
    from .errors import ModelError
    from .messages import msg
    from .runs import zip_run

    if not may_download(visitor, run_path):
        raise ModelError(msg("said.not_owner", name=Path(run_path).name))
    return zip_run(run_path)


def dataset_source(run):
    """Where a run's music came from, as its data.json says: a list of files' label as its code
    ("source_message": a Message), else "source" as stored (a built-in set's name, a path, or the
    English label an older run kept for its files: shown as it is); None when it says nothing."""
    said = from_json(run.data.get("source_message"))
    return said if isinstance(said, Message) else run.data.get("source") or None


def dataset_title(run):
    """'Bach chorales' for a run trained on a built-in dataset, else where its music came from
    (dataset_source: a Message, or text as the run stored it)."""
    from .music.sources import BUILTIN

    name = run.config.data.dataset
    if name in BUILTIN:
        return BUILTIN[name].title
    if name == BASE_RUN:
        return "music21's corpus in every layout (the base model)"
    source = dataset_source(run)
    return source if isinstance(source, Message) else str(source or name)


def is_bundled(path) -> bool:
    return Path(path).resolve().parent == bundled_dir().resolve()


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


def download_name(rendered) -> str:
    """A file name that says what the piece is and never collides: run, seed and variation, whole."""
    return safe_name(rendered.piece.name.lower(), limit=120, empty="music")


def wav_of(rendered) -> bytes:
    """The piece as WAV, rendered when the person asks for it (the app keeps OGG, a tenth the size)."""
    from .render.audio import render_bytes

    return render_bytes(rendered.midi, fmt="wav", max_seconds=rendered.piece.seconds + 2)


def new_run_path(dataset_label: str, kind: str, visitor=None) -> Path:
    """A new run's folder: the visitor's own (a private server: runs/ itself)."""
    label = safe_name(dataset_label.lower(), limit=40, empty="music")
    return folder_of(visitor, runs_dir()) / f"{label}-{kind}-{time.strftime('%Y%m%d-%H%M%S')}"


def run_row(run, tokens_per_s: float | None = None) -> dict:
    """One row of the comparison table."""
    s = run.summary
    return {
        "run": run.name,
        "model": s.get("model", run.config.model.kind),
        "parameters": s.get("params"),
        "receptive field": (msg("said.n_tokens", n=s["receptive_field"]) if s.get("receptive_field")
                            else "unbounded (recurrent)" if s.get("model") == "lstm" else None),
        "epochs": s.get("epochs"),
        "training time (s)": round(s["seconds"], 1) if s.get("seconds") is not None else None,
        "best val loss": round(s["val_loss"], 4) if s.get("val_loss") is not None else None,
        "val accuracy": round(s["val_accuracy"], 4) if s.get("val_accuracy") is not None else None,
        "generation tokens/s": round(tokens_per_s, 1) if tokens_per_s else None,
    }


def study_headline(root: Path | None = None) -> list[dict] | None:
    """The study's headline table (docs/study/results.json, key "headline"), if it exists."""
    path = Path(root if root is not None else PROJECT_ROOT) / STUDY_RESULTS
    if not path.is_file():
        return None
    try:
        rows = json.loads(path.read_text()).get("headline")
    except (ValueError, AttributeError, OSError):
        return None
    return rows if isinstance(rows, list) and all(isinstance(r, dict) for r in rows) and rows else None


# ---------------------------------------------------------------- training settings

PRESETS = {
    "Quick test (about 30 s)": dict(
        max_files=12, window=64, stride=32, epochs=2, batch_size=16, learning_rate=3e-3, steps_per_epoch=12,
        embedding_dim=16, residual_channels=16, skip_channels=32, dilation_depth=5, stacks=1,
        lstm_units=32, lstm_layers=1, lstm_dense=32, simple_filters=16, simple_blocks=3, simple_dense=32,
        dropout=0.0, minutes=1.0),
    "Small (a few minutes)": dict(
        max_files=100, window=256, stride=128, epochs=0, batch_size=16, learning_rate=2e-3, steps_per_epoch=0,
        embedding_dim=32, residual_channels=32, skip_channels=64, dilation_depth=8, stacks=1,
        lstm_units=64, lstm_layers=2, lstm_dense=128, simple_filters=32, simple_blocks=4, simple_dense=64,
        dropout=0.1, minutes=5.0),
    "Full (like the bundled models)": dict(
        max_files=0, window=512, stride=256, epochs=0, batch_size=8, learning_rate=1e-3, steps_per_epoch=0,
        embedding_dim=64, residual_channels=64, skip_channels=128, dilation_depth=8, stacks=2,
        lstm_units=128, lstm_layers=2, lstm_dense=256, simple_filters=64, simple_blocks=4, simple_dense=128,
        dropout=0.1, minutes=15.0),
}

DEFAULT_PRESET = "Quick test (about 30 s)"

SCHEMES = {
    "metre": "bars, beats and parts (recommended)",
    "rich": "pitch + duration + time shift",
    "notes": "the article's notes and chords",
}


def build_config(dataset: str, kind: str, values: dict, scheme: str = "metre", min_count: int = 50,
                 seed: int = 1, early_stopping: int = 3, transpose: int = 0, base=None) -> RunConfig:
    """A RunConfig from the Train page's widget values (a PRESETS-shaped dict). ``base``: a run to
    fine-tune; its model and tokens are kept, so the values' model settings do not apply."""
    v = values
    model = ModelConfig(kind=kind, embedding_dim=v["embedding_dim"], dropout=v["dropout"],
                        residual_channels=v["residual_channels"], skip_channels=v["skip_channels"],
                        dilation_depth=v["dilation_depth"], stacks=v["stacks"], lstm_units=v["lstm_units"],
                        lstm_layers=v["lstm_layers"], lstm_dense=v["lstm_dense"], simple_filters=v["simple_filters"],
                        simple_blocks=v["simple_blocks"], simple_dense=v["simple_dense"])
    tokenizer = TokenizerConfig(scheme=scheme, min_count=min_count)
    if base is not None:
        model, tokenizer = replace(base.config.model), replace(base.config.tokenizer)
    return RunConfig(
        data=DataConfig(dataset=dataset, max_files=v["max_files"], window=v["window"], stride=v["stride"]),
        tokenizer=tokenizer,
        model=model,
        train=TrainConfig(epochs=v["epochs"], batch_size=v["batch_size"], learning_rate=v["learning_rate"],
                          max_seconds=float(v["minutes"]) * 60.0, early_stopping=early_stopping, seed=seed,
                          steps_per_epoch=v["steps_per_epoch"], transpose=transpose,
                          base=str(base.path) if base is not None else ""),
    )


SMALL_SET = 500  # pieces: below this, the Train page starts from the base model by default
BASE_RUN = "base"  # the bundled broad base (musegen/train/basemodel.py)


def default_start(entries: list[Entry], n_pieces: int) -> Entry | None:
    """What a new training starts from: the bundled base for a small set (it already knows music
    in every layout, so minutes adapt it), nothing for a big one or where there is no base."""
    base = next((e for e in entries if e.bundled and e.run.name == BASE_RUN), None)
    return base if base is not None and n_pieces <= SMALL_SET else None


def tokens_per_bar(pieces: list[Piece], tokenizer_config: TokenizerConfig | None = None, sample: int = 40) -> float:
    """How many tokens one bar of this music takes in a scheme (over up to ``sample`` pieces)."""
    from .tokens.registry import make_tokenizer

    tok = make_tokenizer(tokenizer_config or TokenizerConfig())
    chosen = pieces[:: max(1, len(pieces) // sample)][:sample]
    bars = sum(len(p.bar_starts()) for p in chosen)
    return sum(len(tok.piece_tokens(p)) for p in chosen) / bars if bars else float("nan")


def context_text(config: RunConfig, per_bar: float, lang: str = "en") -> str:
    """What the model can hear at once, in bars of this music: "512 tokens ≈ 9 bars"."""
    from .models.build import receptive_field
    from .text import t

    window = config.data.window
    field_ = receptive_field(config.model) or window
    seen = min(field_, window) if config.model.kind != "lstm" else window
    bars = seen / per_bar if per_bar == per_bar and per_bar > 0 else float("nan")
    if bars != bars:
        told = t("context.bars_unknown", lang)
    else:
        told = t("context.bar" if round(bars) == 1 else "context.bars", lang, bars=bars)
    what = "context.lstm" if config.model.kind == "lstm" else "context.hears"
    return t(what, lang, tokens=seen, told=told)


def first_files(loaded, n: int):
    """The first n pieces of a LoadResult (what max_files would have loaded), report included."""
    if not n or n >= len(loaded.pieces):
        return loaded
    from .music.sources import LoadResult

    return LoadResult(loaded.pieces[:n], loaded.parsed[:n], loaded.source, loaded.cached)


# ---------------------------------------------------------------- dataset exploration


def token_frequencies(pieces: list[Piece]) -> Counter:
    """How often each token of the article's notes/chords scheme occurs (computed once; the
    cutoff slider then only filters)."""
    from .tokens.notes import NotesTokenizer

    tokenizer = NotesTokenizer(TokenizerConfig(scheme="notes"))
    return Counter(t for p in pieces for t in tokenizer.piece_tokens(p))


def cutoff_preview(counts: Counter, cutoff: int) -> dict:
    """What a rare-token cutoff would drop: the tokens, their count, and the share of notes lost."""
    dropped = {t: n for t, n in counts.items() if n < cutoff}
    total = sum(counts.values()) or 1
    return {
        "tokens": len(counts),
        "kept": len(counts) - len(dropped),
        "dropped": dict(sorted(dropped.items(), key=lambda kv: (-kv[1], kv[0]))),
        "dropped_occurrences": int(sum(dropped.values())),
        "share": sum(dropped.values()) / total,
    }


def report_rows(loaded) -> list[dict]:
    return [{"file": r.name, "status": r.status, "reason": r.reason, "notes": r.notes,
             "seconds": round(r.seconds, 1)} for r in loaded.report]


# ---------------------------------------------------------------- generation


class ComposerPool:
    """Loaded models shared by every session (the app keeps one pool in st.cache_resource).

    Keyed by run folder + model file time, so a retrained or renamed run is reloaded; the least
    recently used model is dropped beyond `size` (RAM is shared on the hosted demo).
    """

    def __init__(self, size: int = 4):
        self.size = size
        self._lock = threading.Lock()
        self._loading: dict[tuple, threading.Lock] = {}
        self._composers: OrderedDict = OrderedDict()

    @staticmethod
    def key(run) -> tuple:
        model = Path(run.path) / "model.keras"
        return str(Path(run.path).resolve()), model.stat().st_mtime if model.is_file() else 0.0

    def get(self, run):
        from .serve.disk import touch
        from .generate.sample import Composer

        if not is_bundled(run.path):
            touch(run.path)  # recently used: the disk budget evicts it last
        key = self.key(run)
        with self._lock:
            if key in self._composers:
                self._composers.move_to_end(key)
                return self._composers[key]
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:  # one load per model even when several sessions ask at once
            with self._lock:
                if key in self._composers:
                    return self._composers[key]
            composer = Composer(run)
            with self._lock:
                self._composers[key] = composer
                while len(self._composers) > self.size:
                    self._composers.popitem(last=False)
                self._loading.pop(key, None)
            return composer

    def warm(self, run, sample: SampleConfig) -> threading.Thread:
        """Load and compile in the background, so the first click plays in seconds."""
        def work():
            try:
                self.get(run).compose(replace(sample, seed=0))
            except Exception:  # noqa: BLE001 — warming is an optimisation only
                pass

        thread = threading.Thread(target=work, name=f"musegen-warm-{run.name}", daemon=True)
        thread.start()
        return thread


HOME_SAMPLE = SampleConfig(seconds=20.0, primer="random", primer_tokens=64)

# Steering choices on the Generate page (musegen.generate.steer does the work).
FREE, AUTO = "free", steer.AUTO  # the Generate page's key choices besides a tonic (opt.tonic.* says them)
KEY_TONICS = [FREE, AUTO] + list(steer.NOTE_NAMES)
SCALE_NAMES = list(steer.SCALES)
NOTE_CHOICES = [steer.pitch_name(p) for p in range(21, 109)]  # A0 … C8, the piano
TIME_SIGNATURES = ["2/4", "3/4", "4/4", "5/4", "6/8", "9/8", "12/8", "2/2", "3/2"]


def key_setting(tonic: str, mode: str) -> str:
    """The Generate page's key choice as SampleConfig.key: "", steer.AUTO or "D minor"."""
    if tonic == FREE:
        return ""
    return AUTO if tonic == AUTO else f"{tonic} {mode}"


@dataclass
class Rendered:
    """A generated piece made ready to see, hear and download; each part is best-effort."""

    piece: Piece
    midi: bytes
    musicxml: str | None = None
    svg: list[str] = field(default_factory=list)
    audio: bytes | None = None
    notes: list = field(default_factory=list)  # what could not be made, for a person: Messages (str: stored before)
    warning: Message | str | None = None  # collapse warning (sample.collapse_message)
    settings: dict = field(default_factory=dict)
    tokens_per_s: float = 0.0
    run: str = ""


def render_piece(piece: Piece, audio: bool = True, score: bool = True, max_seconds: float = 120.0,
                 max_score_pages: int = 2) -> Rendered:
    from .render.audio import check_audio, render_bytes
    from .render.midi import piece_to_midi_bytes

    out = Rendered(piece, piece_to_midi_bytes(piece))
    problem = check_audio() if audio else None
    if problem:
        out.notes.append(msg("said.no_audio", problem=problem))
    with ThreadPoolExecutor(max_workers=1) as pool:
        # FluidSynth and sox run as processes: the score is engraved while they work.
        sound = pool.submit(render_bytes, out.midi, fmt="ogg", max_seconds=max_seconds) if audio and not problem else None
        if score:
            engrave(out, max_score_pages)
        if sound is not None:
            try:
                out.audio = sound.result()
            except AudioError as e:
                out.notes.append(msg("said.no_audio", problem=e.message))
    return out


def engrave(out: Rendered, max_pages: int = 2) -> Rendered:
    """Fill in the MusicXML and score pages of a Rendered (once; a no-op when already tried)."""
    from .render.midi import piece_to_musicxml, score_svg

    if out.musicxml is not None or any(_no_score(n) for n in out.notes):
        return out
    try:
        out.musicxml = piece_to_musicxml(out.piece, title=out.piece.name)
        out.svg = score_svg(out.musicxml)[:max_pages]
    except MusegenError as e:
        out.notes.append(msg("said.no_score", error=e.message))
    except Exception as e:  # noqa: BLE001 — music21/verovio can fail on odd rhythms; the rest still works
        out.notes.append(msg("said.engraving_failed", error=type(e).__name__))
    return out


def _no_score(note) -> bool:
    """A note that says the score could not be made (engraving is tried once; a piece kept before
    notes were codes, whose English is not read back, is tried once more)."""
    return isinstance(note, Message) and note.code in ("said.no_score", "said.engraving_failed")


def compose_variations(pool: ComposerPool, run, sample: SampleConfig, n: int = 1, piece: Piece | None = None,
                       **render_kw) -> list[Rendered]:
    """Generate n pieces with `run` in one batch (same settings and seed, different draws) and
    render each; each carries its own collapse warning."""
    from .generate.sample import collapse_message

    composition = pool.get(run).compose(replace(sample, variations=max(1, int(n))), piece=piece)
    settings = {"seed": composition.seed, "temperature": sample.temperature,
                "rhythm_temperature": sample.rhythm_temperature, "top_k": sample.top_k,
                "top_p": sample.top_p, "seconds": sample.seconds,
                "primer": "your MIDI" if piece is not None else sample.primer, "steering": composition.steering}
    out = []
    for i, (made, ids) in enumerate(zip(composition.pieces, composition.ids)):
        rendered = render_piece(made, **render_kw)
        rendered.notes[:0] = composition.remarks  # shown under the piece, like a missing score
        rendered.warning = collapse_message(ids)
        rendered.tokens_per_s = composition.tokens_per_s
        rendered.run = run.name
        rendered.settings = {**settings, "variation": i + 1, "variations": len(composition.pieces)}
        out.append(rendered)
    return out


def compose(pool: ComposerPool, run, sample: SampleConfig, piece: Piece | None = None, **render_kw) -> Rendered:
    """Generate one piece with `run` and render it; the collapse warning comes along."""
    return compose_variations(pool, run, sample, 1, piece=piece, **render_kw)[0]


def random_seed() -> int:
    return int(np.random.default_rng().integers(1, 1_000_000))
