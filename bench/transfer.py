"""`make transfer`: your own music, learned in minutes. Writes docs/transfer.md.

A user brings 20 pieces and trains for minutes on two CPU cores. For each of three sets of music
the base model never saw (whole collections held out of it, ``basemodel.HELD_OUT``):

- **jigs**: 20 jigs in 6/8 from O'Neill's 1850 collection (one line);
- **quartet, melody and accompaniment**: movements of Mozart, Haydn and Beethoven string quartets,
  the first violin over the other three merged into one chord part;
- **quartet, two hands**: the same quartets as keyboard reductions (the upper two instruments in one
  part, the lower two in the other): the corpus holds too little piano music to hold some out;

the product trains twice, at its default settings (``musegen train --max-seconds`` with and without
``--from base``): fine-tuning the bundled base, and a new WaveNet of the same size from scratch.
One training of the longest budget gives every shorter one: when its clock passes a budget, the
run's best checkpoint so far is copied (what a training with that budget would keep, since the
budget counts from the first batch and early stopping keeps the best epoch either way).

Each checkpoint writes 20 pieces of 30 s at default generation settings, measured against 30-second
excerpts of 30 other real pieces of the same collection (never trained on): on-beat onsets, beat
chords, bars repeated, and the pitch-statistics overlap (real against real as the yardstick).

    python -m bench.transfer                   budgets of 1, 2 and 5 minutes, seed 1 (~40 min)
    TRANSFER_SEEDS=1,2,3 python -m bench.transfer    the spread over seeds
    TRANSFER_QUICK=1 python -m bench.transfer        short budgets, few pieces (a smoke run)
    TRANSFER_STARTS=base python -m bench.transfer    only the fine-tunes (after rebuilding the base)
    TRANSFER_REJUDGE=1 python -m bench.transfer      no training: the kept checkpoints judged again
                                                     (after a change to generation's defaults)

Each run keeps the generation setting it was judged with (``harmony``, chords on the beat); a run
first judged with the model's own harmony keeps those rows too (``budgets_own``), shown beside.

Results go to docs/transfer/results.json (committed, merged by set, start and seed); docs/transfer.md
is written from it.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench.common import RESULTS, ROOT, log, markdown_table, piano_roll, write_json  # noqa: E402
from bench.quality import excerpt, generate, loudness  # noqa: E402

QUICK = bool(os.environ.get("TRANSFER_QUICK"))
SEEDS = [int(s) for s in os.environ.get("TRANSFER_SEEDS", "1").split(",")]
# TRANSFER_STARTS=base: only the fine-tunes (after a new base; the from-scratch rows do not depend on it)
STARTS = [s for s in os.environ.get("TRANSFER_STARTS", "base,scratch").split(",") if s in ("base", "scratch")]
REJUDGE = bool(os.environ.get("TRANSFER_REJUDGE"))
BUDGETS = [20.0, 40.0] if QUICK else [60.0, 120.0, 300.0]  # seconds of training, from the first batch
N_TRAIN, N_REAL = 20, 30
N_PIECES = 6 if QUICK else 20
SECONDS = 30.0
OUT = ROOT / "docs" / "transfer"
WORK = RESULTS / "transfer"
STRUCTURE = ["on_beat_share", "beat_chord_fit", "bar_repetition"]
SETS = {
    "jigs": "Jigs in 6/8, O'Neill's 1850 (one line)",
    "quartet-melody": "String quartets: first violin over the rest (melody and accompaniment)",
    "quartet-hands": "String quartets as keyboard reductions (two hands)",
}


# ---------------------------------------------------------------- the held-out music


def abc_tunes(path: Path) -> list[tuple[str, bytes]]:
    """An ABC book as one file per tune (``X:`` starts a tune), as a user would have them."""
    text = path.read_text(encoding="utf-8", errors="replace")
    starts = [m.start() for m in re.finditer(r"^X:", text, flags=re.M)]
    return [(f"{path.stem}-{k:03d}.abc", text[a:b].encode()) for k, (a, b) in
            enumerate(zip(starts, starts[1:] + [len(text)]))]


def jigs() -> list:
    from musegen.train.basemodel import BASE_LIMITS, corpus_folder_files
    from musegen.config import DataConfig
    from musegen.music.sources import load_pieces

    tunes = [t for path in corpus_folder_files("oneills1850", (".abc",)) for t in abc_tunes(path)
             if re.search(rb"^M: ?6/8", t[1], flags=re.M)]
    pieces = load_pieces(tunes, DataConfig(dataset="oneills1850", limits=BASE_LIMITS)).pieces
    return [p for p in pieces if p.time_signature == (6, 8) and len(p.bar_starts()) >= 8]


def quartets(kind: str) -> list:
    from musegen.train.basemodel import BASE_LIMITS, corpus_folder_files, layout
    from musegen.config import DataConfig
    from musegen.music.sources import load_pieces

    files = [f for d in ("mozart", "haydn", "beethoven") for f in corpus_folder_files(d, (".mxl", ".xml", ".krn"))]
    pieces = load_pieces(files, DataConfig(dataset="quartets", limits=BASE_LIMITS)).pieces
    four = [p for p in pieces if len(p.parts) == 4]
    return [layout(p, kind) for p in four]


def held_out(name: str) -> tuple[list, list]:
    """(the user's 20 pieces, 30 other real pieces of the same collection to judge against)."""
    pieces = jigs() if name == "jigs" else quartets("melody+accompaniment" if name == "quartet-melody" else "two hands")
    order = np.random.default_rng(0).permutation(len(pieces))
    chosen = [pieces[i] for i in order]
    return chosen[:N_TRAIN], chosen[N_TRAIN:N_TRAIN + N_REAL]


def as_loaded(pieces):
    from musegen.music.report import FileReport, LoadResult

    report = [FileReport(p.name, "parsed", "", p.n_notes, p.seconds, "") for p in pieces]
    return LoadResult(pieces, report, "held out")


# ---------------------------------------------------------------- training with checkpoints at each budget


def train_with_marks(pieces, start: str, seed: int, folder: Path) -> dict:
    """One training to the longest budget; the best checkpoint copied as each budget passes.
    Returns {budget: snapshot folder or None}, and the run's start loss."""
    from musegen.config import RunConfig, TrainConfig
    from musegen.train.finetune import FINE_TUNE_LEARNING_RATE
    from musegen.train.fit import train
    from musegen.train.runfolder import checkpoint_summary

    shutil.rmtree(folder, ignore_errors=True)
    run_dir = folder / "run"
    t = TrainConfig(epochs=0, max_seconds=BUDGETS[-1], seed=seed, base="base" if start == "base" else "",
                    learning_rate=FINE_TUNE_LEARNING_RATE if start == "base" else TrainConfig.learning_rate)
    config = RunConfig(train=t)
    config.data.dataset = "held out"
    marks: dict[float, Path | None] = {}

    def snapshot(budget: float) -> None:
        if not (run_dir / "model.keras").exists():
            marks[budget] = None
            return
        snap = folder / f"{budget:g}s"
        shutil.copytree(run_dir, snap, ignore=shutil.ignore_patterns(".tokens", "*.tmp*"))
        checkpoint_summary(snap, stopped="time budget")
        marks[budget] = snap

    def progress(event):
        for budget in BUDGETS:
            if budget not in marks and event.get("elapsed", 0.0) >= budget and budget < BUDGETS[-1]:
                snapshot(budget)

    run = train(config, run_dir, pieces=as_loaded(pieces), progress=progress)
    for budget in BUDGETS:  # the last budget, and any an early stop came before
        if budget not in marks:
            marks[budget] = run.path
    return {"marks": marks, "start_val_loss": run.summary.get("start_val_loss"),
            "chance_loss": run.summary.get("chance_loss"), "seconds": run.summary["seconds"],
            "stop": run.summary["stop"]}


def judge(path: Path, real: list, rng_seed: int) -> dict:
    from musegen.evaluate.against_real import compare_sets
    from musegen.evaluate.structure import structure_summary
    from musegen.runs.folder import Run

    run = Run.load(path)
    generated, _ = generate(run, N_PIECES, SECONDS, first_seed=1000 * rng_seed)
    val = run.history.get("val_loss") or [np.nan]
    return {"val_loss": float(np.nanmin(val)), "epochs": len(val), "generated": structure_summary(generated),
            "harmony": default_harmony(), "echo_share": run.data.get("bars_repeated"),
            "pulse_share": run.data.get("on_beat_share"),
            "overlap": compare_sets(real, generated)["overlap"], "loudness": loudness(generated[0]),
            "_piece": generated[0]}


def default_harmony() -> float:
    from musegen.config import SampleConfig

    return SampleConfig().harmony


def kept_marks(folder: Path) -> dict:
    """The checkpoints an earlier training kept, by budget: the budget's copy, else the run's end
    (the longest budget, or an early stop before the budget came)."""
    return {budget: folder / f"{budget:g}s" if (folder / f"{budget:g}s").is_dir() else folder / "run"
            for budget in BUDGETS}


START_MODELS = ("base", "folk-wavenet", "bach-wavenet")  # the broad base, and the narrow ones it replaces


def token_parts(tokenizer, ids) -> np.ndarray:
    """Which part each token speaks of (-1: header, bar lines and metre): the part a Part token
    names, until the next bar line (where part 0 plays first)."""
    parts, notes = tokenizer.part_ids(), tokenizer.note_mask()
    bar, out, part, in_bar = tokenizer.bar_id, np.full(len(ids), -1), 0, False
    for i, t in enumerate(ids):
        if t == bar:
            part, in_bar = 0, True
        elif t in parts:
            part = parts[t]
        elif in_bar and notes[t]:
            out[i] = part
    return out


def start_by_part(path: Path, pieces, windows_per_piece: int = 2) -> dict:
    """A model's loss on music it never trained on, before any step: over all tokens and over each
    part's notes, against chance (the first windows of each piece). What a fine-tune from it starts with."""
    from musegen.runs.folder import Run

    run = Run.load(path)
    model, tok, window = run.load_model(), run.tokenizer, run.config.data.window
    xs, owners = [], []
    for piece in pieces:
        ids = tok.encode(piece)
        parts = token_parts(tok, ids)
        for at in range(0, min(len(ids) - 1, windows_per_piece * window), window):
            x = np.full(window + 1, tok.pad_id, np.int32)
            chunk = ids[at:at + window + 1]
            x[:len(chunk)] = chunk
            owner = np.full(window, -2)  # -2: padding, not scored
            owner[:len(chunk) - 1] = parts[at + 1:at + len(chunk)]
            xs.append(x)
            owners.append(owner)
    xs, owners = np.stack(xs), np.stack(owners)
    logits = model.predict(xs[:, :-1], batch_size=8, verbose=0).astype(np.float64)
    logits -= logits.max(axis=2, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=2, keepdims=True))
    nll = -np.take_along_axis(logp, xs[:, 1:, None], axis=2)[..., 0]
    out = {"chance": float(np.log(len(tok))), "all": float(nll[owners > -2].mean())}
    for part in sorted(set(owners[owners >= 0].tolist())):
        out[f"part {part + 1}"] = float(nll[owners == part].mean())
    return out


