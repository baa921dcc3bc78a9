"""The roofline's FLOP and byte counts (bench/run.py step_cost) against hand counts on tiny models."""
from __future__ import annotations

import numpy as np

from bench.run import step_cost
from musegen.config import ModelConfig
from musegen.models.engine import make_engine

VOCAB = 5


def _weights(shapes: dict) -> dict:
    rng = np.random.default_rng(0)
    return {name: [rng.standard_normal(s).astype(np.float32) for s in ss] for name, ss in shapes.items()}


def _lstm_weights(inputs: int) -> dict:
    return _weights({"embedding": [(VOCAB, 3)], "lstm_0": [(inputs, 8), (2, 8), (8,)],
                     "dense": [(2, 4), (4,)], "logits": [(4, VOCAB), (VOCAB,)]})


def test_wavenet_step_matches_a_hand_count():
    # embedding 3, residual 2, skip 4, kernel 2, dilations 1 and 2.
    config = ModelConfig(kind="wavenet", embedding_dim=3, residual_channels=2, skip_channels=4, kernel_size=2,
                         dilation_depth=2, stacks=1)
    shapes = {"embedding": [(VOCAB, 3)], "input_conv": [(2, 3, 2), (2,)],
              "post_conv": [(1, 4, 4), (4,)], "logits": [(1, 4, VOCAB), (VOCAB,)], "residual_0": [(1, 2, 2), (2,)]}
    for i in range(2):
        shapes |= {f"filter_{i}": [(2, 2, 2), (2,)], f"gate_{i}": [(2, 2, 2), (2,)], f"skip_{i}": [(1, 2, 4), (4,)]}
    w = _weights(shapes)
    cost = step_cost(make_engine(w, config, VOCAB, 16))
    input_conv = 2 * 3 * 4 + 2 + 2  # both taps' products, bias, the older tap's product added
    layer = 2 * 2 * 8 + 4 + 4 + 4 * 2  # fused filter+gate taps, bias, older tap, tanh/+1/product
    residual = 2 * 2 * 2 + 2 + 2
    head = (2 * 4 * 4 + 4 + 4) + (2 * 4 * 4 + 4 + 4) + (2 * 4 * VOCAB + VOCAB)  # skips, post (+ReLUs), logits
    assert cost.flops == input_conv + 2 * layer + residual + head + 6 * VOCAB
    # Every weight but the embedding is read once a step; the skips' biases are summed into one.
    weights = sum(a.nbytes for name, ws in w.items() if name != "embedding" for a in ws)
    assert cost.weight_bytes == weights - 4 * 4
    # Embedding row; per conv the older tap's products read and ours written; gated outputs.
    assert cost.state_bytes == 4 * (3 + 2 * 2 + 2 * 2 * 4 + 2 * 2 * 2)
    assert cost.bytes_per_token(4) == cost.weight_bytes / 4 + cost.state_bytes


def test_lstm_step_and_the_article_window():
    step = step_cost(make_engine(_lstm_weights(3), ModelConfig(kind="lstm", lstm_units=2, lstm_layers=1), VOCAB, 16))
    head = (2 * 2 * 4 + 4 + 4) + (2 * 4 * VOCAB + VOCAB) + 6 * VOCAB
    cell = 2 * 3 * 8 + 8 + 2 * 2 * 8 + 22 * 2
    assert step.flops == cell + head
    assert step.weight_bytes == 4 * (24 + 16 + 8 + 8 + 4 + 20 + VOCAB)
    assert step.state_bytes == 4 * (3 + 4 * 2)  # embedding row, h and c read and written
    # The article's set-up runs its whole window (scalar inputs) again for every token.
    article = ModelConfig(kind="lstm", lstm_units=2, lstm_layers=1, inputs="scalar", targets="last")
    window = step_cost(make_engine(_lstm_weights(1), article, VOCAB, 4))
    assert window.flops == 4 * (1 + 2 * 1 * 8 + 8 + 2 * 2 * 8 + 22 * 2) + head
