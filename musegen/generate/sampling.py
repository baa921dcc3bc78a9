"""One token at a time: the engine's logits, steered by rules, filtered (temperature, top-k,
top-p) and drawn, one token per sequence of a batch, until each is long enough.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from . import steer
from ..models.engine import forced_logits, make_engine, weights_of


@dataclass
class Sampling:
    temperature: float | np.ndarray = 1.0  # 0 = greedy argmax; or one temperature per token
    top_k: int = 0  # 0 = off
    top_p: float = 1.0  # 1 = off
    seed: int = 0


def filter_logits(logits: np.ndarray, temperature: float, top_k: int, top_p: float) -> np.ndarray:
    """Temperature (one, or one per token), then keep the top-k and the smallest set whose probability reaches top_p (a
    token as likely as the last one kept is kept too). Thresholds, not index shuffles: this runs
    once per token."""
    logits = logits / np.maximum(temperature, 1e-6)
    if top_k <= 0 and top_p >= 1.0:
        return logits  # nothing to cut
    keep = np.ones(logits.shape, bool)
    if 0 < top_k < logits.shape[-1]:
        kth = np.partition(logits, -top_k, axis=-1)[:, -top_k:].min(-1, keepdims=True)
        keep &= logits >= kth
    if top_p < 1.0:
        probs = np.exp(logits - logits.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        ranked = np.sort(probs, axis=-1)[:, ::-1]
        before = np.cumsum(ranked, -1) - ranked  # mass of the tokens ranked above; the first is always kept
        smallest_kept = np.where(before < top_p, ranked, np.inf).min(-1, keepdims=True)
        keep &= probs >= smallest_kept
    return np.where(keep, logits, steer.NEG)


def choose(logits: np.ndarray, sampling: Sampling, rng: np.random.Generator) -> np.ndarray:
    """One token per row: the argmax when greedy, else a draw from the filtered distribution."""
    if np.all(np.asarray(sampling.temperature) <= 0.0):
        return logits.argmax(-1)
    filtered = filter_logits(logits, sampling.temperature, sampling.top_k, sampling.top_p)
    # Gumbel-max: the argmax of logits plus Gumbel noise is an exact draw from their softmax.
    return (filtered - np.log(-np.log(rng.random(filtered.shape)))).argmax(-1)


class Generator:
    """One trained model ready to generate: an engine, its vocabulary size, nothing compiled."""

    def __init__(self, engine, vocab_size: int):
        self.engine = engine
        self.vocab_size = vocab_size
        self.compile_seconds = 0.0  # nothing to compile on NumPy; kept for the benchmarks' tables

    @classmethod
    def from_model(cls, model, config, vocab_size: int, window: int, pad_id: int = 0) -> "Generator":
        """From a Keras model in memory (training's per-epoch samples, the benchmarks)."""
        return cls(make_engine(weights_of(model), config, vocab_size, window, pad_id), vocab_size)

    @property
    def fast(self) -> bool:
        """Stepped (one token's worth of work per token), not the article's window run again."""
        from ..models.engine import WindowEngine

        return not isinstance(self.engine, WindowEngine)

    def step_logits(self, ids: np.ndarray) -> np.ndarray:
        """Logits after every token of ids (batch, T): equals the Keras model's forward pass."""
        return forced_logits(self.engine, ids)

    def generate(self, primer: np.ndarray, n_new: int, sampling: Sampling, rules=(),
                 token_quarters: np.ndarray | None = None, max_quarters: float = 0.0):
        """primer (batch, P) ids, P ≥ 1. Returns (list of generated id arrays, tokens per second).

        With max_quarters > 0 each sequence stops before the token that would make its music last
        longer (n_new is then a cap)."""
        primer = np.atleast_2d(np.asarray(primer, dtype=np.int64))
        batch = primer.shape[0]
        rng = np.random.default_rng(sampling.seed)
        quarters = np.zeros(self.vocab_size, np.float32) if token_quarters is None else token_quarters
        limit = max_quarters if max_quarters > 0 else np.inf
        out = np.zeros((batch, n_new), np.int64)
        lengths = np.zeros(batch, int)  # a sequence's tokens are out[b, :lengths[b]]
        clock = np.zeros(batch)
        done = np.zeros(batch, bool)  # once done, a sequence's later tokens are never counted
        for rule in rules:
            rule.start(primer)
        start = time.perf_counter()
        state = self.engine.start(batch, primer.shape[1] + n_new)
        logits = self.engine.feed(primer, state)[:, -1]
        for step in range(n_new):
            chosen = choose(steer.apply(rules, logits), sampling, rng)
            clock = clock + quarters[chosen]
            done |= clock > limit + 1e-6
            if done.all():
                break
            out[:, step] = chosen
            lengths += ~done
            for rule in rules:
                rule.update(chosen)
            if step + 1 < n_new:
                logits = self.engine.feed(chosen[:, None], state)[:, -1]
        elapsed = time.perf_counter() - start
        return [out[b, : lengths[b]].astype(np.int32) for b in range(batch)], float(lengths.sum()) / max(elapsed, 1e-9)


def article_loop(model, window_ids: np.ndarray, n_new: int, last_only: bool) -> list[int]:
    """The article's generation: one model.predict per note, argmax, slide the window (the baseline)."""
    pattern = list(window_ids)
    out = []
    for _ in range(n_new):
        probs = model.predict(np.array([pattern]), verbose=0)[0]
        token = int(np.argmax(probs if last_only else probs[-1]))
        out.append(token)
        pattern = pattern[1:] + [token]
    return out
