"""Rebuild the pretrained runs shipped in assets/models/ (`make models`).

Each is trained on a built-in dataset with the default (metre-aware) tokens, a fixed seed and a
fixed number of epochs (early stopping may end it sooner, the same way each time), so a fresh
install can generate music with no training and any upload can be fine-tuned from them.
Run from the project root: python -m musegen.bundled [names…]
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

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
}


def build(name: str, root: Path = ASSETS) -> Path:
    from .train import train

    out = root / name
    tmp = root / f".{name}.building"
    shutil.rmtree(tmp, ignore_errors=True)

    def progress(event):
        if event["event"] == "epoch":
            print(f"{name} epoch {event['epoch']}: val_loss {event.get('val_loss', float('nan')):.3f} "
                  f"val_accuracy {event.get('val_accuracy', 0):.1%}", flush=True)

    run = train(BUNDLED[name], tmp, progress=progress)
    save_model(run.load_model(), tmp / "model.keras")  # without optimizer state: a third of the size
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)  # the old bundle is replaced only by a finished one
    return out


def main(names: list[str]) -> None:
    for name in names or BUNDLED:
        print(f"built {build(name)}")


if __name__ == "__main__":
    main(sys.argv[1:])
