"""What a training writes in its run folder besides the model and its history: config.json,
tokenizer.json, data.json (the music it learnt from), primers.npy (real windows to start from) and
summary.json (its size, best figures and how it ended, as a sentence and as a stop code; also for a
checkpoint whose training was killed)."""
from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import numpy as np

from ..config import RunConfig, to_dict
from ..data.dataset import TokenData, count_windows
from ..files import atomic_write
from ..messages import STOP_CODES, Message, stop_message, to_json
from ..models.build import receptive_field
from ..runs.folder import Run
from ..runs.save import save_array, write_json
from .basemodel import BASE_DATASET

N_PRIMERS = 64


def finite(values) -> bool:
    return bool(values) and bool(np.isfinite(values).any())


def write_start(folder: Path, config: RunConfig, tokenizer, loaded, token_data: TokenData, n_train_windows: int,
                val_windows) -> None:
    """The files a new run has from its first epoch on: its settings, tokens, music and primers."""
    write_json(folder / "config.json", to_dict(config))
    atomic_write(folder / "tokenizer.json", tokenizer.to_json())
    write_json(folder / "data.json", data_summary(loaded, token_data, tokenizer, n_train_windows, val_windows))
    save_array(folder / "primers.npy", primers(token_data, config.data.window, config.train.seed, tokenizer))


