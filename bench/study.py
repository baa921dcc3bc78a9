"""`make study`: WaveNet vs the article's simple WaveNet vs LSTM, measured over seeds (docs/study.md).

Trains each model with the same wall-time budget, once per seed, on Bach chorales and folk tunes
(our set-up: metre tokens, embeddings, every-position targets) and on Bach the previous default
(rich tokens, a 128-token WaveNet); then measures held-out NLL / accuracy / bits per quarter,
generation speed, and musical statistics and structure (pulse, beat chords, repeated bars, key)
against the real music, collapse and memorisation (musegen.evaluate). The tables give the mean ±
standard deviation over seeds; the temperature sweep is the first seed's.

A 2×2 control on Bach with the article's notes tokens separates the set-up from the model:
{LSTM, the article's simple WaveNet} × {the article's set-up (scalar inputs, 32-token windows, a
loss on the last step), ours (embeddings, 64-token windows, a loss at every position)}, all four
scored on the same tokens (from the 33rd of each piece). The full WaveNet cannot take scalar
inputs or last-step targets (models.build_model refuses), so the control uses the simple one.

    python -m bench.study                  75 s per run, 29 runs (about 45 minutes on two cores)
    STUDY_QUICK=1 python -m bench.study    15 s per run, fewer and shorter pieces (a smoke run)
    STUDY_SECONDS=300 STUDY_SEEDS=5 python -m bench.study
    STUDY_ONLY=bach-wavenet,bach-lstm python -m bench.study    only these cells

Seeds 1…STUDY_SEEDS (default 3) for the Bach cells; the rich-token and folk cells get at most 2,
to keep the default run under 50 minutes. A seed sets the initialisation, the order of the windows
and which files are held out (the same files for every cell of that seed).

Writes docs/study/results.json (its "headline" key, one row per cell with means and "_sd" keys,
feeds the app's Compare page; "runs" keeps every seed's values), small PNG plots in docs/study/,
and the generated tables of docs/study.md between its "results" markers (the prose around them
is kept). Runs are trained into bench/results/study-runs/ (gitignored).
"""
from __future__ import annotations

import dataclasses
import gc
import math
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench.common import RESULTS, ROOT, Timer, log, markdown_table, pyplot, save_figure, write_json  # noqa: E402

QUICK = bool(os.environ.get("STUDY_QUICK"))
BUDGET = float(os.environ.get("STUDY_SECONDS") or (15 if QUICK else 75))
SEEDS = int(os.environ.get("STUDY_SEEDS") or 3)
FEWER_SEEDS = min(SEEDS, 2)  # the rich-token and folk cells: the time budget
TEMPERATURES = [0.0, 0.8, 1.0, 1.2]
N_PIECES, LENGTH = (4, 200) if QUICK else (8, 400)
DATASETS = {"bach": 0, "folk": 400}  # max_files: folk's 1,059 ABC tunes take minutes to parse the first time
MODELS = ["wavenet", "simple-wavenet", "lstm"]
CONTROL_MODELS = ["lstm", "simple-wavenet"]  # the full WaveNet takes neither scalar inputs nor last-step targets
ARTICLE_WINDOW = 32  # the article's model predicts a piece's tokens from the 33rd on: all four cells are scored there
STRUCTURE = ["on_beat_share", "beat_chord_fit", "bar_repetition", "key_stability"]
FEATURES = ["pitch_class_entropy", "scale_consistency", "polyphony", "note_density", "empty_beat_rate", "pitch_range"]
NOISE = 2.0  # a difference under NOISE × the seed spread is "within noise"
DOCS = ROOT / "docs"
OUT = DOCS / "study"
RUNS = RESULTS / "study-runs"
START, END = "<!-- results:start -->", "<!-- results:end -->"


# ------------------------------------------------------------------------------ what is trained


@dataclass
class Cell:
    """One dataset × model × set-up, trained once per seed."""

    name: str
    dataset: str
    model: str
    setup: str  # ours | rich | article | notes (our set-up on the article's notes tokens)
    config: object  # a RunConfig; its seed and budget are set per run
    seeds: int
    headline: bool  # sampled from and measured as music; the control's other cells are only scored
    control: bool = False  # one of the 2×2's four cells