def starts(results: dict) -> None:
    """Only where each bundled model starts on each set (TRANSFER_STARTS_ONLY=1): no training."""
    bundled = ROOT / "assets" / "models"
    for name in SETS:
        train_pieces, _ = held_out(name)
        entry = results.setdefault("sets", {}).setdefault(name, {"title": SETS[name]})
        entry["start_by_part"] = {m: start_by_part(bundled / m, train_pieces) for m in START_MODELS
                                  if (bundled / m / "model.keras").is_file()}
        log(f"{name}: " + "; ".join(f"{m} {v['all']:.2f}" for m, v in entry["start_by_part"].items()))
        write_json(OUT / "results.json", results)


def measure_set(name: str, results: dict) -> None:
    from musegen.evaluate.against_real import compare_sets
    from musegen.evaluate.structure import structure_summary

    train_pieces, real_pieces = held_out(name)
    rng = np.random.default_rng(0)
    real = [excerpt(p, SECONDS, rng) for p in real_pieces]
    half = len(real) // 2
    entry = results.setdefault("sets", {}).setdefault(name, {})
    entry.update(title=SETS[name], train_pieces=len(train_pieces), real_pieces=len(real_pieces),
                 real=structure_summary(real),
                 overlap_real_vs_real=compare_sets(real[:half], real[half:])["overlap"])
    bundled = ROOT / "assets" / "models"
    if not (REJUDGE and entry.get("start_by_part")):  # where each model starts does not change with generation
        entry["start_by_part"] = {m: start_by_part(bundled / m, train_pieces) for m in START_MODELS
                                  if (bundled / m / "model.keras").is_file()}
    write_json(OUT / "results.json", results)
    for start in STARTS:
        for seed in SEEDS:
            key = f"{start}-{seed}"
            log(f"{name}: {start}, seed {seed}" + (" (judged again)" if REJUDGE else ""))
            if REJUDGE:
                run = entry.get("runs", {}).get(key)
                folder = WORK / name / key
                if run is None or not (folder / "run").is_dir():
                    log(f"  nothing kept for {key}: train it first")
                    continue
                if not any(row and row.get("harmony") for row in run["budgets"].values()):
                    run["budgets_own"] = run["budgets"]  # judged before chords on the beat: the model's own
                marks = kept_marks(folder)
                for path in set(marks.values()):
                    add_music_traits(path, train_pieces)
            else:
                trained = train_with_marks(train_pieces, start, seed, WORK / name / key)
                run = {"start": start, "seed": seed, "start_val_loss": trained["start_val_loss"],
                       "chance_loss": trained["chance_loss"], "seconds": trained["seconds"], "stop": trained["stop"]}
                marks = trained["marks"]
            run["budgets"] = judge_marks(marks, real, seed, entry, name, roll_it=start == "base" and seed == SEEDS[0])
            entry.setdefault("runs", {})[key] = run
            write_json(OUT / "results.json", results)


