"""Datasets of 1,000 to 20,000 MIDI files (issue 12, part 3): `python -m bench.scale`.

The files are made from the built-in corpora: the Bach chorales and the folk tunes, each copy
transposed (-5 to +6 semitones) and cut (from a bar in its first half, 50-100 % of the rest),
written as MIDI into a temporary folder; the smaller sets are the first files of the largest. For
each size, in child processes (so each peak is that process's own):

- **first load**: `load_pieces` with an empty cache: every file hashed, parsed in the workers and
  cached (the workers' own memory is not in the figure);
- **cached reload**: the same call again, the median of three in one process;
- **training starts**: a fresh process loads the (cached) folder and trains a tiny WaveNet at the
  default window (512 tokens) and split, stopping after the first batch (validation then runs over
  every validation window, as at any epoch's end): the time to that first batch, and the peak
  resident memory of the whole process (VmHWM);
- **ten files added**: ten new files in the folder, loaded again (only they are parsed).

Targets: the peak at the largest size at most twice that at the smallest; the cached reload of the
largest at most 5 s. ``SCALE_QUICK=1``: 200, 500 and 1,000 files (a smoke run).

    python -m bench.scale      writes docs/scale/results.json and docs/scale.md
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, log, markdown_table, write_json  # noqa: E402

OUT = ROOT / "docs" / "scale"
QUICK = os.environ.get("SCALE_QUICK", "").strip() not in ("", "0")
SIZES = (200, 500, 1000) if QUICK else (1000, 5000, 20000)
ADDED = 10
RSS_RATIO_TARGET = 2.0
RELOAD_TARGET_S = 5.0


# ------------------------------------------------------------------------------ the music


def source_pieces():
    from musegen.config import DataConfig
    from musegen.music.sources import load_pieces

    return [p for name in ("bach", "folk") for p in load_pieces(name, DataConfig(dataset=name)).pieces]


def variant(piece, k: int):
    """Copy k of a piece: transposed and cut, as a new file would be."""
    import numpy as np

    from musegen.music.piece import DURATION, PITCH, START, Piece

    rng = np.random.default_rng(k)
    bars = piece.bar_starts()
    begin = float(bars[rng.integers(0, max(1, len(bars) // 2))])
    end = begin + (piece.duration_quarters - begin) * rng.uniform(0.5, 1.0)
    notes = piece.notes[(piece.notes[:, START] >= begin) & (piece.notes[:, START] < end)].copy()
    notes[:, START] -= begin
    notes[:, DURATION] = np.minimum(notes[:, DURATION], end - begin - notes[:, START])
    notes[:, PITCH] += int(rng.integers(-5, 7))
    return Piece(f"copy-{k:05d}", notes, tempo=piece.tempo, parts=piece.parts,
                 time_signatures=[(0.0, *piece.time_signature)])


def write_files(folder: Path, pool, numbers) -> None:
    from musegen.render.midi import piece_to_midi_bytes

    folder.mkdir(parents=True, exist_ok=True)
    for k in numbers:
        (folder / f"copy-{k:05d}.mid").write_bytes(piece_to_midi_bytes(variant(pool[k % len(pool)], k)))


def sets(root: Path, pool) -> dict[int, Path]:
    """A folder per size: the largest written once, the others hard links to its first files."""
    largest = root / f"files-{max(SIZES)}"
    write_files(largest, pool, range(max(SIZES)))
    folders = {max(SIZES): largest}
    names = sorted(p.name for p in largest.iterdir())
    for n in SIZES[:-1]:
        folder = root / f"files-{n}"
        folder.mkdir()
        for name in names[:n]:
            os.link(largest / name, folder / name)
        folders[n] = folder
    return folders


# ------------------------------------------------------------------------------ child processes


def peak_mb() -> float:
    """VmHWM: the process's own peak (ru_maxrss would carry the parent's across fork + exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load(folder: str, cache: str):
    from musegen.config import DataConfig
    from musegen.music.sources import load_pieces

    return load_pieces(folder, DataConfig(dataset=folder), cache_dir=cache)


def child_first(folder: str, cache: str) -> dict:
    start = time.perf_counter()
    loaded = load(folder, cache)
    summary = loaded.summary()
    return {"seconds": time.perf_counter() - start, "files": summary["files"], "parsed": summary["parsed"],
            "notes": summary["notes"], "minutes": summary["seconds"] / 60, "peak_mb": peak_mb()}


def child_reload(folder: str, cache: str) -> dict:
    times, cached = [], True
    for _ in range(3):
        start = time.perf_counter()
        loaded = load(folder, cache)
        times.append(time.perf_counter() - start)
        cached &= loaded.cached
    return {"seconds": statistics.median(times), "times": times, "cached": cached,
            "stored": type(loaded.pieces).__name__ != "list", "peak_mb": peak_mb()}


