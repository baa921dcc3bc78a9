"""Generation on NumPy equals the Keras model, is reproducible, and honours every sampling rule."""
import numpy as np
import pytest

from conftest import tiny_model
from musegen.config import SampleConfig
from musegen.models.build import build_model
from musegen.generate.sample import Composer
from musegen.generate.sampling import Generator, Sampling, article_loop
from musegen.generate.steer import Banned

VOCAB = 30


@pytest.fixture(scope="module", params=["wavenet", "simple-wavenet", "lstm"])
def generator(request):
    config = tiny_model(request.param)
    model = build_model(config, VOCAB, 32)
    return model, Generator.from_model(model, config, VOCAB, 32)


def ids(batch=2, length=40, seed=0):
    return np.random.default_rng(seed).integers(0, VOCAB, (batch, length)).astype(np.int32)


def test_fast_path_matches_the_models_forward_pass(generator):
    model, gen = generator
    x = ids()
    assert gen.fast
    assert np.allclose(gen.step_logits(x), model(x).numpy(), atol=1e-4)


def test_the_default_wavenet_shape_steps_exactly_too():
    """Two stacks of dilations (the default shape, scaled down): the queues of the second stack
    restart at dilation 1 and must still match the model over more than one receptive field."""
    config = tiny_model("wavenet")
    config.stacks, config.dilation_depth = 2, 4
    model = build_model(config, VOCAB, 64)
    x = ids(2, 80, seed=5)
    assert np.allclose(Generator.from_model(model, config, VOCAB, 64).step_logits(x), model(x).numpy(), atol=1e-4)


def test_greedy_equals_the_articles_predict_loop(generator):
    model, gen = generator
    primer = ids(1, 12, seed=3)
    fast, _ = gen.generate(primer, 20, Sampling(temperature=0.0))
    # The article slides a fixed window; with a window as long as the whole text both see the same past.
    slow = []
    seq = list(primer[0])
    for _ in range(20):
        token = int(np.argmax(model(np.array([seq]))[0, -1]))
        slow.append(token)
        seq.append(token)
    assert fast[0].tolist() == slow


def test_same_seed_same_music_other_seed_other_music(generator):
    _, gen = generator
    primer = ids(1, 5)
    a, _ = gen.generate(primer, 60, Sampling(1.0, 0, 1.0, seed=7))
    b, _ = gen.generate(primer, 60, Sampling(1.0, 0, 1.0, seed=7))
    c, _ = gen.generate(primer, 60, Sampling(1.0, 0, 1.0, seed=8))
    assert np.array_equal(a[0], b[0]) and not np.array_equal(a[0], c[0])


def test_top_k_one_and_tiny_top_p_are_greedy(generator):
    _, gen = generator
    primer = ids(1, 5)
    greedy, _ = gen.generate(primer, 30, Sampling(temperature=0.0))
    k1, _ = gen.generate(primer, 30, Sampling(1.5, top_k=1, seed=3))
    p0, _ = gen.generate(primer, 30, Sampling(1.5, top_p=1e-6, seed=3))
    assert np.array_equal(greedy[0], k1[0]) and np.array_equal(greedy[0], p0[0])


def test_top_k_and_top_p_keep_only_likely_tokens(generator):
    """300 draws of the next token: all among the allowed ones, and more than one of them (not
    greedy in disguise)."""
    model, gen = generator
    primer = np.repeat(ids(1, 10), 300, axis=0)
    logits = model(primer[:1]).numpy()[0, -1].astype(np.float64)
    ranked = np.argsort(-logits)
    out, _ = gen.generate(primer, 1, Sampling(1.0, top_k=3, seed=1))
    drawn = {int(o[0]) for o in out}
    assert drawn <= set(ranked[:3]) and len(drawn) > 1

    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    nucleus = ranked[: int(np.searchsorted(np.cumsum(probs[ranked]), 0.5)) + 1]  # smallest set reaching 0.5
    out, _ = gen.generate(primer, 1, Sampling(1.0, top_p=0.5, seed=2))
    drawn = {int(o[0]) for o in out}
    assert drawn <= set(nucleus) and (len(drawn) > 1 or len(nucleus) == 1)


def test_banned_tokens_never_come_and_batches_vary(generator):
    _, gen = generator
    out, speed = gen.generate(ids(4, 3), 50, Sampling(1.2, seed=2), rules=[Banned(VOCAB, [0, 1, 2])])
    assert len(out) == 4 and all(len(o) == 50 for o in out)
    assert not np.isin(np.concatenate(out), [0, 1, 2]).any()
    assert len({o.tobytes() for o in out}) > 1 and speed > 0