def add_music_traits(path: Path, train_pieces: list) -> None:
    """A checkpoint kept from before training wrote a trait (runfolder.music_traits) gets it now,
    from the same pieces, as training would write it: generation reads them from data.json."""
    import json

    from musegen.runs.save import write_json as write_run_json
    from musegen.train.runfolder import music_traits, trait_counts

    data = json.loads((path / "data.json").read_text())
    traits = music_traits(sum(trait_counts(p) for p in train_pieces))
    if any(k not in data for k in traits):
        write_run_json(path / "data.json", {**traits, **data})


def judge_marks(marks: dict, real: list, seed: int, entry: dict, name: str, roll_it: bool) -> dict:
    """Each budget's checkpoint judged; the longest budget's first piece drawn as the set's roll."""
    rows = {}
    for budget, path in marks.items():
        if path is None:
            rows[f"{budget:g}"] = None
            continue
        row = judge(path, real, seed)
        piece = row.pop("_piece")
        if roll_it and budget == BUDGETS[-1]:
            entry["roll"] = roll(piece, name)
        rows[f"{budget:g}"] = row
    return rows


def roll(piece, name: str) -> str:
    file = f"roll-{name}.png"
    piano_roll(piece, f"{SETS[name]}: fine-tuned from base (a {BUDGETS[-1] / 60:g}-minute budget), a generated piece",
               OUT / file)
    return file


