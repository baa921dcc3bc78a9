"""Datasets of many files: the per-file parse cache, token shards on disk, windows streamed from them."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import Loaded, make_piece, tiny_config
from musegen.music import parsecache, progress
from musegen.config import DataConfig, TokenizerConfig
from musegen.data.dataset import (Augment, Spans, augmentable_spans, augmented_dataset, make_windows, streamed_dataset,
                             tf_dataset, tokenize)
from musegen.errors import InputError
from musegen.render.midi import piece_to_midi_bytes
from musegen.data.shards import write_store
from musegen.music.report import LoadResult
from musegen.music.sources import load_pieces
from musegen.tokens.registry import make_tokenizer


def write_folder(folder, n: int, start: int = 0):
    folder.mkdir(exist_ok=True)
    for i in range(start, start + n):
        (folder / f"piece-{i:03d}.mid").write_bytes(piece_to_midi_bytes(make_piece(i)))


def parsed_names(folder, cache, **kw) -> tuple[LoadResult, list[str]]:
    """Load the folder and say which files were parsed (not read from the cache)."""
    names = []
    result = load_pieces(str(folder), cache_dir=cache, progress=lambda done, total, name: names.append(name), **kw)
    return result, [n for n in names if n]


# ------------------------------------------------------------------------------ parse cache


def test_adding_a_file_parses_only_that_file(tmp_path):
    folder, cache = tmp_path / "music", tmp_path / "cache"
    write_folder(folder, 6)
    (folder / "broken.mid").write_bytes(b"MThd nonsense")
    first, parsed = parsed_names(folder, cache)
    assert len(parsed) == 7 and not first.cached
    write_folder(folder, 1, start=6)
    second, parsed = parsed_names(folder, cache)
    assert parsed == ["piece-006.mid"] and not second.cached
    third, parsed = parsed_names(folder, cache)
    assert parsed == [] and third.cached
    # the per-file report survives the cache: the skipped file and its reason too
    assert third.report == second.report and len(third.report) == 8
    assert {r.name: r.reason for r in third.skipped} == {"broken.mid": second.skipped[0].reason}
    assert str(second.skipped[0].reason).startswith("truncated or corrupt MIDI")
    for a, b in zip(second.pieces, third.pieces):
        assert a.name == b.name and np.array_equal(a.notes, b.notes) and a.tempo == b.tempo
    # other parse settings are other entries
    _, parsed = parsed_names(folder, cache, data=DataConfig(drums=False))
    assert len(parsed) == 8


def test_a_changed_or_renamed_file_is_parsed_again(tmp_path):
    folder, cache = tmp_path / "music", tmp_path / "cache"
    write_folder(folder, 4)
    parsed_names(folder, cache)
    (folder / "piece-001.mid").write_bytes(piece_to_midi_bytes(make_piece(40)))
    (folder / "piece-002.mid").rename(folder / "renamed.mid")
    _, parsed = parsed_names(folder, cache)
    assert sorted(parsed) == ["piece-001.mid", "renamed.mid"]


@pytest.mark.parametrize("damage", ["truncated", "garbage", "deleted"])
def test_a_damaged_shard_is_parsed_again_not_fatal(tmp_path, damage):
    folder, cache = tmp_path / "music", tmp_path / "cache"
    write_folder(folder, 5)
    first, _ = parsed_names(folder, cache)
    [shard] = parsecache.shard_paths(cache)
    data = shard.read_bytes()
    if damage == "deleted":
        shard.unlink()
    else:
        shard.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"PK\x03\x04" + bytes(300))
    again, parsed = parsed_names(folder, cache)
    assert len(parsed) == 5 and again.report == first.report
    assert len(parsecache.shard_paths(cache)) == 1  # the damaged one gone, rebuilt
    assert parsed_names(folder, cache)[1] == []


def test_a_cache_that_cannot_be_written_costs_only_speed(tmp_path, monkeypatch):
    folder, cache = tmp_path / "music", tmp_path / "cache"
    write_folder(folder, 5)

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(parsecache, "write_shard", full_disk)
    monkeypatch.setattr(parsecache, "IN_MEMORY_NOTES", 10)  # even a big set: its pieces stay in memory
    result, parsed = parsed_names(folder, cache)
    assert len(parsed) == 5 and len(result.pieces) == 5 and result.pieces[4].name == "piece-004.mid"
    assert parsed_names(folder, cache)[1] == parsed  # nothing was cached: parsed again


def test_a_big_dataset_stays_on_disk_and_reads_like_a_list(tmp_path, monkeypatch):
    folder, cache = tmp_path / "music", tmp_path / "cache"
    write_folder(folder, 9)
    small = load_pieces(str(folder), cache_dir=cache)
    assert isinstance(small.pieces, list)
    monkeypatch.setattr(parsecache, "IN_MEMORY_NOTES", 10)
    monkeypatch.setattr(parsecache, "SHARD_FILES", 4)  # three shards
    monkeypatch.setattr(parsecache, "SHARDS_KEPT", 1)
    cache2 = tmp_path / "cache2"
    fresh = load_pieces(str(folder), cache_dir=cache2)
    again = load_pieces(str(folder), cache_dir=cache2)
    assert len(parsecache.shard_paths(cache2)) == 3
    for big in (fresh, again):
        assert isinstance(big.pieces, parsecache.StoredPieces) and len(big.pieces) == 9
        assert [p.name for p in big.pieces] == [p.name for p in small.pieces]
        for a, b in zip(big.pieces, small.pieces):
            assert np.array_equal(a.notes, b.notes) and a.parts[0].as_dict() == b.parts[0].as_dict()
        assert [p.name for p in big.pieces[2:5]] == [p.name for p in small.pieces[2:5]]
        assert big.pieces[-1].name == small.pieces[-1].name
    for shard in parsecache.shard_paths(cache2):  # evicted by the disk budget while in use: said in words
        shard.unlink()
    with pytest.raises(InputError) as refusal:
        list(again.pieces)
    assert refusal.value.message.code == "said.cache_changed"


# ------------------------------------------------------------------------------ token shards


def sequences_and_tokenizer(n=12):
    tokenizer = make_tokenizer(TokenizerConfig())
    pieces = [make_piece(i, bars=2 + i % 7) for i in range(n)]
    seqs = [tokenizer.encode(p) for p in pieces] + [np.array([1, 7, 2], np.int32)]  # and a very short one
    return tokenizer, pieces, seqs


def test_the_store_round_trips_ids_and_masks_exactly(tmp_path, monkeypatch):
    monkeypatch.setattr("musegen.data.shards.SHARD_IDS", 500)  # several shards
    tokenizer, _, seqs = sequences_and_tokenizer()
    masks = [tokenizer.transposable(s) for s in seqs]
    store = write_store(tmp_path / "tokens", zip(seqs, masks), masks=True)
    assert len(store.ids) > 2 and len(store) == len(seqs)
    for i, (seq, mask) in enumerate(zip(seqs, masks)):
        assert store[i].dtype == np.int32 and np.array_equal(store[i], seq)
        assert np.array_equal(store.mask(i), mask)
    assert isinstance(store.ids[0], np.memmap)  # read through the map, not loaded
    assert [len(s) for s in store.subset([3, 1])] == [len(seqs[3]), len(seqs[1])]


@pytest.mark.parametrize("targets", ["sequence", "last"])
def test_streamed_windows_equal_the_windows_in_memory(tmp_path, monkeypatch, targets):
    monkeypatch.setattr("musegen.data.shards.SHARD_IDS", 700)  # windows from several shards in one batch
    tokenizer, _, seqs = sequences_and_tokenizer()
    store = write_store(tmp_path / "tokens", ((s, None) for s in seqs), masks=False)
    order = [5, 0, 12, 3, 7, 1]
    window, stride = 32, 12
    x, y, w = make_windows([seqs[i] for i in order], window, stride, targets, tokenizer.pad_id)
    spans = Spans(store.subset(order), window, stride, tokenizer.pad_id, pad_short=targets != "last")
    assert len(spans) == len(x)
    for a, b in zip(tf_dataset(x, y, w, 8, shuffle=False, seed=0),
                    streamed_dataset(spans, 8, seed=0, targets=targets, shuffle=False)):
        for u, v in zip(a, b):
            assert u.dtype == v.dtype and np.array_equal(u.numpy(), v.numpy())


def test_streamed_augmentation_moves_windows_as_in_memory(tmp_path):
    tokenizer, _, seqs = sequences_and_tokenizer()
    augment = Augment.for_training(tokenizer, 5, True)
    spans_in_memory, masks = augmentable_spans(seqs, tokenizer, 32, 16, augment)
    store = write_store(tmp_path / "tokens", ((s, tokenizer.transposable(s)) for s in seqs), masks=True)
    spans = Spans(store.subset(range(len(seqs))), 32, 16, tokenizer.pad_id)
    ids, gathered_masks = spans.gather(np.arange(len(spans)))
    assert np.array_equal(ids, spans_in_memory) and np.array_equal(gathered_masks, masks)
    in_memory = augmented_dataset(spans_in_memory, masks, augment, 16, seed=3, shuffle=False)
    streamed = streamed_dataset(spans, 16, seed=3, augment=augment, shuffle=False)
    for _ in range(2):  # each epoch moved afresh, the same way
        for a, b in zip(in_memory, streamed):
            assert all(np.array_equal(u.numpy(), v.numpy()) for u, v in zip(a, b))


def test_streamed_shuffle_covers_every_window_once_per_epoch_in_a_new_order(tmp_path):
    tokenizer, _, seqs = sequences_and_tokenizer()
    store = write_store(tmp_path / "tokens", ((s, None) for s in seqs), masks=False)
    spans = Spans(store.subset(range(len(seqs))), 16, 8, tokenizer.pad_id)
    plain = np.concatenate([x.numpy() for x, _, _ in streamed_dataset(spans, 8, seed=1, shuffle=False)])
    ds = streamed_dataset(spans, 8, seed=1)
    epochs = [np.concatenate([x.numpy() for x, _, _ in ds]) for _ in range(2)]
    for epoch in epochs:
        assert sorted(map(bytes, epoch)) == sorted(map(bytes, plain))
    assert not np.array_equal(epochs[0], epochs[1]) and not np.array_equal(epochs[0], plain)
    again = np.concatenate([x.numpy() for x, _, _ in streamed_dataset(spans, 8, seed=1)])
    assert np.array_equal(again, epochs[0]), "seeded"
    repeated = streamed_dataset(spans, 8, seed=1, repeat=True).take(2 * -(-len(spans) // 8) + 3)
    assert sum(1 for _ in repeated) == 2 * -(-len(spans) // 8) + 3


def test_tokenize_to_a_store_gives_the_same_ids(tmp_path, pieces):
    data = DataConfig(val_fraction=0.3)
    in_memory = tokenize(pieces, make_tokenizer(TokenizerConfig()), data, seed=1)
    on_disk = tokenize(pieces, make_tokenizer(TokenizerConfig()), data, seed=1, store=tmp_path / "t")
    assert on_disk.train_names == in_memory.train_names and on_disk.val_names == in_memory.val_names
    assert all(np.array_equal(a, b) for a, b in zip(on_disk.train, in_memory.train))
    assert all(np.array_equal(a, b) for a, b in zip(on_disk.val, in_memory.val))
    assert on_disk.n_tokens == in_memory.n_tokens


# ------------------------------------------------------------------------------ training


@pytest.mark.parametrize("transpose", [0, 3])
def test_training_streams_from_shards_end_to_end(tmp_path, pieces, monkeypatch, transpose):
    from musegen.train import fit as train_module

    monkeypatch.setattr(train_module, "STREAM_MIN_NOTES", -1)  # every dataset streams
    seen = []
    real_spans = train_module.Spans

    def spying_spans(*a, **k):
        seen.append(a[0])
        return real_spans(*a, **k)

    monkeypatch.setattr(train_module, "Spans", spying_spans)
    config = tiny_config()
    config.train.transpose = transpose
    run = train_module.train(config, tmp_path / "run", pieces=Loaded(pieces))
    assert len(seen) == 2, "training and validation windows both streamed"
    assert run.history["loss"][-1] < run.history["loss"][0] and run.summary["val_loss"] > 0
    assert (run.summary["augmentation"] is not None) == bool(transpose)
    assert not (tmp_path / "run" / train_module.TOKENS).exists(), "the token store goes when training ends"
    data = run.data
    assert data["train_windows"] > 0 and data["val_windows"] > 0 and data["tokens_per_bar"]


def test_a_big_cached_folder_trains_streaming(tmp_path, monkeypatch):
    """The whole way: a folder whose pieces stay in the cache, tokens on disk, windows streamed."""
    from musegen.train import fit as train_module

    folder, cache = tmp_path / "music", tmp_path / "cache"
    write_folder(folder, 12)
    monkeypatch.setattr(parsecache, "IN_MEMORY_NOTES", 100)
    monkeypatch.setattr(train_module, "STREAM_MIN_NOTES", 100)
    loaded = load_pieces(str(folder), cache_dir=cache)
    assert isinstance(loaded.pieces, parsecache.StoredPieces)
    config = tiny_config()
    config.data.dataset = str(folder)
    config.train.epochs, config.train.steps_per_epoch = 1, 3
    run = train_module.train(config, tmp_path / "run", pieces=loaded)
    assert run.summary["epochs"] == 1 and len(run.data["files"]) == 12


def test_progress_counts_the_files_and_says_about_how_long_is_left(monkeypatch):
    clock = iter([100.0, 110.0, 111.0])  # the first file done at 100 s, after the workers started
    monkeypatch.setattr(progress.time, "monotonic", lambda: next(clock))
    left = progress.FilesLeft()
    assert left(1, 20_000) == "1/20,000 files"
    assert left(1_234, 20_000) == "1,234/20,000 files · about 3 min left"  # 1,233 files in 10 s
    assert left(20_000, 20_000) == "20,000/20,000 files"


def test_the_command_shows_files_done_and_time_left(tmp_path):
    import re

    from conftest import musegen

    write_folder(tmp_path / "music", 6)
    result = musegen("inspect", tmp_path / "music", MUSEGEN_PROGRESS="1", MUSEGEN_CACHE=str(tmp_path / "cache"))
    assert result.returncode == 0, result.stderr
    assert re.search(r"\] +\d+% [2-5]/6 files · about \d+ s left  piece-00\d\.mid", result.stderr)
