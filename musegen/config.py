"""Every setting as plain data: dataclasses that round-trip through JSON.

A run saves its RunConfig, so reloading it rebuilds exactly the same tokenizer and model.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from .errors import InputError
from .messages import msg, plural


@dataclass
class Limits:
    """Guards against hostile or accidental input (the hosted demo shares one process)."""

    max_file_bytes: int = 5_000_000
    max_notes: int = 100_000
    max_seconds: float = 3600.0  # a 44-byte MIDI can claim years of silence
    max_zip_members: int = 2_000
    max_zip_bytes: int = 200_000_000  # total uncompressed
    max_zip_ratio: float = 200.0  # compression ratio above which a member is a bomb
    max_parse_seconds: float = 60.0  # per file, in its worker process; 0 = no limit (a big MusicXML can take minutes)
    # A score's text (MusicXML, inside an .mxl too; ABC; kern): music21's time grows about with its
    # square (4.4 MB took 255 s), and the built-in corpora's largest is 1.4 MB. 0 = no limit.
    max_score_bytes: int = 2_000_000
    # Memory a parse worker may take beyond what it holds once started (its imports), in MB; a file
    # that needs more is refused instead of taking the server's memory (an .mxl once asked 2.37 GB).
    # The built-in corpora need under 100. 0 = no limit. Linux only (an address-space limit).
    max_parse_memory_mb: int = 1000
    # All the files of one upload (the app's, given as bytes) share this reading time; once they have
    # used it the rest are skipped (a 348 kB zip of 2,000 tiny ABC tunes promised 13 h). 0 = no limit.
    max_upload_parse_seconds: float = 300.0
    # Files and folders a dataset folder may hold (its dot-folders not entered): past it the walk
    # stops with a message (`--dataset /` walked the whole file system). 0 = no limit.
    max_folder_entries: int = 100_000


@dataclass
class DataConfig:
    dataset: str = "bach"  # a built-in name, or a folder / file / .zip path
    parts: str = "all"  # all (every part) | auto (piano parts if any, else all: the article) | piano | 0,2
    drums: bool = True  # keep drum tracks as a drum part (only the metre scheme writes them)
    max_files: int = 0  # 0 = every file
    val_fraction: float = 0.1
    window: int = 512  # tokens the model sees per training example (≥ 8 bars of a chorale)
    stride: int = 256  # step between consecutive windows of one piece
    limits: Limits = field(default_factory=Limits)


@dataclass
class TokenizerConfig:
    scheme: str = "metre"  # metre: bars, positions, parts | rich: time shifts | notes: the article's
    positions_per_quarter: int = 12  # metre: the grid in a bar (12 holds sixteenths and triplets)
    max_parts: int = 8  # metre: parts beyond this many (fewest notes first) are dropped
    steps_per_quarter: int = 4  # rich: the time grid (4 = sixteenth notes)
    max_shift_steps: int = 16  # rich: longest single time-shift token (longer gaps use several)
    max_duration_steps: int = 32  # rich: longer notes are clipped
    velocity_bins: int = 0  # metre, rich: 0 = no velocity tokens
    min_pitch: int = 21
    max_pitch: int = 108
    min_count: int = 50  # notes: drop tokens seen fewer times (the article used 50)
    step_quarters: float = 0.5  # notes: fixed step when written back (the article's half beat)


@dataclass
class ModelConfig:
    kind: str = "wavenet"  # wavenet | simple-wavenet | lstm
    embedding_dim: int = 64
    inputs: str = "embedding"  # embedding | scalar (the article's ids / vocab_size)
    targets: str = "sequence"  # sequence: every position | last: only the next token (the article)
    dropout: float = 0.1
    # wavenet
    residual_channels: int = 64
    skip_channels: int = 128
    kernel_size: int = 2
    dilation_depth: int = 8  # dilations 1, 2, ..., 2**(depth-1) per stack (2 stacks of 8: 512 tokens of context)
    stacks: int = 2
    # simple-wavenet (the article's)
    simple_filters: int = 64
    simple_blocks: int = 4  # the article: int(sqrt(32)) - 1
    simple_kernel_size: int = 3
    simple_dense: int = 128
    # lstm (the article's)
    lstm_units: int = 128
    lstm_layers: int = 2
    lstm_dense: int = 256


@dataclass
class TrainConfig:
    epochs: int = 20  # 0 = no count: until max_seconds (or early stopping) ends the training
    batch_size: int = 8  # windows per step; with 512-token windows, 32 gave too few steps to learn pitch well
    learning_rate: float = 1e-3
    max_seconds: float = 0.0  # time budget; 0 = none
    early_stopping: int = 3  # stop when val loss has not improved for this many epochs (best kept); 0 = off
    seed: int = 1
    steps_per_epoch: int = 0  # 0 = one pass over the training windows
    # Augmentation: each window moved by up to ± this many semitones; 0 = off. Off by default: it
    # raised validation loss and blurred the harmony in every set-up measured (docs/quality.md).
    transpose: int = 0
    jitter: bool = False  # augmentation: nudge tempo and velocity tokens by one step at random
    base: str = ""  # fine-tune: the run (folder) whose weights training starts from
    # auto: mixed float16 on GPUs of compute capability 7.0 or more (tensor cores), else float32;
    # mixed: float16 everywhere (slow on a CPU). Weights, logits and loss stay float32 either way.
    precision: str = "auto"
    jit_compile: str = "auto"  # XLA-compiled training steps; auto: Keras's choice (on with one GPU, off on a CPU)


@dataclass
class SampleConfig:
    length: int = 400  # tokens to generate
    seconds: float = 0.0  # if > 0, generate until this much music instead of `length` tokens
    temperature: float = 0.8  # 0 = greedy argmax (the article); 0.8 fit the data best in docs/study.md
    # Timing tokens (bar lines, positions, durations) are drawn at their own temperature: 0.8 on them
    # pushed the chorales' notes onto the beat (0.89 on-beat vs 0.82 real), 1.0 keeps the data's
    # rhythm while pitches stay at `temperature` (docs/quality.md). Ignored when temperature is 0.
    rhythm_temperature: float = 1.0
    top_k: int = 0
    top_p: float = 0.9  # nucleus: measured in docs/quality.md, it brought beat chords and pitch statistics nearer real music
    seed: int | None = None
    variations: int = 1
    primer: str = "random"  # random (a validation window) | none | a MIDI file path
    primer_tokens: int = 64
    primer_bars: int = 0  # if > 0, the primer is this many whole bars (metre scheme) instead of primer_tokens
    keep_primer: bool = True  # a continuation of the user's music starts with their passage
    tempo: float = 0.0  # BPM of the output; 0 = the primer's, else the dataset's
    program: int | None = None  # General MIDI instrument for every pitched part; None = the parts' own
    # Steering (musegen/generate/steer.py): rules on the next-token choice, for every model and scheme.
    key: str = ""  # "" = free, "auto" = the primer's key, or a named key: "D minor", "Bb major", "F# dorian"
    key_strength: float = 0.95  # 1 = strict (only the scale); below, an outside note is (1 - s) times as likely
    pitch_range: str = ""  # lowest-highest note, e.g. "C3-C6"; "" = the model's whole range
    # Form: a bar that begins like an earlier bar is carried on as its repeat with this many nats of
    # encouragement (metre scheme; 0 = off). 2 brought bar repetition near real music in docs/quality.md.
    # A run whose data.json says how often its music repeats a bar (bars_repeated) keeps its pieces
    # near that share (steer.BarEcho): the chorales' few repeats, the folk tunes' many.
    echo: float = 2.0
    repetition_guard: bool = True  # no passage of 32 tokens followed the same way a 4th time: no loops
    bars: int = 0  # if > 0, generate this many bars (metre scheme) instead of seconds/length
    time_signature: str = ""  # e.g. "3/4": the metre of a piece started from nothing (metre scheme)
    # Form (generate/form.py): sections that come back, e.g. "AABA" in phrases of phrase_bars bars,
    # each repeat "exact" or "varied"; "" = free (the model's own). A form with no bars or seconds
    # asked writes one round of it.
    form: str = ""
    repeats: str = "varied"
    phrase_bars: int = 4
    # Chords in (generate/chords.py): a progression the music follows, e.g. "C G Am F", one chord a
    # bar; a note outside the chord on a beat is (1 - chord_strength) times as likely (1: never). 0.95
    # left too many beats of a Bach model's 6/8 off the chord; docs/accompany.md measures 0.99 on every model.
    chords: str = ""
    chord_strength: float = 0.99
    # Chords on the beat (generate/beat_chords.py): the pitches that no triad or seventh chord could
    # hold together with what sounds on the beat get at most 1 - harmony of the probability there
    # (1: never; 0: the model's own harmony). 0.95 brought minutes-trained models' beat chords near
    # real music's and left the Bach WaveNet's near Bach's (docs/transfer.md, docs/quality.md).
    harmony: float = 0.95
    # Rhythm like its music (generate/pulse.py): the share of notes begun on a beat kept near the
    # share in the music the run learnt from (data.json's on_beat_share). A quartet fine-tune of
    # 5 minutes leant to the beat, 0.60-0.71 of its notes there against the quartets' 0.53.
    match_rhythm: bool = True

    def check(self) -> "SampleConfig":
        """Refuse a setting outside its range with one sentence (the CLI, the app and the API all
        pass here): a typo must not hang the machine or write an empty file."""
        for name, (low, high) in SAMPLE_RANGES.items():
            value = getattr(self, name)
            if value is None:
                continue
            if not isinstance(value, (int, float)) or value != value or not low <= value <= high:
                raise InputError(msg("said.between", name=name.replace("_", " "), low=number_text(low),
                                     high=number_text(high), value=repr(value)))
        if self.length < 1 and self.seconds <= 0 and self.bars <= 0:
            raise InputError(msg("said.ask_music"))
        self.check_form()
        self.check_work()
        return self

    def check_form(self) -> None:
        from .generate.form import PHRASE_BARS, REPEATS, parse_form  # generate reads this config

        parse_form(self.form)
        if self.repeats not in REPEATS:
            raise InputError(msg("said.bad_repeats", repeats=self.repeats, known=", ".join(REPEATS)))
        if self.phrase_bars not in PHRASE_BARS:
            raise InputError(msg("said.bad_phrase_bars", bars=self.phrase_bars,
                                 allowed="/".join(map(str, PHRASE_BARS))))

    def check_work(self) -> None:
        """Each setting in its range can still ask for hours of work together: the variations share
        one budget of music per request (REQUEST_BUDGET), so a request ends in about a minute."""
        n = self.variations
        if self.bars > 0:
            name, asked, unit = "bars", self.bars, "bars"
        elif self.seconds > 0:
            name, asked, unit = "seconds", self.seconds, "seconds"
        else:
            name, asked, unit = "length", self.length, "tokens"
        most = REQUEST_BUDGET[name]
        if n * asked > most:
            raise InputError(msg("said.too_much_work", n=n, asked=number_text(asked), unit=msg(f"said.u_{unit}"),
                                 total=number_text(n * asked), most=number_text(most), name=msg(f"said.u_{name}_name"),
                                 each=number_text(most // n)))


# What SampleConfig accepts (also shown in `musegen generate --help`).
SAMPLE_RANGES = {
    "length": (0, 20_000), "seconds": (0, 600), "bars": (0, 512), "temperature": (0, 5),
    "rhythm_temperature": (0.05, 5), "top_k": (0, 10_000),
    "top_p": (1e-6, 1), "variations": (1, 8), "primer_tokens": (0, 4096), "primer_bars": (0, 64),
    "tempo": (0, 400), "program": (0, 127), "key_strength": (0, 1), "chord_strength": (0, 1), "harmony": (0, 1), "echo": (0, 20), "seed": (0, 2**32 - 1),
}
# What one request may write over all its variations: each sequence costs the same per token, so
# 8 variations of 20,000 tokens took minutes (WaveNet 3, LSTM 3.5 on two busy cores) where this
# is well under one. Generation also stops any sequence at REQUEST_BUDGET["length"] / variations
# tokens, whatever the seconds or bars asked (a dense model can write 40 tokens a beat).
REQUEST_BUDGET = {"length": 20_000, "seconds": 600, "bars": 512}


# What a RunConfig accepts, per section (the training ranges are also shown in `musegen train
# --help`). Wide enough for every real set-up; narrow enough that a typo (a window of 0, a negative
# learning rate, 2 as a validation share) is refused before music is read or a folder written.
RUN_RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "data": {"window": (2, 16384), "stride": (1, 16384), "val_fraction": (0, 0.9), "max_files": (0, 100_000)},
    "tokenizer": {"positions_per_quarter": (1, 96), "max_parts": (1, 64), "steps_per_quarter": (1, 96),
                  "max_shift_steps": (1, 4096), "max_duration_steps": (1, 4096), "velocity_bins": (0, 127),
                  "min_pitch": (0, 127), "max_pitch": (0, 127), "min_count": (0, 1_000_000), "step_quarters": (0.01, 16)},
    "model": {"embedding_dim": (1, 4096), "dropout": (0, 0.9), "residual_channels": (1, 4096),
              "skip_channels": (1, 4096), "kernel_size": (1, 16), "dilation_depth": (1, 16), "stacks": (1, 16),
              "simple_filters": (1, 4096), "simple_blocks": (1, 16), "simple_kernel_size": (1, 16),
              "simple_dense": (1, 4096), "lstm_units": (1, 4096), "lstm_layers": (1, 16), "lstm_dense": (1, 4096)},
    "train": {"epochs": (0, 100_000),  # 0: until the time budget (or early stopping) ends it
              "batch_size": (1, 4096),
              "learning_rate": (0, 1),  # 0: the weights stay as they are (a test of fine-tuning uses it)
              "max_seconds": (0, 604_800), "early_stopping": (0, 10_000), "seed": (0, 2**32 - 1),
              "steps_per_epoch": (0, 100_000),
              "transpose": (-1, 24)},  # -1: off, as older runs and the bundled models wrote it
    "limits": {name: (0, float("inf")) for name in ("max_file_bytes", "max_notes", "max_seconds", "max_zip_members",
                                                    "max_zip_bytes", "max_zip_ratio", "max_parse_seconds",
                                                    "max_score_bytes", "max_parse_memory_mb",
                                                    "max_upload_parse_seconds", "max_folder_entries")},
}
RUN_CHOICES = {"kind": ("wavenet", "simple-wavenet", "lstm"), "scheme": ("metre", "rich", "notes", "remi"),
               "inputs": ("embedding", "scalar"), "targets": ("sequence", "last"),
               "precision": ("auto", "float32", "mixed"), "jit_compile": ("auto", "on", "off")}


def number_text(x: float) -> str:
    """A range's end for a message or --help: 100,000 and 4,294,967,295 rather than 1e+05."""
    return f"{x:,}" if isinstance(x, int) else f"{x:g}"