def cells() -> list[Cell]:
    """In table order: Bach in our set-up, the previous default, the 2×2 control; folk tunes."""
    from musegen.config import DataConfig, ModelConfig, RunConfig, TokenizerConfig, TrainConfig, replace

    def ours(dataset: str, seeds: int) -> list[Cell]:
        data = DataConfig(dataset=dataset, max_files=DATASETS[dataset])
        return [Cell(f"{dataset}-{kind}", dataset, kind, "ours", RunConfig(data=data, model=ModelConfig(kind=kind)),
                     seeds, headline=True) for kind in MODELS]

    bach = DataConfig(dataset="bach", max_files=DATASETS["bach"])
    previous = RunConfig(data=replace(bach, window=128, stride=64), tokenizer=TokenizerConfig(scheme="rich"),
                         model=ModelConfig(kind="wavenet", dilation_depth=6), train=TrainConfig(batch_size=32))
    return [*ours("bach", SEEDS),
            Cell("bach-wavenet-rich", "bach", "wavenet", "rich", previous, FEWER_SEEDS, headline=True),
            *control(bach),
            *ours("folk", FEWER_SEEDS)]


def control(bach) -> list[Cell]:
    """The 2×2: {LSTM, simple WaveNet} × {the article's set-up, ours}, all on the article's notes
    tokens. The article's LSTM is also a headline row."""
    from musegen.cli.train import article_preset
    from musegen.config import ModelConfig, RunConfig, replace

    out = []
    for kind in CONTROL_MODELS:
        article = article_preset(RunConfig(data=bach, model=ModelConfig(kind=kind)))
        # Only the set-up changes: the same tokens and files, and windows of about as many bars as
        # our 512 metre tokens hold (a chorale is about 70 notes tokens).
        ours = RunConfig(data=replace(article.data, window=64, stride=32), tokenizer=article.tokenizer,
                         model=ModelConfig(kind=kind))
        out.append(Cell(f"bach-{kind}-article", "bach", kind, "article", article, SEEDS, headline=kind == "lstm",
                        control=True))
        out.append(Cell(f"bach-{kind}-notes", "bach", kind, "notes", ours, SEEDS, headline=False, control=True))
    return out


def seeded(config, seed: int):
    return dataclasses.replace(config, train=dataclasses.replace(config.train, epochs=10_000, max_seconds=BUDGET,
                                                                 seed=seed))


# ------------------------------------------------------------------------------ one run


def speed(composer) -> float:
    """Tokens per second for one sequence of LENGTH tokens, warm (compiled), best of three."""
    from musegen.config import SampleConfig

    composer.compose(SampleConfig(length=LENGTH, seed=0))
    return max(composer.compose(SampleConfig(length=LENGTH, seed=s)).tokens_per_s for s in (1, 2, 3))


def study_one(cell: Cell, seed: int, loaded) -> dict:
    """Train one cell with one seed; score it, and for a headline cell sample and measure its music
    (at every temperature for the first seed, at 1.0 for the others)."""
    from musegen.evaluate.heldout import heldout, split_pieces
    from musegen.train.fit import train

    out = RUNS / f"{cell.name}-seed{seed}"
    shutil.rmtree(out, ignore_errors=True)
    log(f"{cell.name} seed {seed}: training for {BUDGET:.0f} s")
    run = train(seeded(cell.config, seed), out, pieces=loaded)
    with Timer() as t:
        _, val, _ = split_pieces(run, loaded.pieces)
        # The control's four cells are scored on the tokens the last-step model can predict.
        stats = heldout(run, val, from_token=ARTICLE_WINDOW if cell.control else 1)
        row = likelihood_row(cell, seed, run, stats)
        temperatures = music(run, loaded, stats, row, TEMPERATURES if seed == 1 else [1.0]) if cell.headline else []
    log(f"  {row['epochs']} epochs, val NLL {row['val_nll']:.3f}, accuracy {row['val_accuracy']:.1%} "
        f"[evaluated in {t.seconds:.0f} s]")
    curve = {k: run.history.get(k, []) for k in ("elapsed", "loss", "val_loss", "accuracy", "val_accuracy")}
    return {"row": row, "temperatures": temperatures, "curve": curve}


