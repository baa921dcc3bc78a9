import numpy as np

from musegen.config import DataConfig
from musegen.data.dataset import make_windows, split_by_file, tokenize
from musegen.config import TokenizerConfig
from musegen.tokens.registry import make_tokenizer


def test_split_is_by_file_and_reproducible():
    train, val = split_by_file(20, 0.2, seed=5)
    assert len(val) == 4 and not set(train) & set(val) and len(train) + len(val) == 20
    assert np.array_equal(split_by_file(20, 0.2, seed=5)[1], val)
    assert len(split_by_file(2, 0.1, seed=1)[1]) == 1  # at least one validation file


def test_no_window_of_a_validation_piece_is_trained_on(pieces):
    data = tokenize(pieces, make_tokenizer(TokenizerConfig()), DataConfig(val_fraction=0.3), seed=1)
    assert not set(data.train_names) & set(data.val_names)
    assert len(data.val) == 3


def test_sequence_windows_shift_by_one_and_pad_short_pieces():
    seq = np.arange(1, 101, dtype=np.int32)
    x, y, w = make_windows([seq, np.array([1, 2, 3, 4, 5], np.int32)], window=32, stride=16)
    assert x.shape == y.shape == w.shape and x.shape[1] == 32
    assert np.array_equal(x[0, 1:], y[0, :-1])
    assert y[-2, -1] == 100  # the tail of the long piece is covered
    assert w[-1].sum() == 4 and x[-1, 0] == 1  # the short piece: 4 real targets, the rest weight 0


def test_last_step_windows_are_the_articles():
    seq = np.arange(1, 41, dtype=np.int32)
    x, y, w = make_windows([seq], window=32, stride=1, targets="last")
    assert x.shape == (8, 32) and y.shape == (8,) and y[0] == 33


# ---------------------------------------------------------------- augmentation

from musegen.data.dataset import Augment, augmentable_spans, augmented_dataset, make_spans, split_spans  # noqa: E402
from musegen.music.piece import Part, Piece  # noqa: E402


def drummed_piece(i: int, low: int, high: int) -> Piece:
    """A melody that reaches `low` and `high` (near the edges of the tokenizer's range), chords, and a
    drum part whose pitches must never move."""
    rng = np.random.default_rng(i)
    notes = []
    for bar in range(8):
        t = bar * 4.0
        for k, pitch in enumerate(rng.choice(np.arange(low, high + 1), 4)):
            notes.append((t + k, 1.0, int(pitch), 90, 0))
        notes.append((t, 4.0, low + 3, 60, 0))
        if bar % 4 == 3:
            notes.append((t + 3.5, 0.5, high, 90, 0))
        for beat in range(4):
            notes.append((t + beat, 0.5, 42 if beat % 2 == 0 else 46, 100, 1))  # hi-hats
    return Piece(f"drummed-{i}", np.array(notes, float), tempo=100.0 + 10 * i,
                 parts=[Part(program=0), Part(program=0, is_drum=True, name="Drums")])


def served(ds) -> np.ndarray:
    """One epoch of an unshuffled dataset as spans again: x plus y's last column."""
    rows = []
    for x, y, w in ds:
        x, y, w = x.numpy(), y.numpy(), w.numpy()
        assert np.array_equal(x[:, 1:], y[:, :-1]), "inputs and targets come from one moved span"
        assert np.array_equal(w, (y != 0).astype(np.float32))
        rows.append(np.concatenate([x, y[:, -1:]], axis=1))
    return np.concatenate(rows)


def augmentation_setup(transpose=5, jitter=False, velocity_bins=0):
    tokenizer = make_tokenizer(TokenizerConfig(min_pitch=40, max_pitch=90, velocity_bins=velocity_bins))
    sequences = [tokenizer.encode(drummed_piece(i, 42, 88)) for i in range(4)]
    augment = Augment.for_training(tokenizer, transpose, jitter)
    spans, masks = augmentable_spans(sequences, tokenizer, window=32, stride=16, augment=augment)
    return tokenizer, augment, spans, masks


