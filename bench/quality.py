"""`make quality`: does the music have a pulse, a form and parts? Writes docs/quality.md.

Everything is measured against real music with the same code on both sides:

1. **Bundled models.** For each model in assets/models/: 20 pieces of 30 s at default settings
   (each from a random opening of a held-out piece) against 30-second excerpts of the held-out
   pieces of its dataset (the validation files it never trained on). Structure (on-beat onsets,
   beat chords that are triads or sevenths, bars repeated, key stability), pitch-statistics overlap
   (mgeval), collapsed pieces, and the longest passage copied verbatim from the training data.
   Real against real (the held-out excerpts split in two) is the yardstick for the overlap.
   **Rhythm temperature.** The same at three temperatures for the timing tokens alone.
2. **Fine-tuning.** Ten pieces of music the bundled models never saw (Palestrina), a 60-second
   budget: starting from the bundled Bach WaveNet against starting from scratch, three seeds each,
   compared on validation loss.
3. **Schemes.** The same WaveNet trained the same way on the Bach chorales with our metre scheme
   and with MidiTok's REMI (when MidiTok is installed): the structure of what each writes.
4. **Before.** With QUALITY_BEFORE=folder (a copy of the previous bundled models), section 1 is
   also run on them, so the note on a change can say before and after.

    python -m bench.quality                 everything (~25 min on two cores)
    QUALITY_QUICK=1 python -m bench.quality fewer pieces and epochs (a smoke run)
    QUALITY_ONLY=bundled,rhythm,context,finetune,schemes   some sections only (the others are kept from the last run)

Results go to docs/quality/results.json (committed); docs/quality.md is written from it.
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench.common import ASSETS, RESULTS, ROOT, log, markdown_table, piano_roll, write_json  # noqa: E402

QUICK = bool(os.environ.get("QUALITY_QUICK"))
N_PIECES = 6 if QUICK else 20
SECONDS = 30.0
FINETUNE_SEEDS = [1] if QUICK else [1, 2, 3]
FINETUNE_BUDGET = 20.0 if QUICK else 60.0
FINETUNE_DATA = dict(dataset="palestrina", max_files=13, val_fraction=0.25)  # 10 to learn from, 3 to judge
SCHEME_EPOCHS = 2 if QUICK else 8
OUT = ROOT / "docs" / "quality"
RUNS = RESULTS / "quality-runs"
STRUCTURE = ["on_beat_share", "beat_chord_fit", "bar_repetition", "key_stability"]
SEED_SETS = 1 if QUICK else 3  # sets of N_PIECES pieces, each from other seeds: the spread of every figure


# ---------------------------------------------------------------- excerpts and pieces


def excerpt(piece, seconds: float, rng):
    """A passage of ``seconds`` of a real piece, from a random bar line, moved to start at 0."""
    from musegen.music.piece import DURATION, START

    quarters = seconds * piece.tempo / 60.0
    bars = piece.bar_starts()
    fits = bars[bars + quarters <= piece.duration_quarters + 1e-6]
    start = float(rng.choice(fits)) if len(fits) else float(bars[0])
    notes = piece.notes[(piece.notes[:, START] >= start) & (piece.notes[:, START] < start + quarters)].copy()
    notes[:, START] -= start
    notes[:, DURATION] = np.minimum(notes[:, DURATION], quarters - notes[:, START])
    cut = piece.with_notes(notes, name=f"{piece.name}@{start:g}")
    in_force = [ts for ts in piece.time_signatures if ts[0] <= start][-1]
    cut.time_signatures = [(0.0, *in_force[1:])] + [(at - start, n, d) for at, n, d in piece.time_signatures
                                                     if start < at < start + quarters]
    return cut


def generate(run, n: int, seconds: float, first_seed: int = 0, **settings):
    """n pieces at the default settings (or these), each from its own seed (so its own real opening)."""
    from musegen.config import SampleConfig
    from musegen.generate.sample import Composer

    composer = Composer(run)
    comps = [composer.compose(SampleConfig(seconds=seconds, seed=seed, **settings))
             for seed in range(first_seed, first_seed + n)]
    return [c.pieces[0] for c in comps], [c.ids[0] for c in comps]


def loudness(piece) -> dict:
    """RMS and peak (dBFS) of the piece rendered by FluidSynth, read by sox: neither silent nor quiet."""
    import subprocess
    import tempfile

    from musegen.render.audio import render
    from musegen.render.midi import piece_to_midi_bytes

    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "piece.wav"
        try:
            render(piece_to_midi_bytes(piece), wav)
            out = subprocess.run(["sox", str(wav), "-n", "stats"], capture_output=True, text=True, timeout=60).stderr
        except Exception as e:  # no FluidSynth or sox here: say so in the results
            return {"error": str(e)[:120]}
    stats = {}
    for line in out.splitlines():
        if line.startswith("RMS lev dB"):
            stats["rms_db"] = float(line.split()[3])
        elif line.startswith("Pk lev dB"):
            stats["peak_db"] = float(line.split()[3])
    return stats


# ---------------------------------------------------------------- 1. bundled models


def judge(run, loaded, seed: int = 0) -> dict:
    """Generated pieces against held-out excerpts: structure, overlap, collapse, copying."""
    from musegen.evaluate.against_real import compare_sets
    from musegen.evaluate.collapse import collapse_reason
    from musegen.evaluate.heldout import split_pieces
    from musegen.evaluate.memorisation import TrainingIndex
    from musegen.evaluate.structure import structure_summary

    train_pieces, val_pieces, _ = split_pieces(run, loaded.pieces, strict=False)
    rng = np.random.default_rng(seed)
    real = [excerpt(p, SECONDS, rng) for p in val_pieces]
    sets = [generate(run, N_PIECES, SECONDS, first_seed=1000 * k) for k in range(SEED_SETS)]
    generated, ids = sets[0]
    tok = run.tokenizer
    index = TrainingIndex([tok.encode(p) for p in train_pieces], [p.name for p in train_pieces])
    half = len(real) // 2
    copies_generated = [index.longest_copy(i).tokens for i in ids]
    copies_real = [index.longest_copy(tok.encode(p)[1:-1]).tokens for p in real]
    return {
        "run": run.name,
        "model": run.config.model.kind,
        "scheme": run.config.tokenizer.scheme,
        "dataset": run.config.data.dataset,
        "receptive_field": run.summary.get("receptive_field"),
        "context_tokens": run.summary.get("context_tokens") or run.summary.get("receptive_field"),
        "held_out_pieces": len(val_pieces),
        "generated_pieces": len(generated),
        "real": structure_summary(real),
        "generated": structure_summary(generated),
        "overlap": compare_sets(real, generated)["overlap"],
        "overlap_real_vs_real": compare_sets(real[:half], real[half:])["overlap"] if half >= 2 else None,
        "collapsed": int(sum(collapse_reason(piece=p, ids=i) is not None for p, i in zip(generated, ids))),
        "copy_median_generated": float(np.median(copies_generated)),
        "copy_median_real": float(np.median(copies_real)),
        "spread": spread(real, sets),
        "loudness": loudness(generated[0]),
        "_pieces": generated[:2],
    }


def spread(real, sets) -> dict:
    """The figures again for each set of pieces (other seeds): their mean and standard deviation,
    so a difference smaller than the spread is not read as a finding."""
    from musegen.evaluate.against_real import compare_sets
    from musegen.evaluate.structure import structure_summary

    per_set = [{**structure_summary(pieces), "overlap": compare_sets(real, pieces)["overlap"]}
               for pieces, _ in sets]
    out = {}
    for key in STRUCTURE + ["overlap"]:
        values = [s[key] for s in per_set if s.get(key) is not None]
        out[key] = {"mean": float(np.mean(values)), "sd": float(np.std(values)), "sets": len(values)} if values else None
    return out


def single_dataset_runs(folder: Path) -> list:
    """The bundled runs trained on one dataset, by name. The base is not here: it trained on every
    collection but the held-out ones, and docs/transfer.md and docs/base_harmony.md measure it."""
    from musegen.runs.library import list_runs

    return sorted((r for r in list_runs(folder) if r.config.data.dataset != "base"), key=lambda r: r.name)


def bundled_section(folder: Path) -> list[dict]:
    from musegen.music.sources import load_pieces

    rows = []
    for run in single_dataset_runs(folder):
        log(f"quality: {run.name} ({run.config.tokenizer.scheme})")
        loaded = load_pieces(run.config.data.dataset, run.config.data)
        rows.append(judge(run, loaded))
    return rows


# ---------------------------------------------------------------- rhythm temperature


RHYTHM_TEMPERATURES = [0.8, 1.0, 1.2]  # 0.8 = the pitches' temperature: one temperature for all


def rhythm_section(folder: Path) -> list[dict]:
    """The bundled models at the default settings but for the timing tokens' temperature: what it
    does to the pulse (on-beat onsets) and to the harmony, against the same held-out excerpts."""
    from musegen.evaluate.against_real import compare_sets
    from musegen.evaluate.heldout import split_pieces
    from musegen.evaluate.structure import structure_summary
    from musegen.music.sources import load_pieces

    rows = []
    for run in single_dataset_runs(folder):
        loaded = load_pieces(run.config.data.dataset, run.config.data)
        _, val_pieces, _ = split_pieces(run, loaded.pieces, strict=False)
        rng = np.random.default_rng(0)
        real = [excerpt(p, SECONDS, rng) for p in val_pieces]
        rows.append({"run": run.name, "rhythm_temperature": None, "side": "real", **structure_summary(real)})
        for rhythm in RHYTHM_TEMPERATURES:
            log(f"quality: {run.name}, rhythm temperature {rhythm}")
            pieces, _ = generate(run, N_PIECES, SECONDS, rhythm_temperature=rhythm)
            rows.append({"run": run.name, "rhythm_temperature": rhythm, "side": "generated",
                         **structure_summary(pieces), "overlap": compare_sets(real, pieces)["overlap"]})
    return rows


# ---------------------------------------------------------------- context in bars


CONTEXT_DATASETS = {"bach": 0, "folk": 0, "monteverdi": 0, "palestrina": 120}  # max_files (0 = all)


def context_section() -> list[dict]:
    """How many bars of each built-in dataset the default model hears at once."""
    from musegen.config import DataConfig, ModelConfig, RunConfig, TokenizerConfig
    from musegen.models.build import receptive_field
    from musegen.music.sources import load_pieces
    from musegen.studio.presets import tokens_per_bar

    config = RunConfig()
    tokens = min(receptive_field(config.model), config.data.window)
    rows = []
    for name, max_files in CONTEXT_DATASETS.items():
        pieces = load_pieces(name, DataConfig(dataset=name, max_files=max_files)).pieces
        row = {"dataset": name, "files": len(pieces), "context_tokens": tokens}
        for scheme in ("metre", "rich"):
            per_bar = tokens_per_bar(pieces, TokenizerConfig(scheme=scheme), sample=len(pieces))
            row[f"{scheme}_tokens_per_bar"] = per_bar
            row[f"{scheme}_bars"] = tokens / per_bar
        row["old_bars"] = receptive_field(ModelConfig(dilation_depth=6)) / row["rich_tokens_per_bar"]
        rows.append(row)
    return rows


# ---------------------------------------------------------------- 2. fine-tuning


FINETUNE_ARMS = {  # name: (start from the bundled model?, transposition in semitones)
    "bundled": (True, 0),
    "bundled, transposed ±5": (True, 5),
    "scratch": (False, 0),
    "scratch, transposed ±5": (False, 5),
}


def finetune_section() -> list[dict]:
    from musegen.config import DataConfig, RunConfig, TrainConfig
    from musegen.music.sources import load_pieces
    from musegen.train.fit import train

    base = ASSETS / "bach-wavenet"
    data = DataConfig(**FINETUNE_DATA)
    loaded = load_pieces(data.dataset, data)
    rows = []
    for seed in FINETUNE_SEEDS:
        for arm, (from_bundled, transpose) in FINETUNE_ARMS.items():
            config = RunConfig(data=data, train=TrainConfig(epochs=10_000, max_seconds=FINETUNE_BUDGET, seed=seed,
                                                            learning_rate=3e-4 if from_bundled else 1e-3,
                                                            transpose=transpose, base=str(base) if from_bundled else ""))
            out = RUNS / f"finetune-{arm.replace(', ', '-').replace(' ', '-')}-{seed}"
            shutil.rmtree(out, ignore_errors=True)
            log(f"quality: fine-tune {arm}, seed {seed}")
            run = train(config, out, pieces=loaded)
            rows.append({"start": arm, "seed": seed, "val_loss": run.summary["val_loss"],
                         "transpose": run.summary["augmentation"]["transpose"] if run.summary["augmentation"] else 0,
                         "epochs": run.summary["epochs"], "seconds": run.summary["seconds"]})
    return rows


# ---------------------------------------------------------------- 3. schemes


def schemes_section() -> list[dict]:
    from musegen.config import DataConfig, RunConfig, TokenizerConfig, TrainConfig
    from musegen.music.sources import load_pieces
    from musegen.tokens.registry import schemes
    from musegen.train.fit import train

    data = DataConfig(dataset="bach")
    loaded = load_pieces("bach", data)
    rows = []
    for scheme, transpose in (("metre", 0), ("remi", 0), ("metre", 5)):
        if scheme not in schemes():
            continue
        try:
            config = RunConfig(data=data, tokenizer=TokenizerConfig(scheme=scheme),
                               train=TrainConfig(epochs=SCHEME_EPOCHS, early_stopping=0, seed=1, transpose=transpose))
            out = RUNS / f"scheme-{scheme}-{transpose}"
            shutil.rmtree(out, ignore_errors=True)
            log(f"quality: {scheme} scheme, {SCHEME_EPOCHS} epochs")
            run = train(config, out, pieces=loaded)
        except ImportError as e:
            log(f"quality: {scheme} skipped ({e})")
            continue
        row = judge(run, loaded)
        row.update(vocab=len(run.tokenizer), val_loss=run.summary["val_loss"],
                   seconds=run.summary["seconds"], tokens=run.data.get("tokens"),
                   transpose=(run.summary["augmentation"] or {}).get("transpose", 0))
        rows.append(row)
    return rows


# ---------------------------------------------------------------- the report


def piano_rolls(rows: list[dict]) -> list[str]:
    """A PNG piano roll of the first generated piece of each model, coloured by part."""
    names = []
    for row in rows:
        piece = row.pop("_pieces", [None])[0]
        if piece is None:
            continue
        name = f"roll-{row['run']}.png"
        piano_roll(piece, f"{row['run']}: a generated piece", OUT / name)
        names.append(name)
    return names


def structure_rows(rows: list[dict]) -> list[dict]:
    out = []
    for row in rows:
        for side in ("real", "generated"):
            s = row[side]
            out.append({"run": row["run"] if side == "real" else "", "side": side,
                        **{k: s.get(k) for k in STRUCTURE}})
    return out


def targets(row: dict) -> dict:
    """The issue's targets, met or not, for one bundled model."""
    r, g = row["real"], row["generated"]
    rr = row.get("overlap_real_vs_real")
    return {
        "on-beat within 0.03": abs(g["on_beat_share"] - r["on_beat_share"]) <= 0.03,
        # None (not judged) when either side has no chord on a beat (a melody-only tune set).
        "beat chords within 0.05": (abs(g["beat_chord_fit"] - r["beat_chord_fit"]) <= 0.05
                                    if None not in (g["beat_chord_fit"], r["beat_chord_fit"]) else None),
        "bars repeated ≥ half real": g["bar_repetition"] >= 0.5 * r["bar_repetition"],
        "overlap ≥ real-vs-real − 0.05": row["overlap"] >= rr - 0.05 if rr is not None else None,
        "no collapsed piece": row["collapsed"] == 0,
        "copies no longer than real": row["copy_median_generated"] <= row["copy_median_real"],
    }