# ---------------------------------------------------------------- the report


def _mean_sd(values) -> str:
    values = [v for v in values if v is not None and v == v]
    if not values:
        return "–"
    return f"{np.mean(values):.2f}" + (f" ± {np.std(values):.2f}" if len(values) > 1 else "")


def table_rows(entry: dict) -> list[dict]:
    rows = []
    runs = entry.get("runs", {}).values()
    for start in ("base", "scratch"):
        mine = [r for r in runs if r["start"] == start]
        if not mine:
            continue
        budgets = sorted({float(b) for r in mine for b in r["budgets"]})
        for budget in budgets:
            cells = [r["budgets"].get(f"{budget:g}") for r in mine]
            cells = [c for c in cells if c]
            rows.append({
                "start": "fine-tune base" if start == "base" else "from scratch",
                "minutes": f"{budget / 60:.3g}", "seeds": len(cells),
                "val_loss": _mean_sd([c["val_loss"] for c in cells]),
                **{k: _mean_sd([c["generated"].get(k) for c in cells]) for k in STRUCTURE},
                "overlap": _mean_sd([c["overlap"] for c in cells]),
            })
    real = entry["real"]
    rows.append({"start": "real music", "minutes": "", "seeds": "", "val_loss": "",
                 **{k: "–" if real.get(k) is None else f"{real[k]:.2f}" for k in STRUCTURE},
                 "overlap": f"{entry['overlap_real_vs_real']:.2f} (real vs real)"})
    return rows