def likelihood_row(cell: Cell, seed: int, run, stats: dict) -> dict:
    return {"name": cell.name, "dataset": cell.dataset, "model": cell.model, "setup": cell.setup, "seed": seed,
            "scheme": run.config.tokenizer.scheme, "vocab": len(run.tokenizer), "params": run.summary["params"],
            "train_seconds": round(run.summary["seconds"], 1), "epochs": run.summary["epochs"],
            "val_nll": stats["nll"], "val_perplexity": stats["perplexity"], "val_accuracy": stats["accuracy"],
            "bits_per_quarter": stats["bits_per_quarter"], "val_tokens": stats["tokens"]}


def music(run, loaded, stats: dict, row: dict, temperatures: list[float]) -> list[dict]:
    """Sample at each temperature; the measures at 1.0 go into `row`. Returns every temperature's."""
    from musegen.evaluate.run_report import evaluate
    from musegen.generate.sample import Composer

    composer = Composer(run)
    row["tokens_per_s"] = speed(composer) if row["seed"] == 1 else None  # the architecture's, not the seed's
    by_temperature = []
    for temperature in temperatures:
        result = evaluate(run, loaded.pieces, n_pieces=N_PIECES, length=LENGTH, temperature=temperature,
                          seed=100, composer=composer, heldout_stats=stats)
        result.pop("run")
        by_temperature.append(result)
        memory = result["memorisation"]
        log(f"  T={temperature}: overlap {result['overlap']:.2f} kl {result['kl']:.3f} "
            f"collapsed {result['collapse']['collapsed']}/{N_PIECES} distinct {result['collapse']['distinct_tokens']:.0f} "
            f"copy {memory['matched_longest_copy']:.0f} (real {memory['validation_baseline']:.0f})")
    at1 = next(r for r in by_temperature if r["temperature"] == 1.0)
    row.update(music_row(at1))
    return by_temperature


def music_row(at1: dict) -> dict:
    """The measures of one evaluation (temperature 1.0) that the tables and plots show."""
    musical, structure, memory = at1["musical"], at1["structure"], at1["memorisation"]
    generated, real = structure["generated"], structure["real"]
    return {
        "pitch_class_entropy": musical["pitch_class_entropy"]["generated_mean"],
        "pitch_class_entropy_real": musical["pitch_class_entropy"]["real_mean"],
        "overlap": at1["overlap"], "kl": at1["kl"],
        "distinct_tokens": at1["collapse"]["distinct_tokens"], "collapsed": at1["collapse"]["collapsed"],
        # Mean vs mean over passages of the same length (memorisation.copy_against_chance).
        "mean_longest_copy": memory["matched_longest_copy"], "mean_longest_copy_real": memory["validation_baseline"],
        "copy_tokens": memory["compared_tokens"],
        **{k: generated.get(k) for k in STRUCTURE},
        **{f"{k}_real": real.get(k) for k in STRUCTURE},
        # How far from the real music: the shares of the schemes' own real excerpts differ.
        **{f"{k}_gap": _minus(generated.get(k), real.get(k)) for k in STRUCTURE},
        "features": {f: musical[f]["generated_mean"] for f in FEATURES},
        "features_real": {f: musical[f]["real_mean"] for f in FEATURES},
    }


def _minus(a, b):
    return None if a is None or b is None else a - b


# ------------------------------------------------------------------------------ over seeds

IDENTITY = ("name", "dataset", "model", "setup", "scheme")


def aggregate(rows: list[dict]) -> dict:
    """One cell's seeds in one row: the mean of every numeric value, its standard deviation over
    seeds in "<key>_sd" (None with one seed), and "seeds"."""
    out = {k: rows[0][k] for k in IDENTITY}
    out["seeds"] = len(rows)
    numeric = [k for k, v in rows[0].items() if k != "seed" and k not in IDENTITY and not isinstance(v, (dict, str))]
    for key in numeric:
        values = [r[key] for r in rows if isinstance(r.get(key), (int, float))]
        out[key] = float(np.mean(values)) if values else None
        out[f"{key}_sd"] = spread(values) if len(values) > 1 else None
    return out


def by_cell(runs: list[dict], order: list[Cell], which) -> list[dict]:
    rows = []
    for cell in order:
        mine = [r for r in runs if r["name"] == cell.name]
        if mine and which(cell):
            rows.append(aggregate(mine))
    return rows


def spread(values) -> float:
    """The standard deviation over seeds (0 for one seed)."""
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def pm(row: dict, key: str, spec: str) -> str | None:
    """'1.026 ± 0.012' (the mean ± the standard deviation over seeds); the mean alone for one seed."""
    mean, sd = row.get(key), row.get(f"{key}_sd")
    if mean is None:
        return None
    return format(mean, spec) + (f" ± {format(sd, spec)}" if sd is not None else "")


