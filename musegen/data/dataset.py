"""Token sequences → training windows: split by file, cut into windows, served by tf.data.

Training windows are cut as *spans* of window + 1 ids (inputs are the first window ids, targets
the last window), so an augmentation that moves a span moves its inputs and targets together.
Augmentation happens on the fly in tf.data, per batch, every time a window is served: each epoch
hears the music in other keys (``TrainConfig.transpose``) and, optionally, a touch faster or
louder (``TrainConfig.jitter``). Validation windows are never augmented.

Two ways to serve them, the same windows either way: a small dataset's spans are arrays in memory
(``make_spans``, ``tf_dataset``, ``augmented_dataset``); a big one's ids stay on disk in a
``shards.TokenStore`` and :class:`Spans` indexes its windows, which ``streamed_dataset`` reads batch by
batch, so memory holds the index, not the windows.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import DataConfig
from ..errors import InputError
from ..messages import msg
from ..music.piece import Piece
from .shards import Subset, write_store
from ..tokens.base import Tokenizer


@dataclass
class TokenData:
    """Every piece's ids, split by file so no window of a validation piece is trained on. The ids
    are arrays in memory, or views of a ``shards.TokenStore`` on disk (``Subset``)."""

    train: Sequence[np.ndarray]
    val: Sequence[np.ndarray]
    train_names: list[str]
    val_names: list[str]

    @property
    def n_tokens(self) -> int:
        return int(sum(len(s) for s in self.train) + sum(len(s) for s in self.val))


def split_by_file(n_files: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of training and validation files; at least one of each when there are two files."""
    order = np.random.default_rng(seed).permutation(n_files)
    n_val = int(round(n_files * val_fraction)) if val_fraction > 0 else 0
    if val_fraction > 0 and n_files >= 2:
        n_val = min(max(n_val, 1), n_files - 1)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def fit_tokenizer(tokenizer: Tokenizer, pieces: Sequence[Piece], data: DataConfig, seed: int) -> None:
    """The article's vocabulary is learnt from the training files only (one pass: pieces may be read from disk)."""
    train_idx, _ = split_by_file(len(pieces), data.val_fraction, seed)
    tokenizer.fit(pieces[i] for i in train_idx)


def tokenize(pieces: Sequence[Piece], tokenizer: Tokenizer, data: DataConfig, seed: int, fit: bool = True,
             store: Path | None = None, masks: bool = False) -> TokenData:
    """Every piece's ids, split by file. ``store``: write them to a TokenStore there (with the
    transposable-pitch masks when ``masks``) instead of holding them in memory."""
    train_idx, val_idx = split_by_file(len(pieces), data.val_fraction, seed)
    if fit:
        fit_tokenizer(tokenizer, pieces, data, seed)
    names = getattr(pieces, "names", None) or [p.name for p in pieces]  # StoredPieces knows them unread
    if store is None:
        ids = [tokenizer.encode(p) for p in pieces]
        train, val = [ids[i] for i in train_idx], [ids[i] for i in val_idx]
    else:
        def encoded():
            for piece in pieces:
                seq = tokenizer.encode(piece)
                yield seq, (tokenizer.transposable(seq) if masks else None)

        tokens = write_store(store, encoded(), masks)
        train, val = tokens.subset(train_idx), tokens.subset(val_idx)
    return TokenData(train=train, val=val, train_names=[names[i] for i in train_idx],
                     val_names=[names[i] for i in val_idx])


def _span_starts(length: int, span: int, stride: int) -> list[int]:
    starts = list(range(0, length - span + 1, max(1, stride)))
    if starts[-1] != length - span:
        starts.append(length - span)  # cover the tail of the piece too
    return starts


