"""Rebuild the pretrained runs shipped in assets/models/ (`make models`).

Each is trained on a built-in dataset with the default (metre-aware) tokens, a fixed seed and a
fixed number of epochs (early stopping may end it sooner, the same way each time), so a fresh
install can generate music with no training and any upload can be fine-tuned from them.
Run from the project root: python -m musegen.train.bundled [names…]; with --more, only the second
sittings (MORE) on the bundles already there.
"""
from __future__ import annotations

import dataclasses
import shutil
import sys
import time
from pathlib import Path

from .basemodel import BASE_DATASET, load_base_music
from ..config import DataConfig, ModelConfig, RunConfig, TrainConfig
from ..paths import SHIPPED_MODELS
from ..runs.folder import Run
from ..runs.save import save_model

BUNDLED = {
    "bach-wavenet": RunConfig(data=DataConfig(dataset="bach"), model=ModelConfig(kind="wavenet"),
                              train=TrainConfig(epochs=60, early_stopping=3, seed=1)),
    # The LSTM learns from windows as long as the pieces it will write (most chorales fit whole,
    # from their first token), so it is trained from the states generation goes through.
    "bach-lstm": RunConfig(data=DataConfig(dataset="bach", window=1024, stride=512),
                           model=ModelConfig(kind="lstm", dropout=0.2),
                           train=TrainConfig(epochs=60, early_stopping=3, seed=1)),
    "folk-wavenet": RunConfig(data=DataConfig(dataset="folk"), model=ModelConfig(kind="wavenet"),
                              train=TrainConfig(epochs=16, early_stopping=3, seed=1)),
    # The broad base every fine-tune starts from (musegen/train/basemodel.py): every layout, keys moved
    # on the fly; epochs of 400 steps so early stopping and checkpoints come every few minutes.
    "base": RunConfig(data=DataConfig(dataset=BASE_DATASET), model=ModelConfig(kind="wavenet"),
                      train=TrainConfig(epochs=16, steps_per_epoch=400, early_stopping=4, transpose=5, seed=1)),
}

# Later sittings: a bundle that was still learning when its epochs ran out goes on from its best
# epoch at a lower learning rate (a fresh optimizer: the bundle keeps no optimizer state), each with
# its music drawn again (the base: every piece in a new layout, ``layout_seed``), in this order.
MORE = {
    "base": [
        (TrainConfig(epochs=16, steps_per_epoch=400, early_stopping=4, transpose=5, learning_rate=5e-4), 1),
        # Each piece in a second, then a third layout: the base continues chorales with more of their
        # chords each time (docs/base_harmony.md).
        (TrainConfig(epochs=16, steps_per_epoch=400, early_stopping=4, transpose=5, learning_rate=2.5e-4), 2),
        (TrainConfig(epochs=16, steps_per_epoch=400, early_stopping=4, transpose=5, learning_rate=2e-4), 3),
    ],
}


def build(name: str, root: Path = SHIPPED_MODELS, more_only: bool = False) -> Path:
    from .fit import train

    out = root / name
    tmp = root / f".{name}.building"
    shutil.rmtree(tmp, ignore_errors=True)

    started = time.monotonic()

    def progress(event):
        if event["event"] == "epoch":
            print(f"{name} epoch {event['epoch']}: val_loss {event.get('val_loss', float('nan')):.3f} "
                  f"val_accuracy {event.get('val_accuracy', 0):.1%} ({time.monotonic() - started:.0f} s)", flush=True)

    def music(layout_seed: int = 1):
        return load_base_music(progress=print, seed=layout_seed) if name == "base" else None

    if not more_only:
        train(BUNDLED[name], tmp, pieces=music(), progress=progress)
    else:
        shutil.copytree(out, tmp)
    for sitting, layout_seed in MORE.get(name, []):
        train(dataclasses.replace(BUNDLED[name], train=sitting), tmp, pieces=music(layout_seed), progress=progress,
              resume=True)
    save_model(Run.load(tmp).load_model(), tmp / "model.keras")  # without optimizer state: a third of the size
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)  # the old bundle is replaced only by a finished one
    return out


def main(args: list[str]) -> None:
    more_only = "--more" in args  # only the later sittings, on the bundle already in assets/models
    names = [a for a in args if a != "--more"] or (list(MORE) if more_only else list(BUNDLED))
    for name in names:
        print(f"built {build(name, more_only=more_only)}")


if __name__ == "__main__":
    main(sys.argv[1:])