def versus(a: dict, b: dict, key: str, spec: str, key_b: str | None = None) -> str | None:
    """a[key] against b[key_b or key]: '1.026 ± 0.012 vs 1.654 ± 0.020 (-0.628: 30× the seed
    spread)', or '… within noise'. The seed spread of a difference is √(sd_a² + sd_b²)."""
    key_b = key_b or key
    if a.get(key) is None or b.get(key_b) is None:
        return None
    diff = a[key] - b[key_b]
    sd_a, sd_b = a.get(f"{key}_sd"), b.get(f"{key_b}_sd")
    spread = math.hypot(sd_a, sd_b) if sd_a is not None and sd_b is not None else None
    if spread is None:
        verdict = "one seed: no spread to judge by"
    elif spread == 0:
        verdict = "the same in every seed" if diff == 0 else "no spread between seeds"
    elif abs(diff) < NOISE * spread:
        verdict = f"within noise, {abs(diff) / spread:.1f}× the seed spread"
    else:
        ratio = abs(diff) / spread
        verdict = f"{ratio:.1f}× the seed spread" if ratio < 10 else f"{ratio:.0f}× the seed spread"
    return f"{pm(a, key, spec)} vs {pm(b, key_b, spec)} ({format(diff, '+' + spec)}: {verdict})"


# ------------------------------------------------------------------------------ plots


def cell_colours(names: list[str]) -> dict:
    return {name: f"C{i % 10}" for i, name in enumerate(names)}


def plot_curves(ax, results: dict, names: list[str], colours: dict) -> None:
    """One line per seed, one colour per cell."""
    for name in names:
        for i, curve in enumerate(results["curves"].get(name, [])):
            ax.plot(curve["elapsed"], curve["val_loss"], "--" if "article" in name else "-", color=colours[name],
                    marker="o", ms=2, lw=1, alpha=0.8, label=name if i == 0 else None)
    ax.set_xlabel("training seconds")
    ax.legend(frameon=False, fontsize=6)


