"""The NumPy engine's speed in a process of its own, as `musegen generate` and the app run it:
without TensorFlow in the process (whose idle threads would share the cores). Prints JSON.

    python bench/enginechild.py WEIGHTS.npz MODEL_CONFIG_JSON VOCAB WINDOW TOKENS BATCH
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402


def main(weights: str, model_config: str, vocab: str, window: str, tokens: str, batch: str) -> dict:
    from bench.common import TIMED_RUNS
    from musegen.config import ModelConfig, from_dict
    from musegen.models.engine import load_weights, make_engine
    from musegen.generate.sampling import Generator, Sampling

    config = from_dict(ModelConfig, json.loads(model_config))
    generator = Generator(make_engine(load_weights(Path(weights)), config, int(vocab), int(window)), int(vocab))
    primer = np.random.default_rng(0).integers(3, int(vocab), (int(batch), min(64, int(window))))
    generator.generate(primer, 50, Sampling(1.0, seed=1))  # warm
    speeds = [generator.generate(primer, int(tokens), Sampling(1.0, seed=2 + i))[1] for i in range(TIMED_RUNS)]
    return {"tokens_per_s": float(np.median(speeds)), "tensorflow_imported": "tensorflow" in sys.modules}


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:])))