def primers(token_data: TokenData, window: int, seed: int, tokenizer) -> np.ndarray:
    """Real windows from validation pieces (or training ones), for 'start from the dataset'.
    With a scheme that has bar lines, a window is the piece's header (tempo, instruments) and
    then the music from a random bar line, so a primer says who plays and where the beat is."""
    sequences = token_data.val or token_data.train
    rng = np.random.default_rng(seed)
    bar = tokenizer.bar_id
    windows = []
    for _ in range(N_PRIMERS):
        seq = sequences[rng.integers(len(sequences))]
        head = tokenizer.header(seq) if bar is not None else seq[:0]
        starts = np.flatnonzero(seq == bar) if bar is not None else []
        if len(starts):
            start = int(starts[rng.integers(max(1, np.searchsorted(starts, len(seq) - window // 2)))])
        else:
            start = int(rng.integers(0, max(1, len(seq) - window)))
        chunk = np.concatenate([head, seq[start:]])[:window]
        windows.append(np.pad(chunk, (0, window - len(chunk)), constant_values=tokenizer.pad_id))
    return np.stack(windows).astype(np.int32)


def trait_counts(piece) -> np.ndarray:
    """[bars that come back within their 16-bar passage, bars with notes, 4-bar phrases whose rhythm
    comes back within theirs, whole phrases, its share of notes begun on a beat, 1] of one piece
    (zeros without notes): summed over a dataset, music_traits gives its shares. Every piece's
    on-beat share counts once, as the benchmarks average real pieces."""
    # evaluate comes later in the flow: lazily
    from ..evaluate.note_statistics import pitched
    from ..evaluate.repetition import passage_phrase_repeats, passage_repeats
    from ..evaluate.rhythm import on_beat_share

    notes = len(pitched(piece)) > 0
    return np.array([*passage_repeats(piece), *passage_phrase_repeats(piece),
                     on_beat_share(piece) if notes else 0.0, notes], float)


def music_traits(counts: np.ndarray, mixture: bool = False) -> dict:
    """What generation keeps near this music's (``data.json``): how often a bar and a phrase's
    rhythm come back (the bar echo) and the share of notes begun on a beat (rhythm like its music).
    None for a mixture of collections (the base): its shares fit none of them, and its rules stay
    plain."""
    def share(part: float, whole: float) -> float | None:
        return round(float(part / whole), 4) if whole and not mixture else None

    return {"bars_repeated": share(*counts[:2]), "phrases_repeated": share(*counts[2:4]),
            "on_beat_share": share(*counts[4:])}


def data_summary(loaded, token_data: TokenData, tokenizer, n_train_windows: int, val_windows) -> dict:
    tempos, metres, line_ups, bars, part_counts = [], [], [], 0, Counter()
    traits = np.zeros(6)
    for p in loaded.pieces:  # one pass: a big dataset's pieces are read from disk
        traits += trait_counts(p)
        tempos.append(p.tempo)
        metres.append(p.time_signature)
        line_ups.append(tuple(tuple(part.as_dict().items()) for part in p.parts))
        part_counts[len(p.parts)] += 1
        bars += len(p.bar_starts())
    return {
        "source": str(loaded.source),  # English, as before; a list of files' label as its code too:
        **({"source_message": to_json(loaded.source)} if isinstance(loaded.source, Message) else {}),
        "files": [{**dataclasses.asdict(r), "reason": str(r.reason)} for r in loaded.report],  # English, as before
        "train_files": token_data.train_names,
        "val_files": token_data.val_names,
        "tokens": token_data.n_tokens,
        "train_windows": n_train_windows,
        "val_windows": 0 if val_windows is None else count_windows(val_windows),
        "tempo": float(np.median(tempos)) if tempos else 120.0,
        "tokens_per_bar": round(token_data.n_tokens / bars, 2) if bars else None,
        **music_traits(traits, mixture=str(loaded.source) == BASE_DATASET),
        "time_signature": _most_common(metres, (4, 4)),
        "parts": _most_common(line_ups, ()),
        "part_counts": {str(n): k for n, k in sorted(part_counts.items())},  # pieces by their number of parts
        "dropped_tokens": getattr(tokenizer, "dropped", {}),
    }


def _most_common(values: list, default):
    """The usual metre or line-up of a dataset: what a passage that does not say its own gets."""
    if not values:
        return default
    value = Counter(values).most_common(1)[0][0]
    return [dict(part) for part in value] if value and isinstance(value[0], tuple) else list(value)


def context(config: RunConfig, tokens_per_bar: float | None) -> dict:
    """How much music the model takes in at once: its receptive field (the LSTM: its training
    window), in tokens and in bars of the music it learnt from."""
    tokens = min(receptive_field(config.model) or config.data.window, config.data.window)
    bars = round(tokens / tokens_per_bar, 1) if tokens_per_bar else None
    return {"context_tokens": tokens, "context_bars": bars}


def run_summary(config: RunConfig, model, history: dict, monitor: str, stopped: str, vocab_size: int) -> dict:
    """summary.json's figures: the model's size, the best epoch's losses and how training ended."""
    losses = history.get(monitor, [])
    best = int(np.nanargmin(losses)) if finite(losses) else -1
    pick = lambda key: float(history[key][best]) if best >= 0 and key in history else None  # noqa: E731
    return {
        "model": config.model.kind,
        "params": int(model.count_params()),
        "receptive_field": receptive_field(config.model),
        "vocab_size": vocab_size,
        "epochs": len(history.get("loss", [])),
        "best_epoch": best + 1,
        "loss": pick("loss"),
        "accuracy": pick("accuracy"),
        "val_loss": pick("val_loss"),
        "val_accuracy": pick("val_accuracy"),
        "seconds": float(history.get("elapsed", [0.0])[-1]) if history.get("elapsed") else 0.0,
        "stopped": stopped,
        "stop_reason": stop_reason(stopped, history, monitor, config.train),
        "stop": stop_code(stopped, history, monitor, config.train),
    }


def checkpoint_summary(path, stopped: str = "interrupted") -> dict:
    """summary.json for a checkpoint whose training never reached its end (its worker or server
    was killed): written from the files the epochs left, without TensorFlow, so the server can
    keep it as a run that loads, lists and resumes like any other."""
    from ..models.engine import WEIGHTS

    run = Run.load(path)
    history = run.history
    monitor = "val_loss" if finite(history.get("val_loss")) else "loss"
    with np.load(Path(path) / WEIGHTS, allow_pickle=False) as weights:
        params = int(sum(weights[name].size for name in weights.files))

    class Counted:  # run_summary reads only the parameter count off the model
        def count_params(self):
            return params

    summary = run_summary(run.config, Counted(), history, monitor, stopped, len(run.tokenizer))
    summary.update(context(run.config, run.data.get("tokens_per_bar")))
    write_json(Path(path) / "summary.json", summary)
    return summary


def stop_code(stopped: str, history: dict, monitor: str, train_config) -> dict:
    """How training ended as a code and its numbers (``stopped``: the summary's "stopped" word, as
    jobs and old runs keep it), kept next to the English sentence in summary.json so the app says it
    in the visitor's language (messages.stop_message)."""
    losses = history.get(monitor, [])
    code = {"code": STOP_CODES.get(stopped, "finished"), "monitor": monitor, "epochs": len(history.get("loss", []))}
    if finite(losses):
        best = int(np.nanargmin(losses))
        code.update(kept=best + 1, loss=round(float(losses[best]), 3), learning=best == len(losses) - 1)
    if code["code"] == "early_stop":
        code["patience"] = train_config.early_stopping
    elif code["code"] == "time_budget":
        code["budget_s"] = float(train_config.max_seconds)
    return code


def stop_reason(stopped: str, history: dict, monitor: str, train_config) -> str:
    """How training ended and which epoch the run kept, as a sentence for a person (the English of
    messages.stop_message: the app says the stop code in the visitor's language)."""
    return str(stop_message(stop_code(stopped, history, monitor, train_config)))
