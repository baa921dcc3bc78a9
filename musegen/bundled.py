"""Rebuild the pretrained runs shipped in assets/models/ (`make models`).

Each is trained on a built-in dataset with the default (metre-aware) tokens, a fixed seed and a
fixed number of epochs (early stopping may end it sooner, the same way each time), so a fresh
install can generate music with no training and any upload can be fine-tuned from them.
Run from the project root: python -m musegen.bundled [names…]
"""
from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from .basemodel import BASE_DATASET, load_base_music
from .config import DataConfig, ModelConfig, RunConfig, TrainConfig
from .runs import save_model

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "models"

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
    # The broad base every fine-tune starts from (musegen/basemodel.py): every layout, keys moved
    # on the fly; epochs of 400 steps so early stopping and checkpoints come every few minutes.
    "base": RunConfig(data=DataConfig(dataset=BASE_DATASET), model=ModelConfig(kind="wavenet"),
                      train=TrainConfig(epochs=16, steps_per_epoch=400, early_stopping=4, transpose=5, seed=1)),
}


def build(name: str, root: Path = ASSETS) -> Path:
    from .train import train

    out = root / name
    tmp = root / f".{name}.building"
    shutil.rmtree(tmp, ignore_errors=True)

    started = time.monotonic()

    def progress(event):
        if event["event"] == "epoch":
            print(f"{name} epoch {event['epoch']}: val_loss {event.get('val_loss', float('nan')):.3f} "
                  f"val_accuracy {event.get('val_accuracy', 0):.1%} ({time.monotonic() - started:.0f} s)", flush=True)

    pieces = load_base_music(progress=print) if name == "base" else None
    run = train(BUNDLED[name], tmp, pieces=pieces, progress=progress)
    save_model(run.load_model(), tmp / "model.keras")  # without optimizer state: a third of the size
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)  # the old bundle is replaced only by a finished one
    return out


def main(names: list[str]) -> None:
    for name in names or BUNDLED:
        print(f"built {build(name)}")


if __name__ == "__main__":
    main(sys.argv[1:])