def plots(results: dict) -> list[str]:
    plt = pyplot()
    rows = results["headline"]
    datasets = [d for d in DATASETS if any(r["dataset"] == d for r in rows)]
    colours = cell_colours([r["name"] for r in rows + results["control"]])
    files = []

    panels = [(d, [r["name"] for r in rows if r["dataset"] == d]) for d in datasets]
    if results["control"]:
        panels.append(("bach, notes tokens: the 2×2", [r["name"] for r in results["control"]]))
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3), squeeze=False)
    for ax, (title, names) in zip(axes[0], panels):
        plot_curves(ax, results, names, colours)
        ax.set_title(title, fontsize=8)
    axes[0][0].set_ylabel("validation NLL per token\n(each run's own validation loss)", fontsize=7)
    files.append(str(save_figure(fig, OUT / "learning_curves.png").relative_to(DOCS)))

    ours = [r for r in rows if r["setup"] == "ours"]
    fig, axes = plt.subplots(1, 3, figsize=(9, 2.8))
    x = np.arange(len(MODELS))
    for i, dataset in enumerate(datasets):
        pick = {r["model"]: r for r in ours if r["dataset"] == dataset}
        for ax, key, title in zip(axes, ("val_nll", "val_accuracy", "tokens_per_s"),
                                  ("val NLL / token (metre)", "val accuracy (metre)", "generation tokens/s (seed 1)")):
            values = [pick[m][key] if m in pick else 0 for m in MODELS]
            errors = [(pick[m].get(f"{key}_sd") or 0) if m in pick else 0 for m in MODELS]
            ax.bar(x + (i - 0.5) * 0.38, values, 0.38, yerr=errors, capsize=2, label=dataset)
            ax.set_title(title, fontsize=8)
            ax.set_xticks(x, MODELS, fontsize=7)
    axes[0].legend(frameon=False, fontsize=7)
    files.append(str(save_figure(fig, OUT / "quality.png").relative_to(DOCS)))

    fig, axes = plt.subplots(1, 3, figsize=(9, 2.8))
    for row in rows:
        temps = results["temperatures"][row["name"]]
        t = [r["temperature"] for r in temps]
        style = dict(ls="--" if row["setup"] == "article" else "-", marker="o", ms=3, color=colours[row["name"]])
        axes[0].plot(t, [r["overlap"] for r in temps], label=row["name"], **style)
        axes[1].plot(t, [r["collapse"]["distinct_tokens"] for r in temps], **style)
        axes[2].plot(t, [r["memorisation"]["matched_longest_copy"] for r in temps], **style)
        axes[2].axhline(np.mean([r["memorisation"]["validation_baseline"] for r in temps]), color=colours[row["name"]],
                        ls=":", lw=1)
    axes[0].set_title("overlap with the data (1 = alike)", fontsize=8)
    axes[1].set_title("distinct tokens per piece", fontsize=8)
    axes[2].set_title("mean longest copied passage\n(tokens; dotted: real music)", fontsize=8)
    for ax in axes:
        ax.set_xlabel("temperature (seed 1)")
    axes[0].legend(frameon=False, fontsize=6)
    files.append(str(save_figure(fig, OUT / "temperature.png").relative_to(DOCS)))

    fig, axes = plt.subplots(len(datasets), len(FEATURES), figsize=(11, 2.4 * len(datasets)), squeeze=False)
    for i, dataset in enumerate(datasets):
        subset = [r for r in rows if r["dataset"] == dataset]
        per_seed = {r["name"]: [s for s in results["runs"] if s["name"] == r["name"]] for r in subset}
        for j, feature in enumerate(FEATURES):
            real = [s["features_real"][feature] for s in per_seed[subset[0]["name"]]]
            sets = [real] + [[s["features"][feature] for s in per_seed[r["name"]]] for r in subset]
            ax = axes[i][j]
            ax.bar(range(len(sets)), [np.mean(v) for v in sets], yerr=[spread(v) for v in sets], capsize=2,
                   color=["grey"] + [colours[r["name"]] for r in subset])
            labels = ["data"] + [r["model"] + {"article": "*", "rich": " (rich)"}.get(r["setup"], "") for r in subset]
            ax.set_xticks(range(len(sets)), labels, rotation=60, fontsize=6)
            ax.set_title(f"{dataset}: {feature.replace('_', ' ')}", fontsize=7)
    fig.tight_layout()
    files.append(str(save_figure(fig, OUT / "features.png").relative_to(DOCS)))
    return files


# ------------------------------------------------------------------------------ markdown


def shown(rows: list[dict], columns: list[tuple[str, str, str, bool]]) -> tuple[list[dict], list[tuple]]:
    """Rows and markdown_table columns where the flagged columns read 'mean ± sd'."""
    out = [{key: pm(row, key, spec) if spread else row.get(key) for key, _, spec, spread in columns} for row in rows]
    return out, [(key, header, "" if spread else spec) for key, header, spec, spread in columns]


def table(rows: list[dict], columns) -> str:
    return markdown_table(*shown(rows, columns))


def seeds_note(results: dict) -> str:
    """'Seeds 1–3 (bach-wavenet-rich, folk-wavenet: 1–2, to fit the time)'."""
    s = results["settings"]
    if s["max_seeds"] < 2:
        return "One seed: no spread"
    fewer = {}
    for name, n in s["seeds"].items():
        if n < s["max_seeds"]:
            fewer.setdefault(n, []).append(name)
    exceptions = "; ".join(f"{', '.join(names)}: {'1' if n == 1 else f'1–{n}'}" for n, names in fewer.items())
    return f"Seeds 1–{s['max_seeds']}" + (f" ({exceptions}, to fit the time)" if exceptions else "")