def make_spans(sequences: list[np.ndarray], window: int, stride: int, pad_id: int = 0,
               masks: list[np.ndarray] | None = None, pad_short: bool = True):
    """Cut sequences into spans of window + 1 ids: (spans (n, window + 1) int32, span masks or None).

    masks: one bool array per sequence (computed on the whole sequence, e.g. which ids are
    transposable pitches), cut alongside the ids; padding gets False. A piece shorter than a span
    is padded at its end (pad_short) or left out.
    """
    span = window + 1
    chunks, mask_chunks = [], []
    for k, seq in enumerate(sequences):
        mask = None if masks is None else np.asarray(masks[k], bool)
        if len(seq) < span:
            if not pad_short or len(seq) < 2:
                continue
            chunks.append(np.pad(seq, (0, span - len(seq)), constant_values=pad_id))
            if mask is not None:
                mask_chunks.append(np.pad(mask, (0, span - len(seq)), constant_values=False))
            continue
        for s in _span_starts(len(seq), span, stride):
            chunks.append(seq[s : s + span])
            if mask is not None:
                mask_chunks.append(mask[s : s + span])
    if not chunks:
        raise InputError(msg("said.too_short", window=window))
    spans = np.stack(chunks).astype(np.int32)
    return spans, (None if masks is None else np.stack(mask_chunks))


def make_windows(sequences: list[np.ndarray], window: int, stride: int, targets: str = "sequence", pad_id: int = 0):
    """Cut sequences into (inputs, targets, weights).

    targets="sequence": inputs (n, window) and targets (n, window) shifted by one; a short piece is
    padded at its end and the padding gets weight 0. targets="last" (the article): only the token
    after each window is a target, so pieces shorter than window + 1 give nothing.
    """
    spans, _ = make_spans(sequences, window, stride, pad_id, pad_short=targets != "last")
    return split_spans(spans, targets, pad_id)


def split_spans(spans: np.ndarray, targets: str = "sequence", pad_id: int = 0):
    """Spans of window + 1 ids → (inputs, targets, weights), as ``make_windows`` returns them."""
    x, y = spans[:, :-1], spans[:, 1:]
    if targets == "last":
        return x, y[:, -1], np.ones(len(y), dtype=np.float32)
    return x, y, (y != pad_id).astype(np.float32)