def test_transposition_keeps_pitches_in_range_moves_x_and_y_together_and_spares_drums():
    tokenizer, augment, spans, masks = augmentation_setup()
    first, count = tokenizer.id_blocks()["pitch"]
    is_pitch = (spans >= first) & (spans < first + count)
    assert (is_pitch & ~masks).any() and not (masks & ~is_pitch).any(), "drum pitches are in the windows, not transposable"
    lo, hi = augment.shift_ranges(spans, masks)
    assert (lo == -2).any() and (hi == 2).any() and (lo == -5).any(), "windows reaching the range's edges may move less"
    ds = augmented_dataset(spans, masks, augment, batch_size=16, seed=1, shuffle=False)
    shifts = []
    for _ in range(3):
        moved = served(ds)
        diff = moved - spans
        assert not diff[~masks].any(), "only transposable pitches move (not drums, not other tokens)"
        shift = np.where(masks, diff, -99).max(1) * masks.any(1)
        assert (np.where(masks, diff, shift[:, None]) == shift[:, None]).all(), "one shift per window"
        assert ((shift >= lo) & (shift <= hi)).all() and (np.abs(shift) <= 5).all()
        assert ((moved[is_pitch] >= first) & (moved[is_pitch] < first + count)).all()
        shifts.append(shift)
    assert len(set(np.concatenate(shifts).tolist())) >= 9, "shifts are drawn across the whole allowed range"


def test_each_epoch_moves_windows_afresh_and_the_seed_repeats_them():
    tokenizer, augment, spans, masks = augmentation_setup()
    ds = augmented_dataset(spans, masks, augment, batch_size=16, seed=1, shuffle=False)
    first_epoch, second_epoch = served(ds), served(ds)
    assert not np.array_equal(first_epoch, second_epoch)
    assert np.array_equal(served(augmented_dataset(spans, masks, augment, batch_size=16, seed=1, shuffle=False)),
                          first_epoch), "same seed, same augmentation"
    assert not np.array_equal(served(augmented_dataset(spans, masks, augment, batch_size=16, seed=2, shuffle=False)),
                              first_epoch)
    shuffled = [np.concatenate([x.numpy() for x, _, _ in augmented_dataset(spans, masks, augment, 16, seed=4)])
                for _ in range(2)]
    assert np.array_equal(*shuffled), "a shuffled run is reproducible too"


def test_no_augmentation_gives_the_plain_windows(pieces):
    tokenizer, _, _, _ = augmentation_setup()
    assert Augment.for_training(tokenizer, 0, False) is None
    assert Augment.for_training(tokenizer, 5, False, targets="last") is None  # the article's targets
    notes = make_tokenizer(TokenizerConfig(scheme="notes", min_count=1)).fit(pieces)
    assert Augment.for_training(notes, 5, True) is None, "the notes scheme has no pitch block"
    sequences = [tokenizer.encode(drummed_piece(i, 42, 88)) for i in range(3)] + [np.array([1, 5, 6, 2], np.int32)]
    spans, masks = augmentable_spans(sequences, tokenizer, 32, 16, Augment(0, False, tokenizer.id_blocks()))
    plain = make_windows(sequences, 32, 16, pad_id=tokenizer.pad_id)
    for a, b in zip(split_spans(spans, pad_id=tokenizer.pad_id), plain):
        assert np.array_equal(a, b)
    identity = served(augmented_dataset(spans, masks, Augment(0, False, tokenizer.id_blocks()), 16, seed=1,
                                        shuffle=False))
    assert np.array_equal(identity, spans)


def test_spans_cut_masks_alongside_the_ids():
    seq = np.arange(1, 60, dtype=np.int32)
    spans, masks = make_spans([seq, seq[:10]], window=16, stride=8, masks=[seq % 3 == 0, seq[:10] % 3 == 0])
    assert spans.shape == masks.shape == (8, 17)
    assert np.array_equal(masks[:-1], spans[:-1] % 3 == 0)
    assert not masks[-1, 10:].any() and (spans[-1, 10:] == 0).all()  # the short piece's padding


def test_jitter_nudges_tempo_and_velocity_by_one_bin_within_their_blocks():
    tokenizer, augment, spans, masks = augmentation_setup(transpose=0, jitter=True, velocity_bins=4)
    blocks = tokenizer.id_blocks()
    moved = served(augmented_dataset(spans, masks, augment, 16, seed=3, shuffle=False))
    diff = moved - spans
    touched = np.zeros(spans.shape, bool)
    for name in ("tempo", "velocity"):
        first, count = blocks[name]
        inside = (spans >= first) & (spans < first + count)
        assert inside.any() and (np.abs(diff[inside]) <= 1).all()
        assert ((moved[inside] >= first) & (moved[inside] < first + count)).all()
        assert (diff[inside] != 0).any()
        touched |= inside
    assert not diff[~touched].any(), "pitches stay put with transpose=0"