def headline_tables(results: dict) -> list[str]:
    s = results["settings"]
    rows = results["headline"]
    return [
        "### Headline (temperature 1.0)\n",
        table(rows, [
            ("dataset", "dataset", "", False), ("model", "model", "", False), ("setup", "set-up", "", False),
            ("scheme", "tokens", "", False), ("seeds", "seeds", "", False), ("params", "params", ",.0f", False),
            ("epochs", "epochs", ".0f", False), ("val_nll", "val NLL/token", ".3f", True),
            ("val_accuracy", "val acc", ".1%", True), ("bits_per_quarter", "bits/quarter", ".2f", True),
            ("tokens_per_s", "gen tok/s", ",.0f", False), ("pitch_class_entropy", "PC entropy", ".2f", False),
            ("pitch_class_entropy_real", "PC entropy (data)", ".2f", False), ("overlap", "overlap", ".2f", True),
            ("kl", "KL", ".3f", True), ("distinct_tokens", "distinct tokens", ".0f", False),
            ("collapsed", "collapsed", ".1f", False), ("mean_longest_copy", "longest copy", ".1f", True),
            ("mean_longest_copy_real", "copy (real music)", ".1f", True)]),
        f"\n{seeds_note(results)}; a value is the mean ± the standard deviation over seeds (and a seed "
        "changes which files are held out as well as the initialisation). NLL and accuracy are per token "
        "of each run's own scheme: only the metre rows share a vocabulary. bits/quarter divides the total "
        "NLL by the real length of the predicted music in quarter notes, measured on the pieces, for every "
        "scheme; the notes scheme throws away durations and rare chords, so the article's row has less to "
        "predict per beat. \"gen tok/s\" is the first seed's model; \"collapsed\" counts pieces out of "
        f"{s['pieces']}. \"longest copy\" is the **mean** over the generated pieces of the longest passage "
        "found verbatim in the training files, and \"copy (real music)\" the **mean** of the same for real "
        "validation excerpts, music the model never saw (the level of chance): each generated piece is "
        f"compared at the length of its real excerpt ({s['length']} tokens, or the whole validation piece "
        "where that is shorter: the notes scheme's chorales are about 70 tokens).\n",
        "### Structure (temperature 1.0; real: excerpts of the training music)\n",
        table(rows, [
            ("name", "run", "", False), ("scheme", "tokens", "", False), ("seeds", "seeds", "", False),
            ("on_beat_share", "on-beat notes", ".2f", True), ("on_beat_share_real", "(real)", ".2f", False),
            ("beat_chord_fit", "beat chords triad/7th", ".2f", True), ("beat_chord_fit_real", "(real)", ".2f", False),
            ("bar_repetition", "bars repeated", ".2f", True), ("bar_repetition_real", "(real)", ".2f", False),
            ("key_stability", "key stability", ".2f", True), ("key_stability_real", "(real)", ".2f", False)]),
        "\nMean ± standard deviation over seeds; the real excerpts go through each run's tokenizer. The bundled "
        "models against held-out music, with the targets of the pulse-form-parts issue: [quality.md](quality.md).\n",
    ]


CONTROL_SETUPS = {
    "article": "the article's: scalar inputs, 32-token windows (stride 1), a loss on the last step, no dropout",
    "notes": "ours: embeddings, 64-token windows (stride 32), a loss at every position, dropout 0.1",
}
MODEL_NAMES = {"lstm": "LSTM", "simple-wavenet": "simple WaveNet", "wavenet": "WaveNet"}


def control_section(results: dict) -> list[str]:
    rows = [{**r, "setup_words": CONTROL_SETUPS[r["setup"]]} for r in results["control"]]
    if not rows:
        return []
    cell = {(r["model"], r["setup"]): r for r in rows}
    effects = []
    for kind in CONTROL_MODELS:  # the set-up changes, the model stays
        if (kind, "notes") in cell and (kind, "article") in cell:
            effects.append(f"- Set-up, {MODEL_NAMES[kind]} fixed (ours vs the article's): val NLL "
                           + versus(cell[kind, "notes"], cell[kind, "article"], "val_nll", ".3f"))
    a, b = CONTROL_MODELS[1], CONTROL_MODELS[0]
    for setup in CONTROL_SETUPS:  # the model changes, the set-up stays
        if (a, setup) in cell and (b, setup) in cell:
            effects.append(f"- Model, {'our' if setup == 'notes' else 'the article’s'} set-up fixed "
                           f"({MODEL_NAMES[a]} vs {MODEL_NAMES[b]}): val NLL "
                           + versus(cell[a, setup], cell[b, setup], "val_nll", ".3f"))
    if (a, "notes") in cell and (b, "article") in cell:
        effects.append(f"- Both at once ({MODEL_NAMES[a]} on our set-up vs {MODEL_NAMES[b]} on the article's, "
                       "the comparison the headline makes): val NLL "
                       + versus(cell[a, "notes"], cell[b, "article"], "val_nll", ".3f"))
    return [
        "### The article's set-up or its model? A 2×2 on Bach, notes tokens\n",
        table(rows, [("model", "model", "", False), ("setup_words", "set-up", "", False), ("seeds", "seeds", "", False),
                     ("params", "params", ",.0f", False), ("epochs", "epochs", ".0f", False),
                     ("val_nll", "val NLL/token", ".3f", True), ("val_accuracy", "val acc", ".1%", True),
                     ("val_tokens", "tokens scored", ",.0f", False)]),
        "\nAll four cells use the article's notes tokens and the same budget and seeds, and are scored on the "
        f"same tokens: each validation piece from token {ARTICLE_WINDOW + 1} on (the last-step model cannot "
        f"predict the first {ARTICLE_WINDOW}), so NLL per token compares across the four. The WaveNet here is "
        "the article's simple WaveNet: the full WaveNet takes neither scalar inputs nor last-step targets. "
        "Scored with windows of their own length, our-set-up models see less than 32 tokens of context at the "
        "start of each window, which can only flatter the article's set-up.\n",
        *effects,
        "",
    ]


