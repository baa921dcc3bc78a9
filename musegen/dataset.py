"""Token sequences → training windows: split by file, cut into windows, served by tf.data."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import DataConfig
from .errors import InputError
from .piece import Piece
from .tokens import Tokenizer


@dataclass
class TokenData:
    """Every piece's ids, split by file so no window of a validation piece is trained on."""

    train: list[np.ndarray]
    val: list[np.ndarray]
    train_names: list[str]
    val_names: list[str]

    @property
    def n_tokens(self) -> int:
        return int(sum(len(s) for s in self.train + self.val))


def split_by_file(n_files: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of training and validation files; at least one of each when there are two files."""
    order = np.random.default_rng(seed).permutation(n_files)
    n_val = int(round(n_files * val_fraction)) if val_fraction > 0 else 0
    if val_fraction > 0 and n_files >= 2:
        n_val = min(max(n_val, 1), n_files - 1)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def tokenize(pieces: list[Piece], tokenizer: Tokenizer, data: DataConfig, seed: int, fit: bool = True) -> TokenData:
    train_idx, val_idx = split_by_file(len(pieces), data.val_fraction, seed)
    if fit:  # the article's vocabulary is learnt from the training files only
        tokenizer.fit([pieces[i] for i in train_idx])
    ids = [tokenizer.encode(p) for p in pieces]
    return TokenData(
        train=[ids[i] for i in train_idx],
        val=[ids[i] for i in val_idx],
        train_names=[pieces[i].name for i in train_idx],
        val_names=[pieces[i].name for i in val_idx],
    )


def make_windows(sequences: list[np.ndarray], window: int, stride: int, targets: str = "sequence", pad_id: int = 0):
    """Cut sequences into (inputs, targets, weights).

    targets="sequence": inputs (n, window) and targets (n, window) shifted by one; a short piece is
    padded at its end and the padding gets weight 0. targets="last" (the article): only the token
    after each window is a target, so pieces shorter than window + 1 give nothing.
    """
    span = window + 1
    chunks = []
    for seq in sequences:
        if len(seq) < span:
            if targets == "last" or len(seq) < 2:
                continue
            chunks.append(np.pad(seq, (0, span - len(seq)), constant_values=pad_id))
            continue
        starts = list(range(0, len(seq) - span + 1, max(1, stride)))
        if starts[-1] != len(seq) - span:
            starts.append(len(seq) - span)  # cover the tail of the piece too
        chunks.extend(seq[s : s + span] for s in starts)
    if not chunks:
        raise InputError(
            f"The pieces are too short for windows of {window} tokens: lower the window or add music."
        )
    stacked = np.stack(chunks).astype(np.int32)
    x, y = stacked[:, :-1], stacked[:, 1:]
    if targets == "last":
        return x, y[:, -1], np.ones(len(y), dtype=np.float32)
    return x, y, (y != pad_id).astype(np.float32)


def tf_dataset(x, y, w, batch_size: int, shuffle: bool, seed: int):
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y, w))
    if shuffle:
        ds = ds.shuffle(min(len(x), 20_000), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