def tf_dataset(x, y, w, batch_size: int, shuffle: bool, seed: int):
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y, w))
    if shuffle:
        ds = ds.shuffle(min(len(x), 20_000), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


# ---------------------------------------------------------------- augmentation


@dataclass
class Augment:
    """What moves, and how far: pitch by up to ± transpose semitones, tempo and velocity by a bin.

    blocks: the tokenizer's ``id_blocks()`` — {"pitch": (first id, count), "tempo": …, "velocity": …}.
    """

    transpose: int
    jitter: bool
    blocks: dict

    @classmethod
    def for_training(cls, tokenizer: Tokenizer, transpose: int, jitter: bool, targets: str = "sequence"):
        """The augmentation a run uses, or None: only sequence targets, and only schemes whose ids
        say what a pitch is (the article's ``notes`` scheme has no pitch block and trains plain)."""
        blocks = tokenizer.id_blocks()
        transpose = max(0, int(transpose)) if "pitch" in blocks else 0
        jitter = bool(jitter) and any(k in blocks for k in ("tempo", "velocity"))
        if targets != "sequence" or not (transpose or jitter):
            return None
        return cls(transpose, jitter, dict(blocks))

    def shift_ranges(self, spans: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per span, the lowest and highest shift in [-transpose, transpose] that keep every
        transposable pitch of the span inside the pitch block (0, 0 when it has none)."""
        first, count = self.blocks.get("pitch", (0, 0))
        big = np.iinfo(np.int32).max
        low = np.where(masks, spans, big).min(axis=1)
        high = np.where(masks, spans, -big).max(axis=1)
        has = masks.any(axis=1)
        lo = np.where(has, np.maximum(-self.transpose, first - low), 0)
        hi = np.where(has, np.minimum(self.transpose, first + count - 1 - high), 0)
        return lo.astype(np.int32), hi.astype(np.int32)


def augmented_dataset(spans: np.ndarray, masks: np.ndarray, augment: Augment, batch_size: int, seed: int,
                      pad_id: int = 0, shuffle: bool = True, repeat: bool = False):
    """tf.data of (inputs, targets, weights) batches whose spans are moved afresh each time they
    are served: one shift per window, drawn uniformly among those that keep its pitches in range,
    added to its transposable pitch ids (inputs and targets alike). Seeded: the same seed gives the
    same sequence of epochs; each epoch differs from the last."""
    import tensorflow as tf

    lo, hi = augment.shift_ranges(spans, masks)
    ds = tf.data.Dataset.from_tensor_slices((spans.astype(np.int32), masks.astype(bool), lo, hi))
    if shuffle:
        ds = ds.shuffle(min(len(spans), 20_000), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    return _moved(ds.batch(batch_size), augment, seed, pad_id)


def _moved(batches, augment: Augment, seed: int, pad_id: int):
    """Batches of (spans, masks, lowest shift, highest shift) → moved (inputs, targets, weights)."""
    import tensorflow as tf

    jitter_blocks = [augment.blocks[k] for k in ("tempo", "velocity") if augment.jitter and k in augment.blocks]

    def move(batch, seed_pair):
        ids, mask, low, high = batch
        seeds = tf.random.experimental.stateless_split(seed_pair, 1 + len(jitter_blocks))
        u = tf.random.stateless_uniform(tf.shape(low), seed=seeds[0])
        shift = tf.minimum(low + tf.cast(tf.floor(u * tf.cast(high - low + 1, tf.float32)), tf.int32), high)
        moved = ids + shift[:, None] * tf.cast(mask, tf.int32)
        for k, (first, count) in enumerate(jitter_blocks):
            step = tf.random.stateless_uniform(tf.shape(low), seed=seeds[k + 1], minval=-1, maxval=2, dtype=tf.int32)
            inside = (ids >= first) & (ids < first + count)
            nudged = tf.clip_by_value(ids + step[:, None], first, first + count - 1)
            moved = tf.where(inside, nudged, moved)
        x, y = moved[:, :-1], moved[:, 1:]
        return x, y, tf.cast(tf.not_equal(y, pad_id), tf.float32)

    randoms = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
    ds = tf.data.Dataset.zip((batches, randoms)).map(move, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.prefetch(tf.data.AUTOTUNE)


def augmentable_spans(sequences: list[np.ndarray], tokenizer: Tokenizer, window: int, stride: int,
                      augment: Augment):
    """Training spans and their transposable-pitch masks, the masks computed on whole pieces (a
    window from the middle of a piece does not see the header that says which part is drums)."""
    if augment.transpose:
        masks = [np.asarray(tokenizer.transposable(seq), bool) for seq in sequences]
    else:
        masks = [np.zeros(len(seq), bool) for seq in sequences]
    return make_spans(sequences, window, stride, tokenizer.pad_id, masks)


# ---------------------------------------------------------------- streaming from a TokenStore


class Spans:
    """The windows of window + 1 ids that ``make_spans`` would cut from some of a store's pieces,
    in the same order and by the same rules, as an index: each one's shard, first id and real
    length (a short piece's one window is padded). ``gather`` reads a batch of them from disk."""

    def __init__(self, sequences: Subset, window: int, stride: int, pad_id: int = 0, pad_short: bool = True):
        store = sequences.store
        self.store, self.width, self.pad_id = store, window + 1, pad_id
        shard, start, length = [], [], []
        for i in sequences.indices:
            n, begin = int(store.end[i] - store.begin[i]), int(store.begin[i])
            if n < self.width:
                if not pad_short or n < 2:
                    continue
                starts, real = [0], n
            else:
                starts, real = _span_starts(n, self.width, stride), self.width
            shard += [store.shard[i]] * len(starts)
            start += [begin + s for s in starts]
            length += [real] * len(starts)
        if not shard:
            raise InputError(msg("said.too_short", window=window))
        self.shard = np.asarray(shard, np.int32)
        self.start = np.asarray(start, np.int64)
        self.length = np.asarray(length, np.int32)

    def __len__(self) -> int:
        return len(self.shard)

    def gather(self, rows) -> tuple[np.ndarray, np.ndarray]:
        """The windows at ``rows``: ids (n, window + 1) int32, padded with pad_id, and their
        transposable-pitch masks (False on padding, and everywhere if the store kept none)."""
        rows = np.asarray(rows, np.int64)
        columns = np.arange(self.width)
        ids = np.full((len(rows), self.width), self.pad_id, np.int32)
        masks = np.zeros((len(rows), self.width), bool)
        shard = self.shard[rows]
        for k in np.unique(shard):
            chosen = shard == k
            here = rows[chosen]
            real = columns < self.length[here, None]
            where = np.where(real, self.start[here, None] + columns, 0)  # padding reads id 0, then is replaced
            ids[chosen] = np.where(real, self.store.ids[k][where], self.pad_id)
            if self.store.masks is not None:
                masks[chosen] = real & self.store.masks[k][where]
        return ids, masks


def streamed_dataset(spans: Spans, batch_size: int, seed: int, *, targets: str = "sequence",
                     augment: Augment | None = None, shuffle: bool = True, repeat: bool = False):
    """tf.data of (inputs, targets, weights) batches read from disk as they are served. Shuffled
    afresh each epoch over every window (the order is an index permutation, so this costs no
    memory to speak of); unshuffled, the very batches ``tf_dataset`` (or ``augmented_dataset``,
    when ``augment``) gives for the same windows in memory."""
    import tensorflow as tf

    def read(rows):
        ids, masks = spans.gather(rows)
        low, high = augment.shift_ranges(ids, masks) if augment else (np.zeros(len(ids), np.int32),) * 2
        return ids, masks, low, high

    def load(rows):
        ids, masks, low, high = tf.numpy_function(read, [rows], [tf.int32, tf.bool, tf.int32, tf.int32],
                                                  stateful=False)
        ids.set_shape([None, spans.width])
        masks.set_shape([None, spans.width])
        low.set_shape([None])
        high.set_shape([None])
        return ids, masks, low, high

    rows = tf.data.Dataset.range(len(spans))
    if shuffle:  # Keras counts an epoch's steps from the cardinality, which the shuffle hides
        rows = _window_order(len(spans), seed).apply(tf.data.experimental.assert_cardinality(len(spans)))
    if repeat:
        rows = rows.repeat()
    batches = rows.batch(batch_size).map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if augment is not None:
        return _moved(batches, augment, seed, spans.pad_id)
    return batches.map(lambda ids, *_: _split_batch(ids, targets, spans.pad_id)).prefetch(tf.data.AUTOTUNE)


def _window_order(n: int, seed: int):
    """Row numbers 0..n-1 in a fresh random order each time the dataset is iterated (each epoch)."""
    import tensorflow as tf

    def permutation(epoch_seed):
        pair = tf.stack([epoch_seed, tf.constant(seed, tf.int64)])
        return tf.data.Dataset.from_tensor_slices(tf.random.experimental.stateless_shuffle(tf.range(n, dtype=tf.int64), pair))

    return tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).take(1).flat_map(permutation)


def _split_batch(ids, targets: str, pad_id: int):
    """``split_spans`` on a batch in TensorFlow."""
    import tensorflow as tf

    x, y = ids[:, :-1], ids[:, 1:]
    if targets == "last":
        return x, y[:, -1], tf.ones(tf.shape(y)[:1], tf.float32)
    return x, y, tf.cast(tf.not_equal(y, pad_id), tf.float32)


# ---------------------------------------------------------------- either way


def count_windows(windows) -> int:
    """How many windows: a Spans index, or in-memory arrays (x, y, w) or (spans, masks)."""
    return len(windows) if isinstance(windows, Spans) else len(windows[0])


def training_batches(windows, augment: Augment | None, batch_size: int, seed: int, pad_id: int,
                     targets: str = "sequence", repeat: bool = False):
    """Shuffled training batches from either kind of windows, moved when ``augment``."""
    if isinstance(windows, Spans):
        return streamed_dataset(windows, batch_size, seed, targets=targets, augment=augment, repeat=repeat)
    if augment is not None:  # moved afresh each time a window is served
        return augmented_dataset(*windows, augment, batch_size, seed, pad_id, repeat=repeat)
    ds = tf_dataset(*windows, batch_size, shuffle=True, seed=seed)
    return ds.repeat() if repeat else ds


def validation_batches(windows, batch_size: int, targets: str = "sequence"):
    """Validation batches in order, never moved."""
    if isinstance(windows, Spans):
        return streamed_dataset(windows, batch_size, 0, targets=targets, shuffle=False)
    return tf_dataset(*windows, batch_size, shuffle=False, seed=0)
