"""Token ids on disk, read through memory maps: training on more music than fits in memory.

A :class:`TokenStore` is a folder of shards. Each shard holds the ids of consecutive pieces as one
flat int32 array (``ids-00000.npy``) with the offsets where each piece begins and ends
(``offsets-00000.npy``), and, when augmentation needs them, which ids are transposable pitches
(``pitch-00000.npy``). ``store.json`` is written last: a folder without it was never finished and
is not read. Writing holds one shard in memory; reading holds none (the OS pages the maps in and
out), so a training's memory does not grow with its music beyond the window index
(``dataset.Spans``).
"""
from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

SHARD_IDS = 1 << 22  # 16 MB of int32 ids per shard
STORE = "store.json"


class TokenStore(Sequence):
    """The pieces' ids (``store[i]``: a read-only view) and, when kept, their pitch masks (``store.mask(i)``)."""

    def __init__(self, folder):
        self.folder = Path(folder)
        meta = json.loads((self.folder / STORE).read_text())
        self.ids = [np.load(self.folder / f"ids-{k:05d}.npy", mmap_mode="r") for k in range(meta["shards"])]
        self.masks = [np.load(self.folder / f"pitch-{k:05d}.npy", mmap_mode="r") for k in range(meta["shards"])] \
            if meta["masks"] else None
        offsets = [np.load(self.folder / f"offsets-{k:05d}.npy") for k in range(meta["shards"])]
        # Per piece: its shard, and where its ids begin and end there.
        self.shard = np.concatenate([np.full(len(o) - 1, k, np.int32) for k, o in enumerate(offsets)])
        self.begin = np.concatenate([o[:-1] for o in offsets])
        self.end = np.concatenate([o[1:] for o in offsets])

    def __len__(self) -> int:
        return len(self.shard)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        return self.ids[self.shard[i]][self.begin[i]:self.end[i]]

    def mask(self, i: int) -> np.ndarray:
        if self.masks is None:
            return np.zeros(self.end[i] - self.begin[i], bool)
        return self.masks[self.shard[i]][self.begin[i]:self.end[i]]

    def lengths(self) -> np.ndarray:
        return self.end - self.begin

    def subset(self, indices) -> "Subset":
        return Subset(self, np.asarray(indices, np.int64))


class Subset(Sequence):
    """Some of a store's pieces, in the given order: a list of id arrays to its users."""

    def __init__(self, store: TokenStore, indices: np.ndarray):
        self.store, self.indices = store, indices

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        return self.store[int(self.indices[i])]


def write_store(folder, pieces: Iterable[tuple[np.ndarray, np.ndarray | None]], masks: bool) -> TokenStore:
    """Write each piece's (ids, pitch mask or None) in order; a shard is written once it holds
    SHARD_IDS ids. Replaces whatever was at ``folder``."""
    folder = Path(folder)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shards = 0
    ids_buffer: list[np.ndarray] = []
    mask_buffer: list[np.ndarray] = []
    held = 0

    def flush() -> None:
        nonlocal shards, held
        lengths = [len(a) for a in ids_buffer]
        np.save(folder / f"ids-{shards:05d}.npy", np.concatenate([np.zeros(0, np.int32), *ids_buffer]))
        np.save(folder / f"offsets-{shards:05d}.npy", np.cumsum([0] + lengths).astype(np.int64))
        if masks:
            np.save(folder / f"pitch-{shards:05d}.npy", np.concatenate([np.zeros(0, bool), *mask_buffer]))
        ids_buffer.clear()
        mask_buffer.clear()
        shards, held = shards + 1, 0

    for ids, mask in pieces:
        ids_buffer.append(np.asarray(ids, np.int32))
        if masks:
            mask_buffer.append(np.asarray(mask, bool))
        held += len(ids)
        if held >= SHARD_IDS:
            flush()
    if ids_buffer or not shards:  # the last shard (or an empty one: a store always has one)
        flush()
    (folder / STORE).write_text(json.dumps({"shards": shards, "masks": masks}))
    return TokenStore(folder)
