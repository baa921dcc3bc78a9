"""`make study`: WaveNet vs the article's simple WaveNet vs LSTM, measured (docs/study.md).

Trains each model with the same wall-time budget on Bach chorales and folk tunes (our set-up:
metre tokens, embeddings, every-position targets), the previous default (rich tokens, a 128-token
WaveNet) and the article's own set-up (LSTM, notes tokens, scalar inputs, last-step target) on
Bach; then measures held-out NLL / accuracy, generation speed, and — at several temperatures —
musical statistics and structure (pulse, beat chords, repeated bars, key) against the real music,
collapse and memorisation (musegen.metrics).

    python -m bench.study            120 s per model (about 20 minutes on two cores)
    STUDY_QUICK=1 python -m bench.study   30 s per model, fewer pieces (a smoke run)
    STUDY_SECONDS=300 python -m bench.study

Writes docs/study/results.json (its "headline" key feeds the app's Compare page), small PNG plots
in docs/study/, and the generated tables of docs/study.md between its "results" markers (the
prose around them is kept). Runs are trained into bench/results/study-runs/ (gitignored).
"""
from __future__ import annotations

import os
import re
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench.common import RESULTS, ROOT, Timer, log, markdown_table, pyplot, save_figure, write_json  # noqa: E402

QUICK = bool(os.environ.get("STUDY_QUICK"))
BUDGET = float(os.environ.get("STUDY_SECONDS") or (30 if QUICK else 120))
TEMPERATURES = [0.0, 0.8, 1.0, 1.2]
N_PIECES, LENGTH = (4, 200) if QUICK else (8, 400)
DATASETS = {"bach": 0, "folk": 400}  # max_files: folk's 1,059 ABC tunes take minutes to parse the first time
MODELS = ["wavenet", "simple-wavenet", "lstm"]
STRUCTURE = ["on_beat_share", "beat_chord_fit", "bar_repetition", "key_stability"]
DOCS = ROOT / "docs"
OUT = DOCS / "study"
RUNS = RESULTS / "study-runs"
START, END = "<!-- results:start -->", "<!-- results:end -->"


def configs():
    from musegen.cli import article_preset
    from musegen.config import DataConfig, ModelConfig, RunConfig, TokenizerConfig, TrainConfig

    for dataset, max_files in DATASETS.items():
        data = DataConfig(dataset=dataset, max_files=max_files)
        for kind in MODELS:
            yield dataset, kind, "ours", RunConfig(data=data, model=ModelConfig(kind=kind),
                                                   train=TrainConfig(epochs=10_000, max_seconds=BUDGET, seed=1))
        if dataset == "bach":
            previous = RunConfig(data=DataConfig(dataset=dataset, max_files=max_files, window=128, stride=64),
                                 tokenizer=TokenizerConfig(scheme="rich"), model=ModelConfig(kind="wavenet", dilation_depth=6),
                                 train=TrainConfig(epochs=10_000, max_seconds=BUDGET, seed=1, batch_size=32))
            yield dataset, "wavenet", "rich", previous
            config = article_preset(RunConfig(data=data, model=ModelConfig(kind="lstm")))
            config.train = TrainConfig(epochs=10_000, max_seconds=BUDGET, seed=1)
            yield dataset, "lstm", "article", config


def speed(composer) -> float:
    """Tokens per second for one sequence of LENGTH tokens, warm (compiled), best of three."""
    from musegen.config import SampleConfig

    composer.compose(SampleConfig(length=LENGTH, seed=0))
    return max(composer.compose(SampleConfig(length=LENGTH, seed=s)).tokens_per_s for s in (1, 2, 3))


