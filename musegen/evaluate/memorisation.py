"""Memorisation: the longest passage of generated music copied verbatim from the training data."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .against_real import real_excerpts

_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd, so invertible modulo 2**64


def _inverse(a: int) -> int:
    return pow(int(a), -1, 2**64)


@dataclass
class Copy:
    tokens: int  # length of the longest passage found verbatim in the training data
    file: str | None  # the training file it came from
    start_generated: int
    start_file: int

    def as_dict(self) -> dict:
        return {"tokens": self.tokens, "file": self.file, "start_generated": self.start_generated,
                "start_file": self.start_file}


class TrainingIndex:
    """The training sequences, ready to answer "what is the longest passage of these ids that
    appears verbatim in the training data, and where?"

    Polynomial rolling hashes modulo 2**64 of every L-gram (numpy, vectorised), binary search on L;
    candidates are checked token by token, so a hash collision never reports a false copy.
    A few hundred thousand training tokens answer in well under a second.
    """

    def __init__(self, sequences: list[np.ndarray], names: list[str]):
        self.names = list(names)
        parts, owners, offsets = [], [], []
        pos = 0
        sep = -1
        for i, seq in enumerate(sequences):
            offsets.append(pos)
            parts.append(np.asarray(seq, np.int64))
            parts.append(np.array([sep], np.int64))  # a separator no generated id equals
            owners.append(np.full(len(seq) + 1, i, np.int64))
            pos += len(seq) + 1
            sep -= 1
        self.tokens = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        self.owner = np.concatenate(owners) if owners else np.zeros(0, np.int64)
        self.offsets = np.asarray(offsets, np.int64)
        self._prefix, self._inv = self._hash_tables(self.tokens)
        self._sorted: dict[int, np.ndarray] = {}

    @staticmethod
    def _hash_tables(tokens: np.ndarray):
        n = len(tokens)
        powers = np.empty(n + 1, np.uint64)
        inverse = np.empty(n + 1, np.uint64)
        powers[0] = inverse[0] = 1
        inv_base = np.uint64(_inverse(int(_BASE)))
        with np.errstate(over="ignore"):
            if n:
                powers[1:] = _BASE
                powers = np.cumprod(powers, dtype=np.uint64)
                inverse[1:] = inv_base
                inverse = np.cumprod(inverse, dtype=np.uint64)
            values = (tokens.astype(np.int64) + (1 << 20)).astype(np.uint64)  # no zero, negatives stay distinct
            prefix = np.concatenate([[np.uint64(0)], np.cumsum(values * powers[:n], dtype=np.uint64)])
        return prefix, inverse

    def _gram_hashes(self, prefix, inverse, length: int) -> np.ndarray:
        with np.errstate(over="ignore"):
            return (prefix[length:] - prefix[:-length]) * inverse[: len(prefix) - length]

    def _train_hashes(self, length: int) -> np.ndarray:
        if length not in self._sorted:
            self._sorted[length] = np.sort(self._gram_hashes(self._prefix, self._inv, length))
        return self._sorted[length]

    def _matches(self, ids: np.ndarray, length: int, gen_tables) -> np.ndarray:
        """Positions in ids whose `length`-gram hash appears in the training data."""
        if length > len(ids) or length > len(self.tokens):
            return np.zeros(0, np.int64)
        table = self._train_hashes(length)
        hashes = self._gram_hashes(*gen_tables, length)
        found = np.searchsorted(table, hashes)
        found = np.minimum(found, len(table) - 1)
        return np.flatnonzero(table[found] == hashes)

    def _locate(self, ids: np.ndarray, length: int, candidates: np.ndarray, gen_tables):
        """The first candidate whose L-gram truly occurs in the training data: (gen pos, train pos)."""
        train_hashes = self._gram_hashes(self._prefix, self._inv, length)
        gen_hashes = self._gram_hashes(*gen_tables, length)
        for g in candidates:
            for t in np.flatnonzero(train_hashes == gen_hashes[g]):
                if np.array_equal(self.tokens[t : t + length], ids[g : g + length]):
                    return int(g), int(t)
        return None

    def longest_copy(self, ids) -> Copy:
        """Longest passage of `ids` found verbatim in one training sequence, and where."""
        ids = np.asarray(ids, np.int64)
        if not len(ids) or not len(self.tokens):
            return Copy(0, None, 0, 0)
        gen_tables = self._hash_tables(ids)
        hi = len(ids)
        while True:
            lo, top = 0, hi  # binary search on hashes alone: a match at L implies matches below L
            while lo < top:
                mid = (lo + top + 1) // 2
                if len(self._matches(ids, mid, gen_tables)):
                    lo = mid
                else:
                    top = mid - 1
            if lo == 0:
                return Copy(0, None, 0, 0)
            found = self._locate(ids, lo, self._matches(ids, lo, gen_tables), gen_tables)
            if found is not None:
                g, t = found
                owner = int(self.owner[t])
                return Copy(lo, self.names[owner], g, t - int(self.offsets[owner]))
            hi = lo - 1  # a 64-bit hash collision (astronomically rare): look shorter

    def copied_share(self, ids, n: int = 16) -> float:
        """Share of the n-grams of ids that appear somewhere in the training data (hash test)."""
        ids = np.asarray(ids, np.int64)
        if len(ids) < n:
            return 0.0
        return len(self._matches(ids, n, self._hash_tables(ids))) / (len(ids) - n + 1)


def copy_against_chance(generated_ids: list[np.ndarray], val_ids: list[np.ndarray], index: TrainingIndex,
                        tokenizer, length: int, seed: int, tempo: float = 120.0) -> dict:
    """Memorisation like for like: the mean longest copy of the generated pieces and of real
    validation excerpts (music the model never saw, which shares cadences and scales with the
    training data by chance), over passages of the same lengths.

    Each generated piece is paired with one real excerpt of up to `length` tokens; where the real
    piece is shorter (a chorale is about 70 notes tokens), the generated piece is cut to its length.
    validation_baseline: the real excerpts' mean; matched_longest_copy: the generated pieces' mean;
    compared_tokens: the passages' mean length.
    """
    real_ids, _ = real_excerpts(val_ids, tokenizer, length, len(generated_ids), seed, tempo)
    generated_cut = [ids[: len(real)] for ids, real in zip(generated_ids, real_ids)]
    return {
        "matched_longest_copy": float(np.mean([index.longest_copy(ids).tokens for ids in generated_cut])),
        "validation_baseline": float(np.mean([index.longest_copy(ids).tokens for ids in real_ids])),
        "compared_tokens": float(np.mean([len(ids) for ids in real_ids])),
    }