def _shown(value, limit: int = 40) -> str:
    """A bad value as quoted in a message: repr (control characters escaped), cut short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_settings(obj, ranges: dict[str, tuple[float, float]]) -> None:
    """Each plain field of dataclass `obj` has its default's type (an int is whole, not true/false)
    and lies in its range: a config.json may hold "abc", a list or -5 anywhere."""
    for f in dataclasses.fields(obj):
        if f.default is dataclasses.MISSING:
            continue  # a nested section, checked on its own
        value, label = getattr(obj, f.name), f.name.replace("_", " ")
        if isinstance(f.default, bool):
            if not isinstance(value, bool):
                raise InputError(msg("said.must_bool", name=label, value=_shown(value)))
        elif isinstance(f.default, str):
            if not isinstance(value, str):
                raise InputError(msg("said.must_text", name=label, value=_shown(value)))
            if f.name in RUN_CHOICES and value not in RUN_CHOICES[f.name]:
                raise InputError(msg("said.must_choice", name=label, choices=", ".join(RUN_CHOICES[f.name]),
                                     value=_shown(value)))
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise InputError(msg("said.must_number", name=label, value=_shown(value)))
        elif isinstance(f.default, int) and not isinstance(value, int):
            raise InputError(msg("said.must_whole", name=label, value=_shown(value)))
        if f.name in ranges:
            low, high = ranges[f.name]
            if not low <= value <= high:
                raise InputError(msg("said.between", name=label, low=number_text(low), high=number_text(high),
                                     value=_shown(value)))


@dataclass
class RunConfig:
    data: DataConfig = field(default_factory=DataConfig)
    tokenizer: TokenizerConfig = field(default_factory=TokenizerConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def check(self) -> "RunConfig":
        """Refuse a mistyped or out-of-range setting with one sentence (the CLI's flags and --config,
        a run's saved config.json): a typo must fail before music is read or a folder written."""
        for section, kind in (("data", DataConfig), ("tokenizer", TokenizerConfig), ("model", ModelConfig),
                              ("train", TrainConfig)):
            value = getattr(self, section)
            if not isinstance(value, kind):
                raise InputError(msg("said.section_object", section=section, value=_shown(value)))
            check_settings(value, RUN_RANGES[section])
        if not isinstance(self.data.limits, Limits):
            raise InputError(msg("said.section_object", section="limits", value=_shown(self.data.limits)))
        check_settings(self.data.limits, RUN_RANGES["limits"])
        if not self.train.epochs and not self.train.max_seconds:
            raise InputError(msg("said.epochs_or_budget"))
        if self.tokenizer.min_pitch > self.tokenizer.max_pitch:
            raise InputError(msg("said.pitch_order", low=self.tokenizer.min_pitch, high=self.tokenizer.max_pitch))
        return self

    def to_json(self) -> str:
        return json.dumps(to_dict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "RunConfig":
        return from_dict(cls, json.loads(text))


def to_dict(obj) -> dict[str, Any]:
    return dataclasses.asdict(obj)


def from_dict(cls, data: dict[str, Any]):
    """Build dataclass `cls` from a dict, recursing into nested dataclasses.

    Unknown keys are refused with a message naming them, so a typo never passes silently.
    """
    if not isinstance(data, dict):  # e.g. a config.json holding a list
        raise InputError(msg("said.settings_object", kind=cls.__name__, type=type(data).__name__))
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise InputError(plural("said.unknown_settings", len(unknown), kind=cls.__name__, names=", ".join(unknown)))
    kwargs = {}
    for name, value in data.items():
        default = known[name].default_factory if known[name].default_factory is not dataclasses.MISSING else None
        if default is not None and dataclasses.is_dataclass(default) and isinstance(value, dict):
            kwargs[name] = from_dict(default, value)
        else:
            kwargs[name] = value
    return cls(**kwargs)


def replace(obj, **changes):
    """dataclasses.replace that ignores None values (CLI flags left unset)."""
    return dataclasses.replace(obj, **{k: v for k, v in changes.items() if v is not None})


def usable_cores() -> int:
    """The CPU cores this process may run on."""
    import os

    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def trainings_the_cores_carry() -> int:
    """How many trainings a server runs at once at most, whatever it is asked: one core per
    training is left to the pages. Each training keeps every core busy, so more at once trains no
    faster and starves the pages: five at once on two cores kept a new visitor's Home off screen
    for over two minutes (bench/visitors.py, before this limit)."""
    return max(1, usable_cores() - 1)


@dataclass
class AppLimits:
    """What the app allows one visitor on a shared server (the hosted demo: one process, ~2.7 GB).

    Read from the environment (``from_env``) so a deployment changes them without code; a
    Streamlit Community Cloud app gets root-level secrets as environment variables.
    """

    max_upload_mb: int = 50  # per upload (keep .streamlit/config.toml's server.maxUploadSize in step)
    max_training_minutes: float = 15.0  # time budget cap per training; 0 = no cap
    max_concurrent_trainings: int = 1  # across all sessions; others wait in a queue
    max_trainings_per_visitor: int = 2  # running or queued at once: one running and one waiting
    max_runs_per_visitor: int = 10  # a visitor's oldest run is deleted (with a notice) past this
    max_runs_mb: int = 2000  # disk for all visitors' runs; least recently used go first; 0 = no cap
    max_cache_mb: int = 1000  # disk for the parsed-dataset cache, the same way

    ENV = {
        "max_upload_mb": "MUSEGEN_MAX_UPLOAD_MB",
        "max_training_minutes": "MUSEGEN_MAX_TRAINING_MINUTES",
        "max_concurrent_trainings": "MUSEGEN_MAX_CONCURRENT_TRAININGS",
        "max_trainings_per_visitor": "MUSEGEN_MAX_TRAININGS_PER_VISITOR",
        "max_runs_per_visitor": "MUSEGEN_MAX_RUNS_PER_VISITOR",
        "max_runs_mb": "MUSEGEN_MAX_RUNS_MB",
        "max_cache_mb": "MUSEGEN_MAX_CACHE_MB",
    }

    @classmethod
    def from_env(cls, environ=None) -> "AppLimits":
        import os

        environ = os.environ if environ is None else environ
        values = {}
        for name, var in cls.ENV.items():
            text = environ.get(var, "").strip()
            if not text:
                continue
            kind = type(getattr(cls, name))
            try:
                values[name] = kind(float(text)) if kind is int else kind(text)
            except ValueError:
                raise InputError(msg("said.env_not_number", var=var, text=repr(text))) from None
            if values[name] < 0:
                raise InputError(msg("said.env_negative", var=var, text=text))
        limits = cls(**values)
        limits.max_concurrent_trainings = max(1, min(limits.max_concurrent_trainings, trainings_the_cores_carry()))
        limits.max_trainings_per_visitor = max(1, limits.max_trainings_per_visitor)
        limits.max_runs_per_visitor = max(1, limits.max_runs_per_visitor)
        return limits

    @property
    def max_training_seconds(self) -> float:
        return self.max_training_minutes * 60.0