def study_one(dataset, kind, setup, config, loaded) -> dict:
    from musegen.metrics import evaluate, heldout, split_pieces
    from musegen.sample import Composer
    from musegen.train import train

    name = f"{dataset}-{kind}" + ("" if setup == "ours" else f"-{setup}")
    out = RUNS / name
    shutil.rmtree(out, ignore_errors=True)
    log(f"{name}: training for {BUDGET:.0f} s")
    run = train(config, out, pieces=loaded)
    log(f"{name}: {run.summary['epochs']} epochs, val_loss {run.summary['val_loss']:.3f}; evaluating")
    _, val, _ = split_pieces(run, loaded.pieces)
    stats = heldout(run, val)
    composer = Composer(run)
    tokens_per_s = speed(composer)
    by_temperature = []
    for temperature in TEMPERATURES:
        with Timer() as t:
            result = evaluate(run, loaded.pieces, n_pieces=N_PIECES, length=LENGTH, temperature=temperature,
                              seed=100, composer=composer, heldout_stats=stats)
        result.pop("run")
        by_temperature.append(result)
        log(f"  T={temperature}: overlap {result['overlap']:.2f} kl {result['kl']:.3f} "
            f"collapsed {result['collapse']['collapsed']}/{N_PIECES} distinct {result['collapse']['distinct_tokens']:.0f} "
            f"copy {result['memorisation']['longest_copy']} (real {result['memorisation']['validation_baseline']:.0f}) "
            f"[{t.seconds:.0f} s]")
    at1 = next(r for r in by_temperature if r["temperature"] == 1.0)
    entropy = at1["musical"]["pitch_class_entropy"]
    headline = {
        "dataset": dataset, "model": kind, "setup": setup, "name": name, "scheme": config.tokenizer.scheme,
        "vocab": len(run.tokenizer), "params": run.summary["params"], "train_seconds": round(run.summary["seconds"], 1),
        "epochs": run.summary["epochs"], "val_nll": stats["nll"], "val_perplexity": stats["perplexity"],
        "val_accuracy": stats["accuracy"], "bits_per_quarter": stats["bits_per_quarter"],
        "tokens_per_s": tokens_per_s, "temperature": 1.0,
        "pitch_class_entropy": entropy["generated_mean"], "pitch_class_entropy_real": entropy["real_mean"],
        "overlap": at1["overlap"], "kl": at1["kl"],
        "distinct_tokens": at1["collapse"]["distinct_tokens"], "collapsed": at1["collapse"]["collapsed"],
        "longest_copy": at1["memorisation"]["longest_copy"], "longest_copy_file": at1["memorisation"]["longest_copy_file"],
        "copy_baseline": at1["memorisation"]["validation_baseline"],
        **{f"{k}": at1["structure"]["generated"].get(k) for k in STRUCTURE},
        **{f"{k}_real": at1["structure"]["real"].get(k) for k in STRUCTURE},
    }
    return {"headline": headline, "temperatures": by_temperature,
            "curve": {k: run.history.get(k, []) for k in ("elapsed", "loss", "val_loss", "accuracy", "val_accuracy")}}


# ------------------------------------------------------------------------------ plots


