"""Form, measured (issue 20): `python -m bench.form` (part of `make quality`). Writes docs/form.md.

For each bundled model, and the base fine-tuned for 2 minutes on 20 jigs it never saw (bench/transfer's
set), pieces of one round of a form (AABA in 4-bar phrases: 16 bars) written from
the opening bar of a held-out piece of its dataset, under each form the app offers (free: the
model's own), against excerpts of the same number of bars of the held-out pieces: bars repeated,
4-bar rhythms repeated, how faithful a repeat is to its first statement, whether the piece ends
on its home chord, and the pulse and harmony (on-beat onsets, beat chords) that a form must not
spoil. Three sets of pieces from other seeds give each figure's spread. Then what a long piece
costs: a 3-minute AABA piece's generation time, per model. Then writing bars again: 20 spans of 4
bars in held-out real pieces, each written again (generate/span.py), against the piece's own bars:
how likely the model finds the kept bars after the span (mean log-probability per token).

    python -m bench.form              everything (a few minutes on two cores)
    FORM_ONLY=rewrite python -m bench.form   one section again (forms, finetuned, long, rewrite), the others kept
    FORM_QUICK=1 python -m bench.form fewer pieces (a smoke run)

Results go to docs/form/results.json (committed); docs/form.md is written from it.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench.common import ASSETS, ROOT, log, markdown_table, piano_roll, write_json  # noqa: E402

QUICK = bool(os.environ.get("FORM_QUICK"))
MODELS = ("bach-wavenet", "bach-lstm", "folk-wavenet")
PIECES = 4 if QUICK else 10  # per set
SETS = 1 if QUICK else 3  # sets of pieces from other seeds: the spread
PHRASE = 4
# (label, form, repeats): what the Generate page offers, and an exact AABA to show the ceiling.
FORMS = [("free", "", "varied"), ("AABA", "AABA", "varied"), ("AABA, exact", "AABA", "exact"),
         ("ABAB", "ABAB", "varied"), ("AABB", "AABB", "varied"), ("verse/chorus", "verse/chorus", "varied")]
BARS = 4 * PHRASE  # one round of a four-section form
LONG_SECONDS = 180.0
LONG_PIECES = 8  # three gave the Bach WaveNet's sections in key anywhere from 0.37 to 0.60: one piece spans 0.26-0.95
SPANS = 20  # bars written again, per model
FINETUNE_SECONDS = 120.0  # the fine-tune whose form is measured too
SPAN_BARS = 4
ONLY = [s for s in os.environ.get("FORM_ONLY", "").split(",") if s]
STATISTICS = ["bar_repetition", "phrase_repetition", "repeat_agreement", "ends_home", "on_beat_share", "beat_chord_fit"]
OUT = ROOT / "docs" / "form"


def bars_excerpt(piece, bars: int, rng):
    """``bars`` bars of a real piece from a random bar line (its last bars when it is shorter),
    moved to start at 0: the same length as a generated round of the form."""
    from musegen.music.piece import DURATION, START

    lines = list(piece.bar_starts()) + [piece.duration_quarters]
    first = int(rng.integers(0, max(1, len(lines) - bars)))
    start, end = lines[first], lines[min(first + bars, len(lines) - 1)]
    notes = piece.notes[(piece.notes[:, START] >= start) & (piece.notes[:, START] < end)].copy()
    notes[:, START] -= start
    notes[:, DURATION] = np.minimum(notes[:, DURATION], end - notes[:, START])
    cut = piece.with_notes(notes, name=f"{piece.name}@{start:g}")
    in_force = [ts for ts in piece.time_signatures if ts[0] <= start][-1]
    cut.time_signatures = [(0.0, *in_force[1:])] + [(at - start, n, d) for at, n, d in piece.time_signatures
                                                     if start < at < end]
    return cut


def statistics(pieces, second_a: int | None) -> dict:
    """The mean of each statistic over a set (nan skipped); ``second_a``: the bar where the form's
    first repeat starts (its agreement with bar 0), None for music without a plan."""
    from musegen.evaluate.harmony import beat_chord_fit, ends_on_home_chord
    from musegen.evaluate.repetition import bar_repetition, phrase_repetition, section_agreement
    from musegen.evaluate.rhythm import on_beat_share
    from musegen.evaluate.structure import nanmean

    rows = [{"bar_repetition": bar_repetition(p), "phrase_repetition": phrase_repetition(p, PHRASE),
             "repeat_agreement": section_agreement(p, 0, second_a, PHRASE) if second_a else np.nan,
             "ends_home": ends_on_home_chord(p), "on_beat_share": on_beat_share(p),
             "beat_chord_fit": beat_chord_fit(p)} for p in pieces]
    return {k: nanmean([r[k] for r in rows]) for k in STATISTICS}


def first_repeat(form: str) -> int | None:
    """The bar where a form's first repeated section starts."""
    from musegen.generate.form import parse_form

    letters = parse_form(form)
    later = [k for k, letter in enumerate(letters) if letters.index(letter) != k]
    return later[0] * PHRASE if later else None