def test_stops_after_enough_music(generator):
    _, gen = generator
    quarters = np.zeros(VOCAB, np.float32)
    quarters[5:] = 0.5
    out, _ = gen.generate(ids(2, 4), 500, Sampling(1.0, seed=1), rules=[Banned(VOCAB, range(5))],
                          token_quarters=quarters, max_quarters=8.0)
    for seq in out:
        assert quarters[seq].sum() == 8.0 and len(seq) == 16


def test_the_articles_window_models_still_generate():
    config = tiny_model("lstm", inputs="scalar", targets="last")
    model = build_model(config, VOCAB, 16)
    gen = Generator.from_model(model, config, VOCAB, 16)
    assert not gen.fast
    primer = ids(1, 16)
    fast, _ = gen.generate(primer, 10, Sampling(temperature=0.0))
    assert fast[0].tolist() == article_loop(model, primer[0], 10, last_only=True)


def test_composer_writes_pieces_from_a_run(trained_run, pieces):
    composer = Composer(trained_run)
    sample = SampleConfig(length=80, temperature=0.9, top_p=0.95, seed=11, variations=2, tempo=90, program=40)
    first = composer.compose(sample)
    again = composer.compose(sample)
    assert len(first.pieces) == 2 and first.seed == 11
    assert [p.notes.tolist() for p in first.pieces] == [p.notes.tolist() for p in again.pieces]
    assert all(p.n_notes > 0 and p.tempo == 90 and p.program == 40 for p in first.pieces)
    # A sequence stops before the token that would take its music past the length asked for.
    vocab = len(trained_run.tokenizer)
    for quarters, expected in ((1.0, 12), (1.5, 8), (5.0, 2)):
        ids, _ = composer.generator.generate(np.array([[1]]), 100, Sampling(1.0, seed=3),
                                             token_quarters=np.full(vocab, quarters, np.float32), max_quarters=12.0)
        assert len(ids[0]) == expected
    timed = composer.compose(SampleConfig(seconds=6, tempo=120, seed=1))
    clock = trained_run.tokenizer.token_quarters(4.0)[timed.ids[0]].sum()
    assert clock <= 12.0 and timed.pieces[0].n_notes > 0  # 6 s at 120 bpm: three bars of 4/4 at most
    cont = composer.compose(SampleConfig(length=20, seed=1, primer_tokens=48), piece=pieces[0])
    tok = trained_run.tokenizer
    head = tok.header(tok.encode(pieces[0]))
    assert [tok.vocab[i] for i in head][:2] == ["<bos>", "Tempo_101"]  # the piece's tempo (100) and instrument
    body = cont.primer[len(head):]
    assert np.array_equal(cont.primer[:len(head)], head) and 0 < len(body) <= 48
    assert tok.vocab[body[0]] == "Bar"  # the end of the piece in whole bars


def test_timing_tokens_are_drawn_at_their_own_temperature(trained_run, pieces):
    """The rhythm temperature applies to bar lines, positions and durations only: the pitches keep
    the temperature, and a draw follows each token's own softmax."""
    from musegen.config import TokenizerConfig
    from musegen.generate.sampling import choose
    from musegen.tokens.registry import make_tokenizer

    tok = trained_run.tokenizer
    timing = tok.timing_mask()
    assert all(timing[tok.index[t]] for t in ("Bar", "Pos_0", "Pos_12", "Dur_12"))
    assert not any(timing[tok.index[t]] for t in ("Pitch_60", "Part_0", "TimeSig_4/4"))
    temps = Composer(trained_run).temperatures(SampleConfig(temperature=0.5, rhythm_temperature=1.3))
    assert np.all(temps[timing] == np.float32(1.3)) and np.all(temps[~timing] == np.float32(0.5))
    assert Composer(trained_run).temperatures(SampleConfig(temperature=0.0)) == 0.0  # greedy stays greedy
    notes = make_tokenizer(TokenizerConfig(scheme="notes", min_count=1)).fit(pieces)
    assert len(notes) > 10 and not notes.timing_mask().any()  # the article's tokens are all notes
    rich = make_tokenizer(TokenizerConfig(scheme="rich"))
    assert rich.timing_mask()[rich.index["Shift_1"]] and not rich.timing_mask()[rich.index["Pitch_60"]]

    # Tokens 0, 1 timing at T = 2, tokens 2, 3 pitches at T = 0.5, all from the logits log(.3, .2, .3, .2).
    logits = np.repeat(np.log([[0.3, 0.2, 0.3, 0.2]]), 20_000, axis=0)
    drawn = np.bincount(choose(logits, Sampling(np.array([2, 2, 0.5, 0.5]), seed=5), np.random.default_rng(5)),
                        minlength=4)
    assert drawn[0] / drawn[1] == pytest.approx(1.5 ** 0.5, rel=0.06)
    assert drawn[2] / drawn[3] == pytest.approx(1.5 ** 2, rel=0.06)

