import numpy as np

from musegen.config import DataConfig
from musegen.dataset import make_windows, split_by_file, tokenize
from musegen.config import TokenizerConfig
from musegen.tokens import make_tokenizer


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
