"""One measured job in its own process; prints its peak resident memory as JSON (used by run.py).

    python bench/memchild.py baseline            import TensorFlow + Keras only
    python bench/memchild.py train OUT SECONDS   train the default WaveNet on 60 Bach chorales
    python bench/memchild.py app RUN [RUN…]      what the app holds: its libraries, a Composer per run, one
                                                 piece each composed, rendered and engraved (no TensorFlow)

TensorFlow allocates outside Python's heap, so tracemalloc cannot see it. The peak is VmHWM from
/proc/self/status: ru_maxrss would not do, since Linux carries the parent's high-water mark across
fork + exec (every child of a 1 GB benchmark process would report at least 1 GB).
"""
from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: ru_maxrss (KB on Linux)


def main(what: str, args: list[str]) -> dict:
    start = time.perf_counter()
    if what != "app":  # the app generates on NumPy: it never imports TensorFlow
        import keras  # noqa: F401
        import tensorflow  # noqa: F401

    info: dict = {}
    if what == "train":
        import shutil

        from musegen.config import DataConfig, RunConfig, TrainConfig
        from musegen.train.fit import train

        out = Path(args[0])
        shutil.rmtree(out, ignore_errors=True)
        config = RunConfig(data=DataConfig(dataset="bach", max_files=60),
                           train=TrainConfig(epochs=100, max_seconds=float(args[1]), seed=1))
        run = train(config, out)
        info = {"params": run.summary["params"], "epochs": run.summary["epochs"]}
    elif what == "app":
        # What the app's process holds besides Streamlit's own pages: its libraries, and each model
        # in the shared pool with one piece composed, rendered to audio and engraved.
        import plotly.graph_objects  # noqa: F401
        import streamlit  # noqa: F401

        from musegen.studio import composers, generation
        from musegen.config import SampleConfig
        from musegen.render.plots import piano_roll
        from musegen.runs.folder import Run

        pool = composers.ComposerPool()
        for path in args:
            rendered = generation.compose(pool, Run.load(path), SampleConfig(seconds=20, seed=1))
            piano_roll(rendered.piece)
        info = {"runs": [Path(p).name for p in args], "tensorflow_imported": "tensorflow" in sys.modules}
    self_mb = peak_mb()
    children_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"what": what, "peak_mb": round(self_mb, 1), "children_peak_mb": round(children_mb, 1),
            "seconds": round(time.perf_counter() - start, 1), **info}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2:])))