def findings(results: dict) -> list[str]:
    """Comparative sentences computed from the tables: the prose outside the markers states none."""
    rows = {r["name"]: r for r in results["headline"]}
    lines = []

    def say(label: str, a: str, b: str, measures: list[tuple[str, str, str]]) -> None:
        if a not in rows or b not in rows:
            return
        parts = [f"{words} {v}" for key, words, spec in measures if (v := versus(rows[a], rows[b], key, spec))]
        if parts:
            lines.append(f"- **{label}**: " + "; ".join(parts) + ".")

    for d in DATASETS:
        say(f"{d}: WaveNet vs LSTM (our set-up)", f"{d}-wavenet", f"{d}-lstm",
            [("val_nll", "val NLL/token", ".3f"), ("val_accuracy", "accuracy", ".1%"), ("overlap", "overlap", ".2f"),
             ("kl", "KL", ".3f"), ("beat_chord_fit", "beat chords triad/7th", ".2f")])
        say(f"{d}: WaveNet vs simple WaveNet (our set-up)", f"{d}-wavenet", f"{d}-simple-wavenet",
            [("val_nll", "val NLL/token", ".3f"), ("epochs", "epochs", ".0f"), ("overlap", "overlap", ".2f"),
             ("kl", "KL", ".3f")])
    say("bach: metre vs rich tokens (WaveNet)", "bach-wavenet", "bach-wavenet-rich",
        [("on_beat_share_gap", "on-beat share minus the real excerpts'", ".2f"),
         ("beat_chord_fit_gap", "beat chords minus the real excerpts'", ".2f"), ("overlap", "overlap", ".2f"),
         ("bits_per_quarter", "bits/quarter", ".2f")])
    copies = [f"{name} {v}" for name, row in rows.items()
              if (v := versus(row, row, "mean_longest_copy", ".1f", key_b="mean_longest_copy_real"))]
    if copies:
        lines.append("- **Memorisation** (mean longest copy, generated vs real music of the same length; "
                     "positive: longer than chance): " + "; ".join(copies) + ".")
    greedy = [f"{name} {t['collapse']['collapsed']}/{t['pieces']} collapsed, longest loop "
              f"{t['collapse']['loop_tokens_max']} tokens"
              for name, temps in results["temperatures"].items() for t in temps if t["temperature"] == 0.0]
    if greedy:
        lines.append("- **Greedy decoding** (temperature 0, seed 1 only): " + "; ".join(greedy) + ".")
    if not lines:
        return []
    return ["### What the numbers say (generated from the tables)\n",
            f"A vs B: mean ± sd over seeds, the difference, and that difference over the seed spread "
            f"√(sd_A² + sd_B²); under {NOISE:g}× the spread it is called within noise.\n", *lines, ""]


def temperature_table(results: dict) -> list[str]:
    rows = []
    for row in results["headline"]:
        for t in results["temperatures"].get(row["name"], []):
            memory = t["memorisation"]
            rows.append({"name": row["name"], "temperature": t["temperature"], "overlap": t["overlap"], "kl": t["kl"],
                         "entropy": t["musical"]["pitch_class_entropy"]["generated_mean"],
                         "scale": t["musical"]["scale_consistency"]["generated_mean"],
                         "distinct": t["collapse"]["distinct_tokens"], "collapsed": t["collapse"]["collapsed"],
                         "loop": t["collapse"]["loop_tokens_max"], "copy": memory["matched_longest_copy"],
                         "copy_real": memory["validation_baseline"], "share16": memory["copied_16gram_share"]})
    return ["### By temperature (the first seed only)\n", markdown_table(rows, [
        ("name", "run", ""), ("temperature", "T", ".1f"), ("overlap", "overlap", ".2f"), ("kl", "KL", ".3f"),
        ("entropy", "PC entropy", ".2f"), ("scale", "scale consistency", ".2f"), ("distinct", "distinct tokens", ".0f"),
        ("collapsed", "collapsed", ""), ("loop", "longest loop", ""), ("copy", "longest copy (mean)", ".1f"),
        ("copy_real", "copy (real music, mean)", ".1f"), ("share16", "16-grams copied", ".0%")]),
        "\nOne seed per temperature, to save time; the headline's temperature 1.0 is over every seed.\n"]