def _mean(cells: list, key) -> float | None:
    values = [key(c) for c in cells]
    values = [v for v in values if v is not None and v == v]
    return float(np.mean(values)) if values else None


def targets(entry: dict) -> dict:
    """The issue's bar at the longest budget, fine-tuned from the base (the mean over seeds)."""
    last = f"{BUDGETS[-1]:g}"
    runs = entry.get("runs", {}).values()
    base = [r["budgets"][last] for r in runs if r["start"] == "base" and r["budgets"].get(last)]
    scratch = [r["budgets"][last] for r in runs if r["start"] == "scratch" and r["budgets"].get(last)]
    if not base:
        return {}
    real, out = entry["real"], {}
    g = {k: _mean(base, lambda c, k=k: c["generated"].get(k)) for k in STRUCTURE}
    if real.get("beat_chord_fit") is not None and g["beat_chord_fit"] is not None:
        out["beat chords within 0.10"] = abs(g["beat_chord_fit"] - real["beat_chord_fit"]) <= 0.10
    out["on-beat within 0.05"] = abs(g["on_beat_share"] - real["on_beat_share"]) <= 0.05
    out["bars repeated ≥ half real"] = g["bar_repetition"] >= 0.5 * real["bar_repetition"]
    out["overlap within 0.1 of real vs real"] = _mean(base, lambda c: c["overlap"]) >= entry["overlap_real_vs_real"] - 0.1
    starts = [r["start_val_loss"] / r["chance_loss"] for r in runs if r["start"] == "base" and r.get("start_val_loss")]
    if starts:
        out["first val loss < half of chance"] = max(starts) < 0.5
    if scratch:
        out["val loss below from-scratch"] = _mean(base, lambda c: c["val_loss"]) < _mean(scratch, lambda c: c["val_loss"])
    return out


def judged_with(results: dict, where: str = "README *Generation*") -> str:
    """The generation defaults the rows were judged with, in a sentence ("" when judged before them):
    chords on the beat, and the bar echo aiming at the share of bars the run's music repeats."""
    rows = [(run["start"], row) for entry in results.get("sets", {}).values() for run in entry.get("runs", {}).values()
            for row in run["budgets"].values() if row]
    used = {row.get("harmony") for _, row in rows}
    used.discard(None)
    if not used:
        return ""
    said = (" Generation's defaults include chords on the beat (`--harmony " + "/".join(f"{h:g}" for h in sorted(used)) +
            f"`, {where})")
    aimed = {start: any(row.get("echo_share") is not None for s, row in rows if s == start) for start, _ in rows}
    if any(aimed.values()):
        names = {"base": "fine-tunes", "scratch": "from-scratch runs"}
        said += (", the bar echo aims at the shares of bars and phrases the run's own music repeats, rhythm like its music "
                 "keeps its share of notes on the beat, and no note falls past the end of its bar (the "
                 + " and ".join(names[s] for s, on in sorted(aimed.items()) if on) + ")")
        before = [names[s] for s, on in sorted(aimed.items()) if not on]
        if before:
            said += ("; the " + " and ".join(before) + " were judged before those three, with the plain echo "
                     "(the targets compare them by validation loss, which generation does not change)")
    return said + "."