def child_train(folder: str, cache: str, in_memory: bool = False) -> dict:
    """in_memory: the way every dataset trained before (pieces, ids and windows all in memory), to compare."""
    import threading

    from musegen.music import parsecache
    from musegen.train import fit as training
    from musegen.config import DataConfig, ModelConfig, RunConfig, TrainConfig

    if in_memory:
        parsecache.IN_MEMORY_NOTES = training.STREAM_MIN_NOTES = 10**12
    start = time.perf_counter()
    loaded = load(folder, cache)
    loaded_at = time.perf_counter() - start
    stop, events = threading.Event(), {}

    def progress(event):
        now = time.perf_counter() - start
        if event["event"] == "status" and event["message"].startswith("Training on"):
            events["windows_ready"] = now
        if event["event"] == "batch" and "first_batch" not in events:
            events["first_batch"] = now
            stop.set()

    config = RunConfig(
        data=DataConfig(dataset=folder),
        model=ModelConfig(kind="wavenet", embedding_dim=16, residual_channels=16, skip_channels=32,
                          dilation_depth=4, stacks=1),
        train=TrainConfig(epochs=1, batch_size=32, steps_per_epoch=4, seed=1),
    )
    with tempfile.TemporaryDirectory() as tmp:
        streamed = training._n_notes(loaded) > training.STREAM_MIN_NOTES
        run = training.train(config, Path(tmp) / "run", pieces=loaded, progress=progress, stop=stop)
        data = run.data
    return {"load_s": loaded_at, "windows_ready_s": events.get("windows_ready"),
            "first_batch_s": events.get("first_batch"), "seconds": time.perf_counter() - start,
            "train_windows": data["train_windows"], "val_windows": data["val_windows"], "tokens": data["tokens"],
            "streamed": streamed, "peak_mb": peak_mb()}


CHILDREN = {"first": child_first, "reload": child_reload, "train": child_train,
            "train-in-memory": lambda folder, cache: child_train(folder, cache, in_memory=True)}


def in_child(what: str, folder: Path, cache: Path) -> dict:
    result = subprocess.run([sys.executable, "-m", "bench.scale", "child", what, str(folder), str(cache)],
                            cwd=ROOT, capture_output=True, text=True, timeout=1800)
    if result.returncode:
        raise RuntimeError(f"{what} {folder.name}: {result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------ the run


def measure(n: int, folder: Path, cache: Path, pool) -> dict:
    row: dict = {"files": n}
    row["first"] = in_child("first", folder, cache)
    log(n, "first load", row["first"])
    row["reload"] = in_child("reload", folder, cache)
    log(n, "cached reload", row["reload"])
    row["train"] = in_child("train", folder, cache)
    log(n, "training", row["train"])
    if row["train"]["streamed"]:
        row["train_in_memory"] = in_child("train-in-memory", folder, cache)
        log(n, "training, all in memory", row["train_in_memory"])
    write_files(folder, pool, range(10**6 + n, 10**6 + n + ADDED))  # numbers no set uses
    start = time.perf_counter()
    parsed = []
    from musegen.config import DataConfig
    from musegen.music.sources import load_pieces

    load_pieces(str(folder), DataConfig(dataset=str(folder)), cache_dir=cache,
                progress=lambda done, total, name: parsed.append(name))
    row["added"] = {"files": ADDED, "seconds": time.perf_counter() - start, "parsed": len([p for p in parsed if p])}
    log(n, "ten files added", row["added"])
    return row


def machine() -> dict:
    from importlib import metadata

    tensorflow = "tensorflow_cpu" if _has("tensorflow_cpu") else "tensorflow"
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": f"{platform.system()} {platform.machine()}", "tensorflow": metadata.version(tensorflow),
            "symusic": metadata.version("symusic")}


def _has(package: str) -> bool:
    from importlib import metadata

    try:
        metadata.version(package)
        return True
    except metadata.PackageNotFoundError:
        return False