def tables(results: dict, figures: list[str]) -> str:
    s = results["settings"]
    parts = [
        f"_Generated by `make study` on {s['date']}: {s['seconds_per_model']:.0f} s of training per run, "
        f"{seeds_note(results).lower()}, {s['pieces']} pieces × {s['length']} tokens per temperature, "
        f"{s.get('total_seconds', 0) / 60:.0f} minutes in all on {s['machine']}._\n",
        *headline_tables(results),
        *control_section(results),
        *findings(results),
        *temperature_table(results),
    ]
    parts += [f"![{Path(f).stem}]({f})\n" for f in figures]
    return "\n".join(parts)


TEMPLATE = f"""# WaveNet vs LSTM, measured

How to regenerate: `make study` (about 45 minutes on two cores; `STUDY_QUICK=1` for a smoke run).

## Results

{START}
{END}

## Conclusions

(Written from the numbers above.)
"""


def write_markdown(text: str) -> None:
    from musegen.files import atomic_write

    path = DOCS / "study.md"
    doc = path.read_text() if path.is_file() else TEMPLATE
    if START not in doc or END not in doc:
        doc = doc.rstrip() + f"\n\n{START}\n{END}\n"
    doc = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: f"{START}\n{text}\n{END}", doc, flags=re.S)
    atomic_write(path, doc)


# ------------------------------------------------------------------------------ main


def release_memory() -> None:
    """Each run builds and loads Keras models: start the next one from a clean slate."""
    import keras

    keras.backend.clear_session()
    gc.collect()


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from musegen.config import DataConfig
    from musegen.music.sources import load_pieces

    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    only = [n for n in os.environ.get("STUDY_ONLY", "").split(",") if n]  # e.g. bach-wavenet,bach-lstm-article
    order = [c for c in cells() if not only or c.name in only]
    loaded = {d: load_pieces(d, DataConfig(dataset=d, max_files=m)) for d, m in DATASETS.items()
              if any(c.dataset == d for c in order)}
    results = {"headline": [], "control": [], "runs": [], "temperatures": {}, "curves": {},
               "settings": {"seconds_per_model": BUDGET, "max_seeds": SEEDS, "seeds": {c.name: c.seeds for c in order},
                            "temperatures": TEMPERATURES, "pieces": N_PIECES, "length": LENGTH,
                            "datasets": {d: len(p.pieces) for d, p in loaded.items()},
                            "date": time.strftime("%Y-%m-%d"), "machine": f"{os.cpu_count()} CPU cores (shared)",
                            "quick": QUICK}}
    log(f"study: {sum(c.seeds for c in order)} runs of {BUDGET:.0f} s")
    # Seed by seed: an interrupted study still has every cell's first seed.
    for seed in range(1, SEEDS + 1):
        for cell in (c for c in order if seed <= c.seeds):
            one = study_one(cell, seed, loaded[cell.dataset])
            results["runs"].append(one["row"])
            results["curves"].setdefault(cell.name, []).append(one["curve"])
            if seed == 1 and one["temperatures"]:
                results["temperatures"][cell.name] = one["temperatures"]
            results["headline"] = by_cell(results["runs"], order, lambda c: c.headline)
            results["control"] = by_cell(results["runs"], order, lambda c: c.control)
            results["settings"]["total_seconds"] = round(time.perf_counter() - started)
            write_json(OUT / "results.json", results)  # partial results survive an interruption
            release_memory()
    figures = plots(results)
    write_markdown(tables(results, figures))
    log(f"study done in {results['settings']['total_seconds']} s: {OUT / 'results.json'}, {DOCS / 'study.md'}")


if __name__ == "__main__":
    main()