def own_harmony(entry: dict) -> str:
    """Beat chords of the same checkpoints with the model's own harmony (judged before chords on the
    beat were a default), beside the default's: what the rule adds."""
    last = f"{BUDGETS[-1]:g}"
    said = []
    for start, label in (("base", "fine-tuned"), ("scratch", "from scratch")):
        runs = [r for r in entry.get("runs", {}).values() if r["start"] == start]
        own = [r.get("budgets_own", {}).get(last) for r in runs]
        now = [r["budgets"].get(last) for r in runs]
        own, now = [c for c in own if c], [c for c in now if c and c.get("harmony")]
        measured = [c["generated"].get("beat_chord_fit") for c in own]
        if now and any(v is not None and v == v for v in measured):  # a single line has no beat chords
            said.append(f"{label} {_mean_sd([c['generated'].get('beat_chord_fit') for c in own])} on its own, "
                        f"{_mean_sd([c['generated'].get('beat_chord_fit') for c in now])} with chords on the beat "
                        f"{now[0]['harmony']:g}")
    if not said:
        return ""
    return (f"Beat chords at {BUDGETS[-1] / 60:g} minutes, the same checkpoints with the model's own harmony "
            "(`--harmony 0`) and at the default: " + "; ".join(said) + ".")


def start_table(by_model: dict) -> str:
    parts = sorted({k for v in by_model.values() for k in v if k.startswith("part")})
    cols = [("model", "start from", ""), ("chance", "chance", ".2f"), ("all", "all tokens", ".2f")]
    cols += [(p, p, ".2f") for p in parts]
    return markdown_table([{"model": m, **v} for m, v in by_model.items()], cols)


def base_fingerprint() -> str:
    """The bundled base's weights, as a short hash: which base the fine-tune rows were measured with."""
    import hashlib

    return hashlib.sha256((ROOT / "assets" / "models" / "base" / "weights.npz").read_bytes()).hexdigest()[:16]


def stale_base_note(results: dict) -> list[str]:
    """A sentence when the bundled base is not the one the fine-tunes were measured with."""
    if results.get("base_weights") in (None, base_fingerprint()):
        return []
    return ["The fine-tune rows were measured with an earlier base (before its latest sitting: weights "
            f"{results['base_weights']}, now {base_fingerprint()}); `TRANSFER_STARTS=base make transfer` measures "
            "them again.", ""]