def main() -> None:
    start = time.perf_counter()
    pool = source_pieces()
    rows = []
    with tempfile.TemporaryDirectory(prefix="musegen-scale-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        folders = sets(root, pool)
        log(f"wrote {max(SIZES):,} MIDI files in {time.perf_counter() - t0:.1f} s")
        for n in SIZES:
            rows.append(measure(n, folders[n], root / f"cache-{n}", pool))
    from musegen.train.fit import STREAM_MIN_NOTES

    results = {"quick": QUICK, "sizes": list(SIZES), "machine": machine(), "date": time.strftime("%Y-%m-%d"),
               "stream_min_notes": STREAM_MIN_NOTES,
               "source_pieces": len(pool), "rows": rows, "total_s": time.perf_counter() - start}
    write_json(OUT / "results.json", results)
    write_page(json.loads((OUT / "results.json").read_text()))
    log(f"wrote {OUT / 'results.json'} and docs/scale.md in {results['total_s']:.0f} s")


# ------------------------------------------------------------------------------ the page


def verdicts(results: dict) -> list[str]:
    rows = results["rows"]
    small, big = rows[0], rows[-1]
    ratio = big["train"]["peak_mb"] / small["train"]["peak_mb"]
    reload_s = big["reload"]["seconds"]
    lines = [
        f"- Peak memory of a process that loads the music and starts training: {big['train']['peak_mb']:,.0f} MB at "
        f"{big['files']:,} files, {ratio:.2f}× the {small['train']['peak_mb']:,.0f} MB at {small['files']:,} "
        f"(target ≤ {RSS_RATIO_TARGET:g}×: {'met' if ratio <= RSS_RATIO_TARGET else 'missed'}).",
        f"- Cached reload of {big['files']:,} files: {reload_s:.2f} s (target ≤ {RELOAD_TARGET_S:g} s: "
        f"{'met' if reload_s <= RELOAD_TARGET_S else 'missed'}).",
    ]
    compared = [r for r in rows if "train_in_memory" in r]
    for r in compared:
        memory = r["train_in_memory"]
        lines.append(
            f"- The same {r['files']:,} files trained the way every dataset did before (pieces, ids and windows "
            f"in memory): peak {memory['peak_mb']:,.0f} MB ({memory['peak_mb'] / small['train']['peak_mb']:.2f}× "
            f"the smallest set's), first batch after {memory['first_batch_s']:.1f} s; streamed: "
            f"{r['train']['peak_mb']:,.0f} MB, {r['train']['first_batch_s']:.1f} s.")
    return lines


def write_page(results: dict) -> None:
    m = results["machine"]
    table = [{
        "files": f"{r['files']:,}",
        "notes": f"{r['first']['notes']:,}",
        "first": r["first"]["seconds"],
        "rate": r["files"] / r["first"]["seconds"],
        "reload": r["reload"]["seconds"],
        "added": r["added"]["seconds"],
        "windows": f"{r['train']['train_windows']:,}",
        "path": "streamed" if r["train"]["streamed"] else "in memory",
        "first_batch": r["train"]["first_batch_s"],
        "peak": r["train"]["peak_mb"],
    } for r in results["rows"]]
    columns = [("files", "files", ""), ("notes", "notes", ""), ("first", "first load (s)", ".1f"),
               ("rate", "files/s", ",.0f"), ("reload", "cached reload (s)", ".2f"),
               ("added", f"+{ADDED} files (s)", ".2f"), ("windows", "training windows", ""),
               ("path", "windows", ""), ("first_batch", "to first batch (s)", ".1f"),
               ("peak", "peak RSS (MB)", ",.0f")]
    quick = ("\n**Quick run** (`SCALE_QUICK=1`: 200, 500 and 1,000 files), not the full one.\n"
             if results["quick"] else "")
    page = f"""# Datasets of many files

*Generated by `python -m bench.scale` from [scale/results.json](scale/results.json); do not edit by hand.*
{quick}
MIDI files made from the built-in Bach chorales and folk tunes ({results['source_pieces']:,} pieces), each
copy transposed and cut, measured on {m['cpus']} CPUs ({m['platform']}; Python {m['python']},
TensorFlow {m['tensorflow']}, symusic {m['symusic']}) on {results['date']}.

{chr(10).join(verdicts(results))}

{markdown_table(table, columns)}

- **first load**: every file hashed, parsed in the worker processes and written to the cache
  (one entry per file, in shards).
- **cached reload**: the same folder again (median of three): the files are hashed and found in the
  cache; a big set's pieces stay on disk until they are read.
- **+{ADDED} files**: {ADDED} new files added to the folder, loaded again: only they are parsed.
- **to first batch**: a fresh process loads the cached folder and trains a tiny WaveNet (window 512,
  stride 256, batch 32): reading, tokenising, cutting windows, building the model, one step.
- **peak RSS**: that process's peak resident memory (VmHWM), TensorFlow included; validation over
  every validation window ran after the first batch and is inside the peak. Above
  {results['stream_min_notes']:,} notes the token ids go to shards on disk and the windows are streamed from them
  ("streamed"); below, they are arrays in memory.
"""
    (ROOT / "docs" / "scale.md").write_text(page)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        print(json.dumps(CHILDREN[sys.argv[2]](sys.argv[3], sys.argv[4])), flush=True)
    elif len(sys.argv) > 1 and sys.argv[1] == "page":
        write_page(json.loads((OUT / "results.json").read_text()))
    else:
        main()
