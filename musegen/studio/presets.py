"""The Train page's settings: presets, the RunConfig its widgets make, what a new training starts
from, and what a model of those settings hears at once, in bars of this music.
"""
from __future__ import annotations

from dataclasses import replace

from ..config import DataConfig, ModelConfig, RunConfig, TokenizerConfig, TrainConfig
from ..music.piece import Piece
from .run_library import BASE_RUN, Entry

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


def default_start(entries: list[Entry], n_pieces: int) -> Entry | None:
    """What a new training starts from: the bundled base for a small set (it already knows music
    in every layout, so minutes adapt it), nothing for a big one or where there is no base."""
    base = next((e for e in entries if e.bundled and e.run.name == BASE_RUN), None)
    return base if base is not None and n_pieces <= SMALL_SET else None


def tokens_per_bar(pieces: list[Piece], tokenizer_config: TokenizerConfig | None = None, sample: int = 40) -> float:
    """How many tokens one bar of this music takes in a scheme (over up to ``sample`` pieces)."""
    from ..tokens.registry import make_tokenizer

    tok = make_tokenizer(tokenizer_config or TokenizerConfig())
    chosen = pieces[:: max(1, len(pieces) // sample)][:sample]
    bars = sum(len(p.bar_starts()) for p in chosen)
    return sum(len(tok.piece_tokens(p)) for p in chosen) / bars if bars else float("nan")


def bars_key(key: str, bars: float) -> str:
    """The entry that says a number of bars right: ``key + "_under_bar"`` below half a bar ("≈ 0
    bars" says nothing), ``key + "_1"`` for about one, ``key`` for more."""
    return f"{key}_under_bar" if bars < 0.5 else f"{key}_1" if round(bars) == 1 else key


def context_text(config: RunConfig, per_bar: float, lang: str = "en") -> str:
    """What the model can hear at once, in bars of this music: "512 tokens ≈ 9 bars"."""
    from ..models.build import receptive_field
    from ..text import t

    window = config.data.window
    field_ = receptive_field(config.model) or window
    seen = min(field_, window) if config.model.kind != "lstm" else window
    bars = seen / per_bar if per_bar == per_bar and per_bar > 0 else float("nan")
    told = t("context.bars_unknown", lang) if bars != bars else t(bars_key("context.bars", bars), lang, bars=bars)
    what = "context.lstm" if config.model.kind == "lstm" else "context.hears"
    return t(what, lang, tokens=seen, told=told)


def first_files(loaded, n: int):
    """The first n pieces of a LoadResult (what max_files would have loaded), report included."""
    if not n or n >= len(loaded.pieces):
        return loaded
    from ..music.report import LoadResult

    return LoadResult(loaded.pieces[:n], loaded.parsed[:n], loaded.source, loaded.cached)