def write_report(results: dict) -> Path:
    cols = [("start", "start", ""), ("minutes", "minutes", ""), ("seeds", "seeds", ""),
            ("val_loss", "val loss", ""), ("on_beat_share", "on-beat onsets", ""),
            ("beat_chord_fit", "beat chords triad/7th", ""), ("bar_repetition", "bars repeated", ""),
            ("overlap", "pitch-statistics overlap", "")]
    lines = ["# Your own music, learned in minutes", "",
             "Written by `bench/transfer.py` (`make transfer`) from `docs/transfer/results.json`; do not edit by hand.",
             "", f"Each set: {N_TRAIN} pieces to learn from, {N_PIECES} generated pieces of {SECONDS:g} s at default "
             f"settings against {SECONDS:g}-second excerpts of up to {N_REAL} other real pieces of the same "
             "collection. None of these collections is in the base model. Budgets count from the first batch, "
             "on this machine's two cores; seeds: " + ", ".join(map(str, results.get("seeds", SEEDS))) + "." +
             judged_with(results), ""]
    lines += stale_base_note(results)
    for name, entry in results.get("sets", {}).items():
        lines += [f"## {entry['title']}", ""]
        base = next((r for r in entry.get("runs", {}).values() if r["start"] == "base"), None)
        if base and base.get("start_val_loss") is not None:
            lines += [f"Fine-tuning the base starts at validation loss **{base['start_val_loss']:.2f}**; chance "
                      f"(a uniform guess) is {base['chance_loss']:.2f}.", ""]
        if entry.get("start_by_part"):
            lines += ["Where a fine-tune starts, by model: its loss on these 20 pieces before any step, over all "
                      "tokens and over each part's notes (chance is a uniform guess):", "",
                      start_table(entry["start_by_part"]), ""]
        lines += [markdown_table(table_rows(entry), cols), ""]
        if own_harmony(entry):
            lines += [own_harmony(entry), ""]
        met = targets(entry)
        if met:
            lines += ["Targets at " + f"{BUDGETS[-1] / 60:g} minutes, fine-tuned (mean over seeds): " +
                      "; ".join(f"{k}: {'yes' if v else 'no'}" for k, v in met.items()) + ".", ""]
        if entry.get("roll"):
            lines += [f"![piano roll]({OUT.name}/{entry['roll']})", ""]
    path = ROOT / "docs" / "transfer.md"
    path.write_text("\n".join(lines))
    return path


README_BEGIN, README_END = "<!-- transfer:begin -->", "<!-- transfer:end -->"


def expectations(results: dict) -> str:
    """What a user can expect from N minutes, for the README: the fine-tuned rows of each set."""
    from musegen.runs.folder import Run

    lines = []
    base_dir = ROOT / "assets" / "models" / "base"
    if (base_dir / "summary.json").is_file():
        s = Run.load(base_dir).summary
        lines += [f"The bundled base trained for {s['seconds'] / 60:.0f} minutes ({s['epochs']} epochs of 400 steps) "
                  f"on this project's two-core machine; {s['params']:,} parameters, validation loss "
                  f"{s['val_loss']:.2f}.", ""]
    lines += stale_base_note(results)
    said = judged_with(results, where="*Generation* above").strip()
    if said:
        lines += [said, ""]
    lines += ["| your music (20 pieces) | start | minutes | val loss | on-beat onsets | beat chords | bars repeated |",
              "|---|---|---|---|---|---|---|"]
    for entry in results.get("sets", {}).values():
        title = entry["title"]
        for row in table_rows(entry):
            lines.append(f"| {title} | {row['start']} | {row['minutes']} | {row['val_loss']} | "
                         f"{row['on_beat_share']} | {row['beat_chord_fit']} | {row['bar_repetition']} |")
            title = ""
    return "\n".join(lines)


def write_readme(results: dict) -> None:
    readme = ROOT / "README.md"
    text = readme.read_text()
    if README_BEGIN not in text:
        return
    head, rest = text.split(README_BEGIN, 1)
    tail = rest.split(README_END, 1)[1]
    readme.write_text(f"{head}{README_BEGIN}\n{expectations(results)}\n{README_END}{tail}")


def main() -> None:
    import json

    from musegen.cli.terminal import import_tensorflow_quietly

    import_tensorflow_quietly()
    results_path = OUT / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    results.update(budgets=BUDGETS, seeds=sorted(set(results.get("seeds", [])) | set(SEEDS)), quick=QUICK)
    only = [s for s in os.environ.get("TRANSFER_ONLY", "").split(",") if s] or list(SETS)
    if os.environ.get("TRANSFER_REPORT_ONLY"):  # rewrite docs/transfer.md and the README's table from the results
        only = []
    if os.environ.get("TRANSFER_STARTS_ONLY"):
        starts(results)
        only = []
    if only and "base" in STARTS and not REJUDGE:
        results["base_weights"] = base_fingerprint()  # the fine-tune rows are this base's
    for name in only:
        measure_set(name, results)
    log(f"wrote {write_report(results)}")
    write_readme(results)


if __name__ == "__main__":
    main()
