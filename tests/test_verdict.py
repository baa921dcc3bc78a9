"""The Compare page's plain answer: which model predicts held-out music better, beyond the noise."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from conftest import tiny_config
from musegen.evaluate import verdict
from musegen.messages import codes
from musegen.runs.folder import Run


def fake_run(name, kind, val_losses, seconds=60.0, dataset="bach", scheme="metre", stopped="early stopping"):
    config = tiny_config(kind)
    config = dataclasses.replace(config, data=dataclasses.replace(config.data, dataset=dataset),
                                 tokenizer=dataclasses.replace(config.tokenizer, scheme=scheme))
    best = min(range(len(val_losses)), key=val_losses.__getitem__)
    summary = {"model": kind, "val_loss": val_losses[best], "val_accuracy": 0.5, "epochs": len(val_losses),
               "best_epoch": best + 1, "seconds": seconds, "stopped": stopped}
    return Run(Path("/runs") / name, config, None, {"val_loss": val_losses}, {}, summary)


def test_a_clear_winner_is_named_with_its_margin():
    a = fake_run("w", "wavenet", [2.0, 1.5, 1.20, 1.21, 1.22, 1.23])
    b = fake_run("l", "lstm", [2.2, 1.9, 1.70, 1.71, 1.72, 1.73])
    answer = verdict.compare([a, b])
    assert answer.clear and answer.winner == "wavenet" and not answer.warnings
    assert answer.headline.code == "verdict.winner" and answer.headline.values["best"] == "WaveNet"
    assert round(answer.headline.values["gap"], 3) == 0.5
    assert ["verdict.noise", "verdict.noise_jitter"] in [codes(line) for line in answer.evidence]  # one run of each
    assert "0.500 lower" in str(answer.headline)  # said in English by str(), in Chinese by said("zh")
    assert answer.headline.said("zh").startswith("在巴赫众赞歌上，WaveNet 对留出音乐的预测更好")
    # The music it measured by name, and one run of each is no proof of "beyond the noise".
    assert str(answer.headline).startswith("On Bach chorales, the WaveNet predicts held-out music better")
    assert "one run of each" in str(answer.headline) and "beyond" not in str(answer.headline)
    assert not answer.sure and "各再训练一次" in answer.headline.said("zh")
    # The numbers the headline rests on, for the table beside it, and what "loss" means in words.
    assert answer.losses == {"w": 1.20, "l": 1.70}
    assert answer.source.code == "verdict.source_recorded" and "held-out Bach chorales, one run of each model" in str(answer.source)
    assert "30% probability" in str(answer.surprise) and "30%" in answer.surprise.said("zh")  # exp(-1.2)


def test_a_winner_over_several_seeds_is_beyond_the_noise():
    runs = [fake_run("w1", "wavenet", [1.5, 1.20, 1.21, 1.22]), fake_run("w2", "wavenet", [1.5, 1.22, 1.23, 1.24]),
            fake_run("l1", "lstm", [1.9, 1.70, 1.71, 1.72]), fake_run("l2", "lstm", [1.9, 1.72, 1.73, 1.74])]
    answer = verdict.compare(runs)
    assert answer.clear and answer.sure and "well beyond the spread between runs with other seeds" in str(answer.headline)
    assert "4 runs in all" in str(answer.source)


def test_a_gap_within_the_noise_is_no_winner():
    a = fake_run("w", "wavenet", [1.5, 1.30, 1.45, 1.32, 1.44])
    b = fake_run("l", "lstm", [1.5, 1.34, 1.46, 1.35, 1.45])
    answer = verdict.compare([a, b])
    assert not answer.clear and answer.winner is None and answer.headline.code == "verdict.no_winner"


def test_seeds_give_the_noise_when_there_are_several_runs_of_a_model():
    runs = [fake_run("w1", "wavenet", [1.2, 1.00]), fake_run("w2", "wavenet", [1.2, 1.10]),
            fake_run("l1", "lstm", [1.3, 1.05]), fake_run("l2", "lstm", [1.3, 1.15])]
    answer = verdict.compare(runs)
    assert not answer.clear and ["verdict.noise", "verdict.noise_seeds"] in [codes(line) for line in answer.evidence]


def test_runs_that_cannot_be_compared_or_judged_say_so():
    a = fake_run("w", "wavenet", [1.2, 1.0, 0.9])
    other_music = verdict.compare([a, fake_run("l", "lstm", [1.2, 1.1, 1.0], dataset="folk")])
    assert other_music.headline.code == "verdict.other_music"
    assert [w.values for w in other_music.warnings] == [{"name": "w", "setting": "bach"}, {"name": "l", "setting": "folk"}]
    assert verdict.compare([a, fake_run("l", "lstm", [1.2, 1.1, 1.0], scheme="rich")]).headline.code == "verdict.other_tokens"
    short = verdict.compare([fake_run("w", "wavenet", [3.0, 2.0]), fake_run("l", "lstm", [4.0, 3.0])])
    assert [(w.code, w.values) for w in short.warnings] == [("verdict.too_short", {"name": "w", "epochs": 2}),
                                                           ("verdict.too_short", {"name": "l", "epochs": 2})]
    assert short.headline.code == "verdict.early" and not short.clear
    learning = verdict.compare([fake_run("w", "wavenet", [3.0, 2.0, 1.0], stopped="time budget"),
                                fake_run("l", "lstm", [3.0, 2.5, 2.4, 2.45, 2.5])])
    assert [(w.code, w.values) for w in learning.warnings] == [("verdict.improving", {"name": "w"})]
    assert learning.headline.code == "verdict.so_far" and learning.headline.values["best"] == "WaveNet"
    assert verdict.compare([a]).headline.code == "verdict.pick_two"


def test_a_rough_run_gives_way_to_a_much_better_one_on_the_same_music():
    from musegen.studio.run_library import Entry, better_than_rough

    rough, good = fake_run("mine", "wavenet", [5.0, 4.9]), fake_run("bundled", "wavenet", [1.2, 0.94])
    other = fake_run("folk", "wavenet", [0.5, 0.4], dataset="folk")
    entries = [Entry(good, True), Entry(rough, False), Entry(other, True)]
    assert better_than_rough(rough, entries).run is good
    assert better_than_rough(good, entries) is None  # the good one is not rough
    assert better_than_rough(fake_run("close", "wavenet", [1.3, 1.2]), entries) is None  # within 0.5: fine


def test_runs_validated_differently_are_measured_on_the_same_music(trained_run, pieces):
    other = Run(trained_run.path, dataclasses.replace(
        trained_run.config, data=dataclasses.replace(trained_run.config.data, window=64)),
        trained_run.tokenizer, trained_run.history, trained_run.data, dict(trained_run.summary))
    mismatch = verdict.recorded_mismatch([trained_run, other])
    assert mismatch.code == "verdict.mismatch_windows" and mismatch.values == {"low": 32, "high": 64}
    refused = verdict.compare([trained_run, other]).headline  # no music: no claim
    assert refused.code == "verdict.not_alike" and refused.values["why"] == mismatch
    measured = verdict.measure([trained_run], pieces)
    assert abs(measured[trained_run.name] - trained_run.summary["val_loss"]) < 0.5  # the same model, the same yardstick
    answer = verdict.compare([trained_run, fake_run("l", "lstm", [9.0, 8.0, 7.5], dataset="synthetic")],
                             measured={trained_run.name: measured[trained_run.name], "l": 7.5})
    assert "verdict.how_measured" in codes(answer.evidence[0]) and "verdict.measured" in [e.code for e in answer.evidence]
    assert answer.losses == {trained_run.name: measured[trained_run.name], "l": 7.5}  # the measured ones, for the table
    assert answer.source.code == "verdict.source_measured" and "measured alike" in str(answer.source)


def test_a_small_probability_is_never_said_as_zero():
    from musegen.evaluate.verdict import share_text

    assert [share_text(p) for p in (0.35, 0.1, 0.045, 0.0044, 0.00012)] == ["35%", "10%", "4.5%", "0.44%", "0.012%"]