def plots(results: dict) -> list[str]:
    plt = pyplot()
    rows = results["headline"]
    datasets = [d for d in DATASETS if any(r["dataset"] == d for r in rows)]
    files = []

    fig, axes = plt.subplots(1, len(datasets), figsize=(8, 3), squeeze=False)
    axes = axes[0]
    for ax, dataset in zip(axes, datasets):
        for row in rows:
            if row["dataset"] != dataset:
                continue
            curve = results["curves"][row["name"]]
            style = "--" if row["setup"] == "article" else "-"
            label = row["model"] + {"article": " (article, notes tokens)", "rich": " (before: rich tokens)"}.get(row["setup"], "")
            ax.plot(curve["elapsed"], curve["val_loss"], style, marker="o", ms=2.5, label=label)
        ax.set_title(dataset)
        ax.set_xlabel("training seconds")
    axes[0].set_ylabel("validation NLL per token")
    axes[0].legend(frameon=False, fontsize=7)
    files.append(str(save_figure(fig, OUT / "learning_curves.png").relative_to(DOCS)))

    ours = [r for r in rows if r["setup"] == "ours"]
    fig, axes = plt.subplots(1, 3, figsize=(9, 2.8))
    x = np.arange(len(MODELS))
    for i, dataset in enumerate(datasets):
        pick = {r["model"]: r for r in ours if r["dataset"] == dataset}
        for ax, key, title in zip(axes, ("val_nll", "val_accuracy", "tokens_per_s"),
                                  ("val NLL / token (metre)", "val accuracy (metre)", "generation tokens/s")):
            ax.bar(x + (i - 0.5) * 0.38, [pick[m][key] if m in pick else 0 for m in MODELS], 0.38, label=dataset)
            ax.set_title(title)
            ax.set_xticks(x, MODELS, fontsize=7)
    axes[0].legend(frameon=False, fontsize=7)
    files.append(str(save_figure(fig, OUT / "quality.png").relative_to(DOCS)))

    fig, axes = plt.subplots(1, 3, figsize=(9, 2.8))
    for row in rows:
        temps = results["temperatures"][row["name"]]
        t = [r["temperature"] for r in temps]
        style = "--" if row["setup"] == "article" else "-"
        axes[0].plot(t, [r["overlap"] for r in temps], style, marker="o", ms=3, label=row["name"])
        axes[1].plot(t, [r["collapse"]["distinct_tokens"] for r in temps], style, marker="o", ms=3)
        line = axes[2].plot(t, [r["memorisation"]["mean_longest_copy"] for r in temps], style, marker="o", ms=3)[0]
        axes[2].axhline(temps[0]["memorisation"]["validation_baseline"], color=line.get_color(), ls=":", lw=1)
    axes[0].set_title("overlap with the data (1 = alike)")
    axes[1].set_title("distinct tokens per piece")
    axes[2].set_title("longest copied passage (tokens;\ndotted: real music)", fontsize=8)
    for ax in axes:
        ax.set_xlabel("temperature")
    axes[0].legend(frameon=False, fontsize=6)
    files.append(str(save_figure(fig, OUT / "temperature.png").relative_to(DOCS)))

    features = ["pitch_class_entropy", "scale_consistency", "polyphony", "note_density", "empty_beat_rate", "pitch_range"]
    fig, axes = plt.subplots(len(datasets), len(features), figsize=(11, 2.4 * len(datasets)), squeeze=False)
    for i, dataset in enumerate(datasets):
        subset = [r for r in rows if r["dataset"] == dataset]
        for j, feature in enumerate(features):
            ax = axes[i][j]
            at1 = [next(t for t in results["temperatures"][r["name"]] if t["temperature"] == 1.0) for r in subset]
            values = [at1[0]["musical"][feature]["real_mean"]] + [a["musical"][feature]["generated_mean"] for a in at1]
            labels = ["data"] + [r["model"] + ("*" if r["setup"] == "article" else "") for r in subset]
            ax.bar(range(len(values)), values, color=["grey"] + ["C0"] * len(subset))
            ax.set_xticks(range(len(values)), labels, rotation=60, fontsize=6)
            ax.set_title(f"{dataset}: {feature.replace('_', ' ')}", fontsize=7)
    fig.tight_layout()
    files.append(str(save_figure(fig, OUT / "features.png").relative_to(DOCS)))
    return files


# ------------------------------------------------------------------------------ markdown