def compose_set(composer, openings, form: str, repeats: str, first_seed: int):
    """A piece per opening, one round of the form (free: BARS bars)."""
    from musegen.config import SampleConfig
    from musegen.generate.form import parse_form

    bars = len(parse_form(form)) * PHRASE or BARS
    pieces = []
    for k, opening in enumerate(openings):
        sample = SampleConfig(bars=bars, seed=first_seed + k, form=form, repeats=repeats, phrase_bars=PHRASE,
                              primer_bars=1, keep_primer=False)
        pieces.append(composer.compose(sample, piece=opening).pieces[0])
    return pieces


def model_rows(name: str) -> tuple[list[dict], dict]:
    from musegen.evaluate.heldout import split_pieces
    from musegen.music.sources import load_pieces
    from musegen.runs.folder import Run

    run = Run.load(ASSETS / name)
    loaded = load_pieces(run.config.data.dataset, run.config.data)
    _, held_out, _ = split_pieces(run, loaded.pieces, strict=False)
    return form_rows(name, run, held_out)


def finetuned_rows() -> tuple[list[dict], dict]:
    """The base fine-tuned for FINETUNE_SECONDS on 20 jigs it never saw (bench/transfer's set), judged
    against 30 other jigs of the same book."""
    import tempfile

    from bench.transfer import held_out as transfer_set
    from bench.transfer import train_with_marks
    from musegen.runs.folder import Run

    import bench.transfer as transfer

    learn, real = transfer_set("jigs")
    budgets, transfer.BUDGETS = transfer.BUDGETS, [FINETUNE_SECONDS]  # one mark: the budget asked here
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = train_with_marks(learn, "base", 1, Path(tmp))
            return form_rows(f"base fine-tuned on 20 jigs ({FINETUNE_SECONDS / 60:g} min)",
                             Run.load(out["marks"][FINETUNE_SECONDS]), real)
    finally:
        transfer.BUDGETS = budgets


def form_rows(name: str, run, held_out: list) -> tuple[list[dict], dict]:
    """Every form's statistics for ``run``, from the openings of ``held_out`` and against them."""
    from musegen.generate.sample import Composer

    composer = Composer(run)
    rng = np.random.default_rng(0)
    real = [bars_excerpt(p, BARS, rng) for p in held_out]
    rows = [{"model": name, "form": "real music", **statistics(real, None),
             "ends_home": statistics(held_out, None)["ends_home"],  # how whole pieces end, not excerpts
             "echo_share": run.data.get("bars_repeated"), "pulse_share": run.data.get("on_beat_share")}]
    openings = [bars_excerpt(p, 1, np.random.default_rng(k)) for k, p in enumerate(held_out[:PIECES])]
    rolls = {}
    for label, form, repeats in FORMS:
        sets = [statistics(compose_set(composer, openings, form, repeats, 1000 * s), first_repeat(form))
                for s in range(SETS)]
        row = {"model": name, "form": label}
        for k in STATISTICS:
            values = [s[k] for s in sets if not np.isnan(s[k])]
            row[k] = float(np.mean(values)) if values else None
            row[f"{k}_sd"] = float(np.std(values)) if len(values) > 1 else None
        rows.append(row)
        log("form", name, label, {k: row[k] for k in STATISTICS})
        if label == "AABA":
            rolls[name] = compose_set(composer, openings[:1], form, repeats, 7)[0]
    return rows, rolls


def sections_in_key(piece) -> float:
    """Share of the piece's 4-bar sections whose key (render.midi.estimate_key, the one key-finder)
    is the first section's."""
    from musegen.render.midi import estimate_key

    starts = list(piece.bar_starts()[::PHRASE]) + [piece.duration_quarters]
    keys = [estimate_key(piece.notes, lo, hi) for lo, hi in zip(starts, starts[1:]) if hi > lo]
    return float(np.mean([k == keys[0] for k in keys]))


