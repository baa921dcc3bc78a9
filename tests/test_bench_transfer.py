"""The transfer benchmark's own logic: tunes split from an ABC book, its table and its targets."""
from __future__ import annotations

from bench.transfer import BUDGETS, abc_tunes, kept_marks, own_harmony, table_rows, targets


def test_an_abc_book_becomes_one_file_per_tune(tmp_path):
    book = tmp_path / "book.abc"
    book.write_text("%abc header\n\nX: 1\nT: One\nM:6/8\nK:G\nGAB|\n\nX: 2\nT: Two\nM:2/4\nK:D\nDE|\nX:3\nT: Three\nK:A\nA|\n")
    tunes = abc_tunes(book)
    assert [name for name, _ in tunes] == ["book-000.abc", "book-001.abc", "book-002.abc"]
    assert tunes[0][1].startswith(b"X: 1\nT: One") and b"Two" not in tunes[0][1]
    assert tunes[2][1] == b"X:3\nT: Three\nK:A\nA|\n"


def entry(base_val, scratch_val, base_beat):
    def cell(val, beat):
        return {"val_loss": val, "overlap": 0.8, "generated": {"on_beat_share": beat, "beat_chord_fit": 0.7,
                                                                "bar_repetition": 0.2}}

    return {"title": "t", "real": {"on_beat_share": 0.5, "beat_chord_fit": 0.75, "bar_repetition": 0.3},
            "overlap_real_vs_real": 0.85,
            "runs": {"base-1": {"start": "base", "seed": 1, "start_val_loss": 1.0, "chance_loss": 6.0,
                                "budgets": {"60": cell(base_val + 0.1, base_beat), "300": cell(base_val, base_beat)}},
                     "scratch-1": {"start": "scratch", "seed": 1, "budgets": {"60": cell(3.0, 0.3),
                                                                              "300": cell(scratch_val, 0.3)}}}}


def test_the_table_has_a_row_per_start_and_budget_and_the_real_music():
    rows = table_rows(entry(1.2, 1.5, 0.52))
    assert [(r["start"], r["minutes"]) for r in rows] == [
        ("fine-tune base", "1"), ("fine-tune base", "5"), ("from scratch", "1"), ("from scratch", "5"), ("real music", "")]
    assert rows[1]["val_loss"] == "1.20" and rows[-1]["overlap"] == "0.85 (real vs real)"


def test_the_targets_judge_the_longest_budget():
    met = targets(entry(1.2, 1.5, 0.52))
    assert met == {"beat chords within 0.10": True, "on-beat within 0.05": True, "bars repeated ≥ half real": True,
                   "overlap within 0.1 of real vs real": True, "first val loss < half of chance": True,
                   "val loss below from-scratch": True}
    assert targets(entry(1.6, 1.5, 0.60))["val loss below from-scratch"] is False
    assert targets(entry(1.6, 1.5, 0.60))["on-beat within 0.05"] is False


def test_judging_again_finds_each_budgets_checkpoint_and_keeps_the_models_own_harmony(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / f"{BUDGETS[0]:g}s").mkdir()
    marks = kept_marks(tmp_path)
    assert marks[BUDGETS[0]] == tmp_path / f"{BUDGETS[0]:g}s"  # the copy made as its budget passed
    assert marks[BUDGETS[1]] == tmp_path / "run" == marks[BUDGETS[-1]]  # stopped early, or the longest budget
    e = entry(1.2, 1.5, 0.52)
    assert own_harmony(e) == ""  # nothing judged both ways
    base = e["runs"]["base-1"]
    base["budgets_own"] = {k: {**v, "generated": {**v["generated"], "beat_chord_fit": 0.3}} for k, v in base["budgets"].items()}
    for cell in base["budgets"].values():
        cell["harmony"] = 0.97
    assert own_harmony(e) == ("Beat chords at 5 minutes, the same checkpoints with the model's own harmony "
                              "(`--harmony 0`) and at the default: fine-tuned 0.30 on its own, 0.70 with chords "
                              "on the beat 0.97.")
