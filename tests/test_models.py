"""The three models: shapes, causality, receptive field, and a loss that falls when they train."""
import keras
import numpy as np
import pytest

from conftest import tiny_model
from musegen.models.build import build_model, receptive_field

VOCAB = 20


def pattern_data(n=64, length=24):
    """A repeating motif: easy to learn, so a few steps must lower the loss."""
    motif = np.array([3, 5, 7, 5, 3, 9, 11, 9])
    seqs = np.stack([np.roll(np.tile(motif, 8), -i)[: length + 1] for i in range(n)])
    return seqs[:, :-1].astype(np.int32), seqs[:, 1:].astype(np.int32)


@pytest.mark.parametrize("kind", ["wavenet", "simple-wavenet", "lstm"])
def test_every_model_learns(kind):
    keras.utils.set_random_seed(0)
    model = build_model(tiny_model(kind), VOCAB, 24)
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = pattern_data()
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=20, batch_size=16, verbose=0)
    after = model.evaluate(x, y, verbose=0)
    assert model.output_shape == (None, None, VOCAB)
    assert after < before * 0.5, (before, after)


@pytest.mark.parametrize("kind", ["simple-wavenet", "lstm"])
def test_the_articles_last_step_models(kind):
    model = build_model(tiny_model(kind, inputs="scalar", targets="last"), VOCAB, 32)
    assert model.output_shape == (None, VOCAB)
    x = np.random.default_rng(0).integers(0, VOCAB, (4, 32)).astype(np.int32)
    assert model(x).shape == (4, VOCAB)


def test_article_lstm_is_two_lstm128_dense256():
    from musegen.config import ModelConfig

    model = build_model(ModelConfig(kind="lstm"), VOCAB, 32)
    lstms = [l for l in model.layers if isinstance(l, keras.layers.LSTM)]
    assert [l.units for l in lstms] == [128, 128]
    assert model.get_layer("dense").units == 256


@pytest.mark.parametrize("kind", ["wavenet", "simple-wavenet"])
def test_convolutions_are_causal_with_the_reported_receptive_field(kind):
    config = tiny_model(kind)
    rf = receptive_field(config)
    model = build_model(config, VOCAB, 64)
    length = rf + 10
    x = np.random.default_rng(1).integers(1, VOCAB, (1, length)).astype(np.int32)
    base = model(x).numpy()
    t = length - 1
    future = x.copy()
    future[0, t] = (future[0, t] + 1) % VOCAB  # changing the present must not change the past
    assert np.allclose(model(future).numpy()[0, :t], base[0, :t], atol=1e-6)
    inside = x.copy()
    inside[0, t - rf + 1] = (inside[0, t - rf + 1] + 1) % VOCAB  # the oldest token it can see
    assert not np.allclose(model(inside).numpy()[0, t], base[0, t], atol=1e-7)
    outside = x.copy()
    outside[0, t - rf] = (outside[0, t - rf] + 1) % VOCAB  # one further back: invisible
    assert np.allclose(model(outside).numpy()[0, t], base[0, t], atol=1e-6)
