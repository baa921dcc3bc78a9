"""Fine-tuning (``TrainConfig.base``): a new run started from another run's weights, a run folder
or a bundled model. The base's tokens and model, the user's music and training settings; whether
the base can help this music (its vocabulary, the layouts it learnt); where the fine-tune starts."""
from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import numpy as np

from ..config import RunConfig
from ..data.dataset import split_by_file
from ..errors import ModelError
from ..messages import msg
from ..runs.folder import Run
from ..tokens.registry import make_tokenizer

FINE_TUNE_LEARNING_RATE = 3e-4  # the CLI's --lr when --from is given and --lr is not: a third of a fresh run's
START_LOSS_BATCHES = 32  # validation batches that measure where a fine-tune starts (a few seconds)


def find_base(name: str) -> Run:
    """The run to fine-tune from: a run folder, or the name of a bundled model (assets/models/<name>)."""
    from ..paths import bundled_dir

    path = Path(name).expanduser()
    if not path.exists() and len(path.parts) == 1 and (bundled_dir() / name).is_dir():
        path = bundled_dir() / name
    if not path.exists():
        bundled = sorted(q.parent.name for q in bundled_dir().glob("*/config.json"))
        raise ModelError(msg("said.no_base_bundled", name=name, bundled=", ".join(bundled)) if bundled
                         else msg("said.no_base", name=name))
    return Run.load(path)


def fine_tune_config(config: RunConfig, base: Run) -> RunConfig:
    """The base run's tokens and model; the user's music, split and training settings. A model that
    predicts only the token after a fixed window (the article's) keeps the base's window; models that
    read any length (every sequence model) keep the user's."""
    data = config.data
    if base.config.model.targets == "last" and data.window != base.config.data.window:
        data = dataclasses.replace(data, window=base.config.data.window)
    return dataclasses.replace(config, data=data, tokenizer=base.config.tokenizer, model=base.config.model)


def layouts_seen(run) -> set[int]:
    """How many parts the pieces a run learnt from had (older runs: their usual line-up's)."""
    counts = run.data.get("part_counts")
    if counts:
        return {int(n) for n in counts}
    return {len(run.data.get("parts") or [None])}


def start_fit(run, pieces: list, max_parts: int = 8) -> dict:
    """Can fine-tuning ``run`` help this music? A code and its values for the page to say:
    ``fits``, or ``new_layout`` when most pieces have a number of parts the run never learnt (its
    guesses for the other parts start from nothing: fine-tuning may end worse than a new model)."""
    counts = Counter(min(len(p.parts), max_parts) for p in pieces[:200])
    usual = counts.most_common(1)[0][0] if counts else 1
    seen = layouts_seen(run)
    if usual in seen:
        return {"code": "fits", "parts": usual}
    return {"code": "new_layout", "parts": usual, "seen": sorted(seen)}


def check_vocabulary(base: Run, pieces, config: RunConfig) -> None:
    """Refuse a base whose vocabulary was fitted to other music (the article's notes scheme) when
    the new training music has frequent tokens it lacks. Fixed vocabularies (metre, rich) always cover."""
    fresh = make_tokenizer(base.tokenizer.config)
    train_idx, _ = split_by_file(len(pieces), config.data.val_fraction, config.train.seed)
    try:
        fresh.fit(pieces[i] for i in train_idx)
    except ModelError:
        return  # nothing frequent enough to be missing
    missing = [token for token in fresh.vocab if token not in base.tokenizer.index]
    if missing:
        raise ModelError(msg("said.cannot_fine_tune", name=base.name, scheme=base.tokenizer.config.scheme,
                             n=len(missing), examples=", ".join(missing[:3])))


def start_loss(model, val_ds, vocab_size: int) -> dict | None:
    """Where a fine-tune starts: the base's validation loss on the user's music before any step,
    beside chance (a uniform guess over the vocabulary), so a start that cannot help shows."""
    if val_ds is None:
        return None
    logs = model.evaluate(val_ds.take(START_LOSS_BATCHES), verbose=0, return_dict=True)
    loss = float(logs.get("loss", np.nan))
    return {"val_loss": round(loss, 4), "chance": round(float(np.log(vocab_size)), 4)} if np.isfinite(loss) else None
