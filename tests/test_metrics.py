"""Evaluation: held-out likelihood against the model itself, musical statistics on hand-made
pieces, the collapse detector, the memorisation meter, the set comparison, `musegen evaluate`."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from musegen.errors import ModelError
from musegen.evaluate.against_real import (HISTOGRAM_FEATURES, SCALAR_FEATURES, compare_sets, features,
                                           overlap_and_kl)
from musegen.evaluate.collapse import collapse
from musegen.evaluate.heldout import _batch_stats, eval_windows, heldout, predicted_quarters, split_pieces
from musegen.evaluate.memorisation import TrainingIndex, copy_against_chance
from musegen.evaluate.note_statistics import (DURATION_LABELS, empty_beat_rate, note_density, pitch_class_entropy,
                                              pitch_range, polyphony, scale_consistency)
from musegen.evaluate.run_report import evaluate
from musegen.evaluate.structure import STRUCTURE_FEATURES
from musegen.generate.remarks import collapse_message, collapse_warning
from musegen.messages import codes
from musegen.music.piece import Piece
from conftest import make_piece


def scale_piece(pitches, duration=1.0, name="scale"):
    return Piece.from_lists(name, np.arange(len(pitches)) * duration, [duration] * len(pitches), pitches)


# ---------------------------------------------------------------- held-out likelihood


def test_heldout_matches_the_model_and_the_recorded_split(trained_run, pieces):
    train, val, how = split_pieces(trained_run, pieces)
    assert how == "recorded split"
    assert [p.name for p in val] == trained_run.data["val_files"]
    assert [p.name for p in train] == trained_run.data["train_files"]

    model = trained_run.load_model()
    stats = heldout(trained_run, val, model=model)
    assert stats["perplexity"] == pytest.approx(math.exp(stats["nll"]))
    assert 0.0 <= stats["accuracy"] <= 1.0
    assert stats["bits_per_quarter"] > 0

    # The same figures by hand: softmax of the model's logits at every real target.
    seqs = [trained_run.tokenizer.encode(p) for p in val]
    assert stats["tokens"] == sum(len(s) - 1 for s in seqs)  # every token after <bos> predicted once
    x, y, w = eval_windows(seqs, trained_run.config.data.window, "sequence", trained_run.tokenizer.pad_id)
    logits = np.asarray(model(x, training=False), dtype=np.float64)
    logp = logits - logits.max(-1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(-1, keepdims=True))
    nll = -np.take_along_axis(logp, y[..., None], -1)[..., 0]
    assert stats["nll"] == pytest.approx((nll * w).sum() / w.sum(), rel=1e-4)
    assert stats["accuracy"] == pytest.approx(((logits.argmax(-1) == y) * w).sum() / w.sum(), abs=1e-6)

    # Measured again (as the study and per-epoch figures do): the model is not traced again.
    traced = _batch_stats(model).experimental_get_tracing_count()
    assert heldout(trained_run, val, model=model)["nll"] == pytest.approx(stats["nll"])
    assert _batch_stats(model).experimental_get_tracing_count() == traced


def test_a_changed_dataset_is_refused_unless_resplit(trained_run, pieces):
    renamed = [Piece(f"other-{i}", p.notes) for i, p in enumerate(pieces)]
    with pytest.raises(ModelError, match="dataset changed"):
        split_pieces(trained_run, renamed)
    train, val, how = split_pieces(trained_run, renamed, strict=False)
    assert how == "re-split" and len(train) + len(val) == len(pieces) and val


def test_last_step_windows_predict_each_token_once():
    seqs = [np.arange(1, 11), np.arange(1, 4)]  # the short one gives no window
    x, y, w = eval_windows(seqs, 4, "last", 0)
    assert x.shape == (6, 4) and list(y) == [5, 6, 7, 8, 9, 10] and w.sum() == 6
    # A sequence model scored on the same targets: every token from index 4 on.
    x, y, w = eval_windows(seqs, 3, "sequence", 0, from_token=4)
    assert sorted(y[w > 0].tolist()) == [5, 6, 7, 8, 9, 10]


def test_bits_per_quarter_counts_the_music_s_real_length(trained_run, pieces):
    _, val, _ = split_pieces(trained_run, pieces)
    stats = heldout(trained_run, val)
    assert stats["quarters"] == pytest.approx(sum(p.duration_quarters for p in val))


def test_predicted_quarters_of_the_notes_scheme_follow_the_onsets_not_a_half_beat_per_token():
    from musegen.config import TokenizerConfig
    from musegen.tokens.notes import NotesTokenizer

    # Onsets at 0, 2, 3 (a rare chord, dropped from the vocabulary), 3.5 and 6; the piece ends at 10.
    piece = Piece.from_lists("p", [0, 2, 3, 3, 3.5, 6], [2, 1, 0.5, 0.5, 2.5, 4], [60, 62, 61, 66, 64, 65])
    tokenizer = NotesTokenizer(TokenizerConfig(scheme="notes", min_count=1)).fit([piece])
    tokenizer.set_vocab([t for t in tokenizer.vocab if "." not in t])  # the chord falls below the cutoff
    seq = tokenizer.encode(piece)
    assert len(seq) == 6  # <bos>, four onsets, <eos>
    assert predicted_quarters(tokenizer, piece, seq, 1) == 10.0  # the whole piece
    assert predicted_quarters(tokenizer, piece, seq, 3) == 6.5  # from the onset at 3.5
    assert predicted_quarters(tokenizer, piece, seq, 5) == 0.0  # only <eos> is left
    assert predicted_quarters(tokenizer, piece, seq, 6) == 0.0  # nothing is predicted


# ---------------------------------------------------------------- musical statistics


def test_statistics_of_hand_made_pieces():
    c_major = scale_piece([60, 62, 64, 65, 67, 69, 71])
    f = features(c_major)
    assert f["scale_consistency"] == 1.0
    assert f["pitch_class_entropy"] == pytest.approx(math.log2(7))
    assert f["pitch_range"] == 11 and f["polyphony"] == 1.0 and f["note_density"] == 1.0
    assert f["empty_beat_rate"] == 0.0
    assert f["duration_histogram"][DURATION_LABELS.index("1/4")] == 1.0

    repeated = scale_piece([64] * 8, duration=0.5)
    assert pitch_class_entropy(repeated) == 0.0
    assert note_density(repeated) == 2.0
    assert pitch_range(repeated) == 0.0

    chromatic = scale_piece(list(range(60, 72)))
    assert pitch_class_entropy(chromatic) == pytest.approx(math.log2(12))
    assert scale_consistency(chromatic) == pytest.approx(7 / 12)

    triads = Piece.from_lists("triads", [0, 0, 0, 2, 2, 2], [1] * 6, [60, 64, 67, 62, 65, 69])
    assert polyphony(triads) == 3.0
    assert empty_beat_rate(triads) == pytest.approx(1 / 3)  # beat 2 of 3 is silent


def test_a_set_overlaps_itself_and_not_a_collapsed_one():
    real = [make_piece(i) for i in range(20)]
    same = compare_sets(real, real)
    assert same["overlap"] > 0.9 and same["kl"] < 0.1
    drone = [scale_piece([60] * 32, duration=0.25, name=f"drone-{i}") for i in range(8)]
    other = compare_sets(real, drone)
    assert other["overlap"] < same["overlap"] - 0.3
    assert other["kl"] > same["kl"]
    entropy = other["features"]["pitch_class_entropy"]
    assert entropy["generated_mean"] == 0.0 and entropy["real_mean"] > 2


def test_overlap_and_kl_of_distributions():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 400), rng.normal(0, 1, 400)
    overlap, kl = overlap_and_kl(a, b)
    assert overlap > 0.85 and kl < 0.05
    overlap, kl = overlap_and_kl(a, b + 10)
    assert overlap < 0.01 and kl > 5


# ---------------------------------------------------------------- collapse


def test_collapse_detector_flags_a_loop_and_passes_varied_output():
    rng = np.random.default_rng(1)
    looped = np.concatenate([rng.integers(3, 90, 40), np.tile([10, 11, 12, 13, 14, 15], 40)])
    c = collapse(looped)
    assert c["collapsed"] and c["loop_period"] == 6 and c["loop_tokens"] >= 240
    assert codes(collapse_message(looped)) == ["said.sentences", "said.loop", "said.advice"]
    assert collapse_message(looped).values["parts"][0].values == {"n": 6}

    assert collapse([7] * 100)["collapsed"]  # one token over and over
    varied = rng.integers(3, 90, 400)
    assert not collapse(varied)["collapsed"] and collapse_warning(varied) is None


def test_real_music_is_not_called_collapsed(trained_run, pieces):
    for piece in pieces:
        assert collapse_warning(trained_run.tokenizer.encode(piece)) is None


# ---------------------------------------------------------------- memorisation


def test_memorisation_finds_a_planted_copy_and_its_file():
    rng = np.random.default_rng(2)
    train = [rng.integers(3, 200, 2000) for _ in range(50)]
    names = [f"file-{i}.mid" for i in range(50)]
    index = TrainingIndex(train, names)
    generated = rng.integers(300, 400, 500)  # ids the training data never uses
    generated[200:257] = train[31][1000:1057]
    copy = index.longest_copy(generated)
    assert (copy.tokens, copy.file, copy.start_generated, copy.start_file) == (57, "file-31.mid", 200, 1000)
    assert index.copied_share(generated, 16) == pytest.approx((57 - 15) / (500 - 15))
    assert index.longest_copy(rng.integers(300, 400, 100)).tokens == 0


def test_a_copy_never_spans_two_training_files():
    index = TrainingIndex([np.array([1, 2, 3]), np.array([4, 5, 6])], ["a", "b"])
    copy = index.longest_copy([2, 3, 4, 5])
    assert copy.tokens == 2 and copy.file in ("a", "b")


def test_memorisation_is_compared_with_real_music_of_the_same_length(trained_run, pieces):
    tokenizer = trained_run.tokenizer
    train_ids = [tokenizer.encode(p) for p in pieces]
    index = TrainingIndex(train_ids, [p.name for p in pieces])
    short_real = [ids[:41] for ids in train_ids]  # real pieces of 40 tokens after <bos>, all seen in training
    generated = [ids[1:-1] for ids in train_ids[:3]]  # whole training pieces copied: hundreds of tokens
    assert min(len(g) for g in generated) > 100
    memory = copy_against_chance(generated, short_real, index, tokenizer, length=400, seed=0)
    assert memory["compared_tokens"] == 40
    assert memory["matched_longest_copy"] == memory["validation_baseline"] == 40  # mean vs mean, same length


# ---------------------------------------------------------------- the whole evaluation and the CLI


def test_evaluate_a_run(trained_run, pieces):
    result = evaluate(trained_run, pieces, n_pieces=3, length=64, temperature=1.0, seed=4)
    assert result["perplexity"] == pytest.approx(math.exp(result["nll"]))
    assert result["pieces"] == 3 and result["tokens_per_s"] > 0
    assert 0 <= result["overlap"] <= 1
    assert set(result["musical"]) == set(SCALAR_FEATURES + HISTOGRAM_FEATURES)
    assert result["memorisation"]["longest_copy"] >= 0 and "validation_baseline" in result["memorisation"]
    assert result["collapse"]["pieces"] == 3 and result["collapse"]["locked_in"] is not None
    for side in ("real", "generated"):  # structure statistics of both sets, side by side
        assert set(STRUCTURE_FEATURES) <= set(result["structure"][side])
        assert 0 <= result["structure"][side]["locked_in"] <= 1
    json.dumps(result)  # the CLI prints it


def test_cli_evaluate_prints_one_json_line(trained_run, pieces, tmp_path, capsys):
    from musegen.cli import main
    from musegen.render.midi import write_midi

    folder = tmp_path / "music"
    for piece in pieces:
        write_midi(piece, folder / f"{piece.name}.mid")
    code = main(["evaluate", str(trained_run.path), "--dataset", str(folder), "--pieces", "2", "--length", "48",
                 "--temperature", "0.8", "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0 and len(out) == 1
    result = json.loads(out[0])
    for key in ("nll", "perplexity", "accuracy", "musical", "overlap", "kl", "collapse", "memorisation"):
        assert key in result
    assert result["split"] == "re-split" and result["temperature"] == 0.8
    # Without --json: a summary for a person, structure against real music included.
    assert main(["evaluate", str(trained_run.path), "--dataset", str(folder), "--pieces", "2", "--length", "48"]) == 0
    err = capsys.readouterr().err
    assert "notes on the beat: " in err and "(real music 1.00)" in err  # the synthetic pieces are all on the beat


def test_cli_evaluate_reports_a_missing_run(tmp_path, capsys):
    from musegen.cli import main

    assert main(["evaluate", str(tmp_path / "nothing"), "--json"]) == 1
    assert "not a finished musegen run" in capsys.readouterr().err