def tables(results: dict, figures: list[str]) -> str:
    s = results["settings"]
    parts = [
        f"_Generated by `make study` on {s['date']}: {s['seconds_per_model']:.0f} s of training per model, "
        f"{s['pieces']} pieces × {s['length']} tokens per temperature, on {s['machine']}._\n",
        "### Headline (temperature 1.0)\n",
        markdown_table(results["headline"], [
            ("dataset", "dataset", ""), ("model", "model", ""), ("setup", "set-up", ""), ("scheme", "tokens", ""),
            ("params", "params", ","), ("epochs", "epochs", ""), ("train_seconds", "train s", ".0f"),
            ("val_nll", "val NLL/token", ".3f"), ("val_perplexity", "perplexity", ".2f"),
            ("val_accuracy", "val acc", ".1%"), ("bits_per_quarter", "bits/quarter", ".2f"),
            ("tokens_per_s", "gen tok/s", ",.0f"), ("pitch_class_entropy", "PC entropy", ".2f"),
            ("pitch_class_entropy_real", "PC entropy (data)", ".2f"), ("overlap", "overlap", ".2f"),
            ("kl", "KL", ".3f"), ("distinct_tokens", "distinct tokens", ".0f"), ("collapsed", "collapsed", ""),
            ("longest_copy", "longest copy", ""), ("copy_baseline", "copy (real music)", ".0f")]),
        "\nNLL, perplexity and accuracy are per token of each run's own scheme: the rich rows share a "
        "vocabulary, the article's row uses notes tokens and is not comparable with them token for token "
        "(bits/quarter is the shared basis). \"collapsed\" counts pieces out of "
        f"{s['pieces']}; \"copy (real music)\" is the longest passage a real validation excerpt of the same "
        "length shares with the training data, the level of chance.\n",
        "### Structure (temperature 1.0; real: excerpts of the training music)\n",
        markdown_table(results["headline"], [
            ("name", "run", ""), ("scheme", "tokens", ""),
            ("on_beat_share", "on-beat notes", ".2f"), ("on_beat_share_real", "(real)", ".2f"),
            ("beat_chord_fit", "beat chords triad/7th", ".2f"), ("beat_chord_fit_real", "(real)", ".2f"),
            ("bar_repetition", "bars repeated", ".2f"), ("bar_repetition_real", "(real)", ".2f"),
            ("key_stability", "key stability", ".2f"), ("key_stability_real", "(real)", ".2f")]),
        "\nThe bundled models against held-out music, with the targets of the pulse-form-parts issue: "
        "[quality.md](quality.md).\n",
        "### By temperature\n",
    ]
    rows = []
    for row in results["headline"]:
        for t in results["temperatures"][row["name"]]:
            rows.append({"name": row["name"], "temperature": t["temperature"], "overlap": t["overlap"], "kl": t["kl"],
                         "entropy": t["musical"]["pitch_class_entropy"]["generated_mean"],
                         "scale": t["musical"]["scale_consistency"]["generated_mean"],
                         "distinct": t["collapse"]["distinct_tokens"], "collapsed": t["collapse"]["collapsed"],
                         "loop": t["collapse"]["loop_tokens_max"], "copy": t["memorisation"]["longest_copy"],
                         "copy_mean": t["memorisation"]["mean_longest_copy"],
                         "share16": t["memorisation"]["copied_16gram_share"]})
    parts.append(markdown_table(rows, [
        ("name", "run", ""), ("temperature", "T", ".1f"), ("overlap", "overlap", ".2f"), ("kl", "KL", ".3f"),
        ("entropy", "PC entropy", ".2f"), ("scale", "scale consistency", ".2f"), ("distinct", "distinct tokens", ".0f"),
        ("collapsed", "collapsed", ""), ("loop", "longest loop", ""), ("copy", "longest copy", ""),
        ("copy_mean", "mean longest copy", ".0f"), ("share16", "16-grams copied", ".0%")]))
    parts.append("")
    parts += [f"![{Path(f).stem}]({f})\n" for f in figures]
    return "\n".join(parts)


TEMPLATE = f"""# WaveNet vs LSTM, measured

How to regenerate: `make study` (about 20 minutes on two cores; `STUDY_QUICK=1` for a smoke run).

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


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from musegen.config import DataConfig
    from musegen.sources import load_pieces

    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    loaded = {d: load_pieces(d, DataConfig(dataset=d, max_files=m)) for d, m in DATASETS.items()}
    results = {"headline": [], "temperatures": {}, "curves": {},
               "settings": {"seconds_per_model": BUDGET, "temperatures": TEMPERATURES, "pieces": N_PIECES,
                            "length": LENGTH, "datasets": {d: len(loaded[d].pieces) for d in DATASETS},
                            "date": time.strftime("%Y-%m-%d"), "machine": f"{os.cpu_count()} CPU cores (shared)",
                            "quick": QUICK}}
    only = [n for n in os.environ.get("STUDY_ONLY", "").split(",") if n]  # e.g. bach-wavenet,bach-lstm-article
    for dataset, kind, setup, config in configs():
        if only and f"{dataset}-{kind}" + ("" if setup == "ours" else f"-{setup}") not in only:
            continue
        one = study_one(dataset, kind, setup, config, loaded[dataset])
        name = one["headline"]["name"]
        results["headline"].append(one["headline"])
        results["temperatures"][name] = one["temperatures"]
        results["curves"][name] = one["curve"]
        write_json(OUT / "results.json", results)  # partial results survive an interruption
    results["settings"]["total_seconds"] = round(time.perf_counter() - started)
    figures = plots(results)
    write_json(OUT / "results.json", results)
    write_markdown(tables(results, figures))
    log(f"study done in {results['settings']['total_seconds']} s: {OUT / 'results.json'}, {DOCS / 'study.md'}")


if __name__ == "__main__":
    main()