def _mean_sd(value) -> str:
    return "–" if not value else f"{value['mean']:.2f} ± {value['sd']:.2f}"


SECTION_TITLES = {"bundled": "Bundled models", "rhythm": "Rhythm temperature", "context": "Context in bars",
                  "finetune": "Fine-tuning on ten pieces", "schemes": "Our metre scheme against MidiTok's REMI, and transposition on a large set"}


def write_report(results: dict) -> Path:
    cols = [("run", "model", ""), ("side", "", ""), ("on_beat_share", "on-beat onsets", ".2f"),
            ("beat_chord_fit", "beat chords triad/7th", ".2f"), ("bar_repetition", "bars repeated", ".2f"),
            ("key_stability", "key stability", ".2f")]
    summary_cols = [("run", "model", ""), ("scheme", "tokens", ""), ("context_tokens", "context (tokens)", ""),
                    ("overlap", "overlap with real", ".2f"), ("overlap_real_vs_real", "real vs real", ".2f"),
                    ("collapsed", "collapsed", ""), ("copy_median_generated", "copied (median tokens)", ".0f"),
                    ("copy_median_real", "real shares (median)", ".0f")]
    lines = ["# Pulse, form and parts, measured", "",
             "Written by `make quality` (`bench/quality.py`) from `docs/quality/results.json`; do not edit by hand.",
             f"Each model wrote {results['settings']['pieces']} pieces of {results['settings']['seconds']:g} s at "
             "default settings; the real side is 30-second excerpts of the held-out pieces of the same dataset, "
             "measured by the same code (`musegen.evaluate`)."]
    sampling = results["settings"].get("sampling")
    if sampling:
        rhythm = sampling.get("rhythm_temperature")
        lines.append(f"Default settings: temperature {sampling['temperature']:.1f}"
                     + (f" (timing tokens {rhythm:.1f})" if rhythm is not None else "") + f", top-p {sampling['top_p']:g}, "
                     f"repetition guard {'on' if sampling['repetition_guard'] else 'off'}, bar echo "
                     f"{sampling['bar_echo']:g}" + (f", chords on the beat {sampling['harmony']:g}" if sampling.get("harmony")
                                                    else "") + " (README, *Generation*).")
        earlier = [SECTION_TITLES[k] for k in SECTION_TITLES if k in results and
                   results.get("judged_with_harmony", {}).get(k, 0.0) != sampling.get("harmony", 0.0)]
        if earlier:
            lines.append("Measured before chords on the beat became a default (the model's own harmony there): "
                         + ", ".join(f"*{t}*" for t in earlier) + ".")
    lines.append("")
    for title, key in ((SECTION_TITLES["bundled"], "bundled"), ("Before: the previous bundled models", "before")):
        rows = results.get(key) or []
        if not rows:
            continue
        lines += [f"## {title}", "", markdown_table(structure_rows(rows), cols), "",
                  markdown_table(rows, summary_cols), ""]
        if key == "bundled":
            lines += ["Targets:", ""]
            for row in rows:
                met = targets(row)
                lines.append(f"- **{row['run']}**: " + "; ".join(
                    f"{name} {'✓' if ok else '✗' if ok is not None else '–'}" for name, ok in met.items()))
            lines.append("")
            spread_rows = [{"run": row["run"], **{k: _mean_sd(row["spread"].get(k)) for k in STRUCTURE + ["overlap"]}}
                           for row in rows if row.get("spread")]
            if spread_rows:
                n_sets = max(v["sets"] for row in rows for v in row["spread"].values() if v)
                lines += [f"Spread: the same figures over {n_sets} sets of {results['settings']['pieces']} pieces "
                          "(other seeds), mean ± standard deviation:", "",
                          markdown_table(spread_rows, [("run", "model", "")] + [(k, label, "") for k, label in (
                              ("on_beat_share", "on-beat onsets"), ("beat_chord_fit", "beat chords triad/7th"),
                              ("bar_repetition", "bars repeated"), ("key_stability", "key stability"),
                              ("overlap", "overlap with real"))]), ""]
            for row in rows:
                loud = row.get("loudness", {})
                if "rms_db" in loud:
                    lines.append(f"- {row['run']}: a generated piece rendered by FluidSynth: RMS {loud['rms_db']:.1f} dBFS, "
                                 f"peak {loud['peak_db']:.1f} dBFS (sox).")
            lines.append("")
    for name in results.get("rolls", []):
        lines.append(f"![{name}](quality/{name})")
    if results.get("rhythm"):
        rows = [{**r, "label": "real" if r["side"] == "real" else f"rhythm T {r['rhythm_temperature']:.1f}"}
                for r in results["rhythm"]]
        lines += ["", f"## {SECTION_TITLES['rhythm']}", "",
                  f"The bundled models at the default settings but for the temperature of the timing tokens (bar "
                  f"lines, positions, durations); the pitches stay at {sampling['temperature']:g}, so the "
                  f"{sampling['temperature']:g} rows are one temperature for every token. {results['settings']['pieces']} "
                  "pieces each, against the same held-out excerpts.", "",
                  markdown_table(rows, [("run", "model", ""), ("label", "", ""), ("on_beat_share", "on-beat onsets", ".2f"),
                                        ("beat_chord_fit", "beat chords triad/7th", ".2f"),
                                        ("bar_repetition", "bars repeated", ".2f"), ("key_stability", "key stability", ".2f"),
                                        ("overlap", "overlap with real", ".2f")])]
    if results.get("context"):
        lines += ["", f"## {SECTION_TITLES['context']}", "",
                  "What the default WaveNet hears at once (its receptive field, also the training window), in bars of "
                  "each built-in dataset; the previous default (rich tokens, 128-token field) for comparison.", "",
                  markdown_table(results["context"], [
                      ("dataset", "dataset", ""), ("files", "files", ""), ("context_tokens", "context (tokens)", ""),
                      ("metre_tokens_per_bar", "metre tokens per bar", ".1f"), ("metre_bars", "bars heard", ".1f"),
                      ("rich_tokens_per_bar", "rich tokens per bar", ".1f"), ("old_bars", "bars heard before", ".1f")])]
    if results.get("finetune"):
        rows = results["finetune"]
        arms = list(dict.fromkeys(r["start"] for r in rows))
        by = {arm: [r["val_loss"] for r in rows if r["start"] == arm] for arm in arms}
        seeds = sorted({r["seed"] for r in rows})
        lines += ["", f"## {SECTION_TITLES['finetune']}", "",
                  f"Ten Palestrina pieces (three more to validate on), {results['settings']['finetune_budget']:g} s "
                  f"of training each, seeds {', '.join(map(str, seeds))}; \"bundled\" starts from the bundled Bach "
                  "WaveNet at learning rate 3e-4, \"scratch\" from random weights at 1e-3.", "",
                  markdown_table(rows, [("start", "start from", ""), ("seed", "seed", ""),
                                        ("transpose", "transpose (±)", ""), ("epochs", "epochs", ""),
                                        ("val_loss", "val loss", ".3f")]), "",
                  "Mean val loss (± standard deviation over seeds): " + "; ".join(
                      f"{arm} **{np.mean(v):.3f}** (± {np.std(v):.3f})" for arm, v in by.items()) + "."]
    if results.get("schemes"):
        rows = results["schemes"]
        for row in rows:
            row["run"] = f"{row['scheme']}, transpose ±{row.get('transpose', 0)}"
        lines += ["", f"## {SECTION_TITLES['schemes']}", "",
                  f"The default WaveNet, {results['settings']['scheme_epochs']} epochs, seed 1, on the 350 Bach "
                  "chorales (the same split): our scheme and MidiTok's REMI+ without transposition (the default), "
                  "and our scheme with ±5 semitones.", "",
                  markdown_table(structure_rows(rows), cols), "",
                  markdown_table(rows, [("run", "tokens", ""), ("vocab", "vocabulary", ""),
                                        ("tokens", "tokens in the dataset", ""), ("val_loss", "val loss", ".3f"),
                                        ("overlap", "overlap with real", ".2f"), ("collapsed", "collapsed", "")])]
    path = ROOT / "docs" / "quality.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def main() -> None:
    import json

    only = [s for s in os.environ.get("QUALITY_ONLY", "").split(",") if s]
    results_path = OUT / "results.json"
    results = json.loads(results_path.read_text()) if results_path.is_file() and only else {}
    from musegen.config import SampleConfig

    defaults = SampleConfig()
    results["settings"] = {"pieces": N_PIECES, "seconds": SECONDS, "finetune_budget": FINETUNE_BUDGET,
                           "scheme_epochs": SCHEME_EPOCHS, "quick": QUICK, "seed_sets": SEED_SETS,
                           "sampling": {"temperature": defaults.temperature,
                                        "rhythm_temperature": defaults.rhythm_temperature, "top_p": defaults.top_p,
                                        "repetition_guard": defaults.repetition_guard, "bar_echo": defaults.echo,
                                        "harmony": defaults.harmony}}
    # Which chords-on-the-beat default each section was judged with (0: before it was one, the model's own harmony)
    judged = results.setdefault("judged_with_harmony", {})
    OUT.mkdir(parents=True, exist_ok=True)
    if not only or "bundled" in only:
        judged["bundled"] = defaults.harmony
        results["bundled"] = bundled_section(ASSETS)
        results["rolls"] = piano_rolls(results["bundled"])
        if os.environ.get("QUALITY_BEFORE"):
            results["before"] = bundled_section(Path(os.environ["QUALITY_BEFORE"]))
            for row in results["before"]:
                row.pop("_pieces", None)
    if not only or "rhythm" in only:
        judged["rhythm"] = defaults.harmony
        results["rhythm"] = rhythm_section(ASSETS)
    if not only or "context" in only:
        judged["context"] = defaults.harmony
        results["context"] = context_section()
    if not only or "finetune" in only:
        judged["finetune"] = defaults.harmony
        results["finetune"] = finetune_section()
    if not only or "schemes" in only:
        judged["schemes"] = defaults.harmony
        results["schemes"] = schemes_section()
        for row in results["schemes"]:
            row.pop("_pieces", None)
    write_json(results_path, results)
    log(f"wrote {write_report(results)}")


if __name__ == "__main__":
    main()