def long_piece_seconds(name: str) -> dict:
    """Seconds to write a 3-minute AABA piece from nothing (the median of LONG_PIECES), and how many
    of its sections keep the first one's key (their mean and spread)."""
    from musegen.config import SampleConfig
    from musegen.generate.sample import Composer
    from musegen.runs.folder import Run

    from musegen.evaluate.heldout import split_pieces
    from musegen.music.sources import load_pieces

    run = Run.load(ASSETS / name)
    composer = Composer(run)
    _, held_out, _ = split_pieces(run, load_pieces(run.config.data.dataset, run.config.data).pieces, strict=False)
    real = [sections_in_key(p) for p in held_out if len(p.bar_starts()) >= 4 * PHRASE]
    times, lengths, in_key = [], [], []
    for seed in range(LONG_PIECES):
        start = time.perf_counter()
        piece = composer.compose(SampleConfig(seconds=LONG_SECONDS, seed=seed, form="AABA", primer="none")).pieces[0]
        times.append(time.perf_counter() - start)
        lengths.append(piece.seconds)
        in_key.append(sections_in_key(piece))
    return {"model": name, "pieces": LONG_PIECES, "seconds": float(np.median(times)),
            "music_seconds": float(np.median(lengths)), "sections_in_key": float(np.mean(in_key)),
            "sections_in_key_sd": float(np.std(in_key)), "real_sections_in_key": float(np.mean(real)),
            "real_sections_in_key_sd": float(np.std(real))}


def rewrite_rows(name: str) -> dict:
    """SPANS spans of SPAN_BARS bars, in held-out pieces with bars after them, written again: the
    kept bars' mean log-probability after the new bars and after the piece's own."""
    from musegen.config import SampleConfig
    from musegen.evaluate.heldout import split_pieces
    from musegen.generate.sample import Composer
    from musegen.generate.span import CANDIDATES, rewrite_span
    from musegen.music.sources import load_pieces
    from musegen.runs.folder import Run

    run = Run.load(ASSETS / name)
    composer = Composer(run)
    _, held_out, _ = split_pieces(run, load_pieces(run.config.data.dataset, run.config.data).pieces, strict=False)
    rng = np.random.default_rng(0)
    new, own = [], []
    for piece in [p for p in held_out if len(p.bar_starts()) >= 3 * SPAN_BARS] * 4:
        if len(new) == SPANS:
            break
        passage = bars_excerpt(piece, 3 * SPAN_BARS, rng)
        first = int(rng.integers(2, SPAN_BARS + 2))  # at least one kept bar before, SPAN_BARS after
        done = rewrite_span(composer, passage, first, first + SPAN_BARS - 1, SampleConfig(seed=len(new)))
        new.append(done.follow_scores[done.chosen])
        own.append(done.original_score)
    new, own = np.array(new), np.array(own)
    gap = new - own  # paired: the same span, after the new bars and after the piece's own
    return {"model": name, "spans": len(new), "candidates": CANDIDATES, "new": float(new.mean()), "own": float(own.mean()),
            "gap": float(gap.mean()), "gap_se": float(gap.std(ddof=1) / np.sqrt(len(gap))),
            "no_worse": float(np.mean(new >= own)), "new_sd": float(new.std()), "own_sd": float(own.std())}


def main() -> None:
    load_before = os.getloadavg()[0]  # what else the machine was doing: the timings share it
    path = OUT / "results.json"
    results = json.loads(path.read_text()) if ONLY and path.is_file() else {}
    OUT.mkdir(parents=True, exist_ok=True)
    if not ONLY or "forms" in ONLY:
        rows, rolls = [], {}
        for name in MODELS:
            r, p = model_rows(name)
            rows += r
            rolls.update(p)
        for name, piece in rolls.items():
            piano_roll(piece, f"{name}: AABA in 4-bar phrases, repeats varied (a generated piece)",
                       OUT / f"roll-{name}.png")
        kept = [r for r in results.get("rows", []) if r["model"].startswith("base fine-tuned")]  # its own section
        results.update(rows=rows + kept, pieces=PIECES, sets=SETS, bars=BARS, phrase_bars=PHRASE)
    if not ONLY or "finetuned" in ONLY:
        rows, rolls = finetuned_rows()
        results["rows"] = [r for r in results.get("rows", []) if not r["model"].startswith("base fine-tuned")] + rows
    if not ONLY or "long" in ONLY:
        results["long"] = [long_piece_seconds(name) for name in MODELS]
    if not ONLY or "rewrite" in ONLY:
        results["rewrite"] = [rewrite_rows(name) for name in MODELS]
    results["load_average_before"] = load_before
    write_json(path, results)
    write_report()


def write_report() -> Path:
    r = json.loads((OUT / "results.json").read_text())

    def cell(row, key):
        value, sd = row.get(key), row.get(f"{key}_sd")
        return "–" if value is None else f"{value:.2f}" + (f" ± {sd:.2f}" if sd is not None else "")

    lines = ["# Form", "",
             "Written by `python -m bench.form` (`make quality`) from `docs/form/results.json`; do not edit by hand.", "",
             f"Each bundled model writes {r['pieces']} pieces per set, {r['sets']} sets of other seeds (mean ± spread "
             f"over the sets), each one round of the form in {r['phrase_bars']}-bar sections ({r['bars']} bars for the "
             "four-section forms and free, 24 for verse and chorus, ABABCB), from the "
             "first bar of a held-out piece of its dataset. Real music: excerpts of as many bars of the held-out pieces "
             "(and how the whole pieces end). *Bars repeated*: bars equal to an earlier bar; *4-bar rhythms repeated*: "
             "phrases whose onsets equal an earlier phrase's; *repeat agreement*: the notes the form's first repeat "
             "shares with its first statement; *ends home*: the last chord is the tonic chord.", ""]
    columns = [("form", "form"), ("bar_repetition", "bars repeated"), ("phrase_repetition", "4-bar rhythms repeated"),
               ("repeat_agreement", "repeat agreement"), ("ends_home", "ends home"),
               ("on_beat_share", "on-beat onsets"), ("beat_chord_fit", "beat chords")]
    for name in dict.fromkeys(row["model"] for row in r["rows"]):
        lines += [f"## {name}", ""]
        first = next(x for x in r["rows"] if x["model"] == name)
        if first.get("echo_share") is not None and first.get("pulse_share") is not None:
            lines += [f"The music it learnt brings {first['echo_share']:.1%} of its bars back within a 16-bar passage, "
                      f"and begins {first['pulse_share']:.0%} of its notes on a beat (its `data.json`): the shares the "
                      "bar echo and rhythm like its music keep the free form near.", ""]
        lines += ["| " + " | ".join(h for _, h in columns) + " |", "|" + "---|" * len(columns)]
        for row in (x for x in r["rows"] if x["model"] == name):
            lines.append("| " + " | ".join([row["form"]] + [cell(row, k) for k, _ in columns[1:]]) + " |")
        if (OUT / f"roll-{name}.png").exists():
            lines += ["", f"![{name}, AABA](form/roll-{name}.png)"]
        lines.append("")
    if r.get("rewrite"):
        lines += ["## Writing bars again", "",
                  f"{r['rewrite'][0]['spans']} spans of 4 bars in held-out real pieces (12-bar passages, the span "
                  "after at least one kept bar, with 4 kept bars after it), each written again with "
                  f"{r['rewrite'][0].get('candidates', 8)} candidates "
                  "(`musegen rewrite`): the mean log-probability per token the model gives the kept bars after the "
                  "span, after the new bars and after the piece's own (higher is likelier), and how often the new "
                  "bars lead in at least as well.", "",
                  "*Difference*: after the new bars minus after the piece's own, span by span (mean ± standard "
                  "error): below zero by more than its error would mean the new bars lead in worse.", "",
                  "| model | after the new bars | after the piece's own | difference | no worse |",
                  "|---|---|---|---|---|"]
        lines += [f"| {x['model']} | {x['new']:.2f} ± {x['new_sd']:.2f} | {x['own']:.2f} ± {x['own_sd']:.2f} | "
                  + (f"{x['gap']:+.3f} ± {x['gap_se']:.3f}" if "gap" in x else "–") + f" | {x['no_worse']:.0%} |"
                  for x in r["rewrite"]]
        lines.append("")
    n_long = r["long"][0].get("pieces", 3)
    long_rows = [{**x, "in_key": f"{x['sections_in_key']:.2f}" + (f" ± {x['sections_in_key_sd']:.2f}"
                                                                 if "sections_in_key_sd" in x else ""),
                  "real_in_key": f"{x['real_sections_in_key']:.2f}" + (f" ± {x['real_sections_in_key_sd']:.2f}"
                                                                       if "real_sections_in_key_sd" in x else "")}
                 for x in r["long"]]
    lines += ["## A long piece", "", f"{n_long} pieces of 3 minutes in AABA from nothing (repeats varied), the time "
              "the median; *sections in its key*: the share of its 4-bar sections whose estimated key is the first "
              "section's (mean ± spread over the pieces; real music: the same over the held-out pieces of 16 bars "
              "or more, which modulate and cadence elsewhere too):", "",
              markdown_table(long_rows, [("model", "model", ""), ("music_seconds", "music (s)", ".0f"),
                                         ("seconds", "written in (s)", ".1f"),
                                         ("in_key", "sections in its key", ""),
                                         ("real_in_key", "real music", "")]), "",
              f"The machine's load average when the benchmark began: {r['load_average_before']:.1f}."]
    path = ROOT / "docs" / "form.md"
    path.write_text("\n".join(lines) + "\n")
    return path


if __name__ == "__main__":
    main()
