"""Reading music: how soon a refusal, a cache or a shipped set answers (issue 22): `python -m bench.reading`.

The tests check what happens when music is read (a hung parser is killed, a cache is read instead of
parsing, a bomb is refused from its header, a shipped set is read without parsing) and never time
it: a timed assert fails on a slow or busy machine for no fault of the code. How long each takes is
measured here, each against a baseline measured in the same run on the same machine:

- **years.mid**: the 44-byte MIDI that claims 143 years, refused from its tempo map, against an
  ordinary eight-note MIDI read to the end (in this process, as a worker reads it);
- **.mxl bomb**: a small .mxl whose score inflates to 60 MB, refused from the archive's index, against a
  real chorale's .mxl (bwv1.6) read through music21: in this process, and as an upload beside a
  MIDI file (workers started, music21 imported);
- **ABC bomb**: 25 kB of ABC with an absurd meter, refused from its header, against an ordinary
  tune: in this process, and each uploaded alone (before the check, music21 took until the 10 s limit);
- **hung file**: three uploads, the second hanging its parser, with a 1 s limit per file, against
  the same upload with no hang: the extra time over the limit (1 = killed the moment its time is up);
- **hung primer**: `read_piece` of a primer that hangs its parser, 1 s limit, against a good one;
- **upload budget**: the same hung upload with a 60 s limit per file but 2 s for the whole upload:
  the extra time over the 2 s budget (not the 60 s the hung file could take alone);
- **cached reload**: a folder of eight small MIDI files (and files refused on sight) loaded into an
  empty cache, then again from the cache;
- **shipped sets**: each built-in set read whole from assets/datasets/, against parsing its first
  PARSED files afresh (workers, music21); the whole set's parse time at that rate is an estimate.

Timings are the median of TIMED_RUNS runs (one for the fresh parses of the shipped sets).

    python -m bench.reading        writes docs/reading/results.json and docs/reading.md
    python -m bench.reading page   writes docs/reading.md again from the results
"""
from __future__ import annotations

import io
import json
import os
import platform
import statistics
import struct
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, TIMED_RUNS, log, markdown_table, write_json  # noqa: E402

OUT = ROOT / "docs" / "reading"
HOOK = "MUSEGEN_TEST_PARSE_HOOK"  # parsepool._test_hook: a worker hangs on the file it names
PARSED = 40  # files of each built-in set parsed afresh
SPAWN_RUNS = 5  # the loads that start worker processes vary most: more runs for their medians


# ------------------------------------------------------------------------------ the inputs


def midi(n_notes: int = 8) -> bytes:
    import symusic

    score = symusic.Score(480)
    track = symusic.Track("Piano", 0, False)
    for i in range(n_notes):
        track.notes.append(symusic.Note(i * 480, 480, 60 + i % 12, 90))
    score.tracks.append(track)
    score.tempos.append(symusic.Tempo(0, 90.0))
    return score.dumps_midi()


def years_midi() -> bytes:
    """44 bytes: the slowest tempo, one tick per quarter, one note lasting 2**28 ticks (~143 years)."""
    track = b"\x00\xff\x51\x03\xff\xff\xff" + b"\x00\x90\x3c\x40" + b"\xff\xff\xff\x7f" + b"\x80\x3c\x00"
    track += b"\x00\xff\x2f\x00"
    return b"MThd" + struct.pack(">IHHH", 6, 0, 1, 1) + b"MTrk" + struct.pack(">I", len(track)) + track


def mxl_bomb() -> bytes:
    head = b'<?xml version="1.0"?><score-partwise><part-list/><part id="P1">'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("META-INF/container.xml",
                   '<container><rootfiles><rootfile full-path="score.xml"/></rootfiles></container>')
        z.writestr("score.xml", head + b"<measure/>" * 6_000_000 + b"</part></score-partwise>")
    return buf.getvalue()


def chorale_mxl() -> bytes:
    from musegen.music.corpus import corpus_root

    return (corpus_root() / "bach" / "bwv1.6.mxl").read_bytes()


ABC_BOMB = ("X:1\nT:bomb\nM:999999/1\nL:1/999999\nK:C\n" + "|:C:|" * 5_000 + "\n").encode()
ABC_TUNE = b"X:1\nT:Scale\nM:4/4\nL:1/4\nK:C\nC D E F | G A B c | c B A G | F E D C |]\n"


# ------------------------------------------------------------------------------ timing


def timed(work, runs: int = TIMED_RUNS) -> float:
    """The median seconds of `runs` calls of work()."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def refused(work) -> None:
    """work() must refuse its file: a refusal that stopped happening must not read as fast."""
    from musegen.errors import InputError

    try:
        work()
    except InputError:
        return
    raise RuntimeError("a refusal measured here did not happen")


def hooked(spec: str, work):
    """work() with parse workers that hang as `spec` says (workers read the hook when they start)."""
    def call():
        os.environ[HOOK] = spec
        try:
            return work()
        finally:
            os.environ.pop(HOOK, None)
    return call


def row(what: str, seconds: float, baseline: str, baseline_seconds: float, note: str = "", runs: int = TIMED_RUNS,
        **extra) -> dict:
    out = {"what": what, "seconds": seconds, "baseline": baseline, "baseline_seconds": baseline_seconds,
           "ratio": seconds / baseline_seconds, "runs": runs, "note": note}
    out.update(extra)
    log(f"{what}: {seconds:.4f} s vs {baseline}: {baseline_seconds:.4f} s = {out['ratio']:.3g}×")
    return out


# ------------------------------------------------------------------------------ the measurements


def refusals() -> list[dict]:
    from musegen.config import DataConfig, Limits
    from musegen.music.readers import read_file_bytes
    from musegen.music.sources import load_pieces

    rows = []
    years, plain = years_midi(), midi()
    read_file_bytes("plain.mid", plain)  # symusic imported before timing
    refused(lambda: read_file_bytes("years.mid", years))
    rows.append(row("years.mid (44 bytes, 143 years) refused", timed(lambda: refused(
        lambda: read_file_bytes("years.mid", years)), runs=101),
        "an 8-note MIDI read", timed(lambda: read_file_bytes("plain.mid", plain), runs=101),
        "in this process", runs=101))

    bomb, chorale = mxl_bomb(), chorale_mxl()
    read_file_bytes("chorale.mxl", chorale)  # music21 imported before timing
    rows.append(row(f".mxl bomb ({len(bomb) / 1000:,.0f} kB, 60 MB unpacked) refused",
                    timed(lambda: refused(lambda: read_file_bytes("bomb.mxl", bomb))),
                    "a chorale's .mxl (bwv1.6) read", timed(lambda: read_file_bytes("bwv1.6.mxl", chorale)),
                    "in this process"))

    def upload(first):
        return lambda: load_pieces([first, ("good.mid", plain)], DataConfig(), cache_dir=False)

    rows.append(row(".mxl bomb + a MIDI file uploaded", timed(upload(("bomb.mxl", bomb)), SPAWN_RUNS),
                    "the chorale's .mxl + the MIDI file uploaded", timed(upload(("bwv1.6.mxl", chorale)), SPAWN_RUNS),
                    "worker processes started and music21 imported in both", runs=SPAWN_RUNS))

    read_file_bytes("tune.abc", ABC_TUNE)
    rows.append(row(f"ABC bomb ({len(ABC_BOMB) / 1000:,.0f} kB, M:999999/1) refused",
                    timed(lambda: refused(lambda: read_file_bytes("bomb.abc", ABC_BOMB)), 11),
                    "an ordinary ABC tune read", timed(lambda: read_file_bytes("tune.abc", ABC_TUNE), 11),
                    "in this process", runs=11))
    limit10 = DataConfig(limits=Limits(max_parse_seconds=10))
    rows.append(row(f"ABC bomb ({len(ABC_BOMB) / 1000:,.0f} kB, M:999999/1) uploaded, refused",
                    timed(lambda: refused(lambda: load_pieces([("bomb.abc", ABC_BOMB)], limit10, cache_dir=False)),
                          SPAWN_RUNS),
                    "an ordinary ABC tune uploaded",
                    timed(lambda: load_pieces([("tune.abc", ABC_TUNE)], limit10, cache_dir=False), SPAWN_RUNS),
                    "before the header check, music21 read it until the 10 s limit refused it", runs=SPAWN_RUNS))
    return rows


def hangs() -> list[dict]:
    from musegen.config import DataConfig, Limits
    from musegen.music.sources import load_pieces, read_piece

    files = [(name, midi(8 + i)) for i, name in enumerate(("a.mid", "b.mid", "c.mid"))]
    rows = []
    one_s = DataConfig(limits=Limits(max_parse_seconds=1.0))
    clean = timed(lambda: load_pieces(files, one_s, cache_dir=False), SPAWN_RUNS)
    hung = timed(hooked("b.mid=hang", lambda: load_pieces(files, one_s, cache_dir=False)), SPAWN_RUNS)
    rows.append(row("3 files uploaded, b.mid hangs its parser (1 s limit a file)", hung,
                    "the same upload, nothing hangs", clean,
                    "b.mid is killed at its limit and c.mid read in a fresh worker",
                    limit_seconds=1.0, of_limit=(hung - clean) / 1.0, of_limit_means="extra time ÷ the file's limit",
                    runs=SPAWN_RUNS))

    budget = DataConfig(limits=Limits(max_parse_seconds=60, max_upload_parse_seconds=2))
    spent = timed(hooked("b.mid=hang", lambda: load_pieces(files, budget, cache_dir=False)), SPAWN_RUNS)
    rows.append(row("the same, 60 s a file but 2 s for the upload", spent, "the same upload, nothing hangs", clean,
                    "b.mid and c.mid skipped once the 2 s are spent, not after b.mid's 60 s",
                    limit_seconds=2.0, of_limit=spent / 2.0, of_limit_means="the whole upload's time ÷ its budget",
                    runs=SPAWN_RUNS))

    with tempfile.TemporaryDirectory(prefix="musegen-reading-") as tmp:
        for name, data in files:
            (Path(tmp) / name).write_bytes(data)
        limits = Limits(max_parse_seconds=1.0)
        good = timed(lambda: read_piece(Path(tmp) / "a.mid", limits=limits), SPAWN_RUNS)
        slow = timed(hooked("b.mid=hang", lambda: refused(lambda: read_piece(Path(tmp) / "b.mid", limits=limits))),
                     SPAWN_RUNS)
    rows.append(row("a primer that hangs its parser (read_piece, 1 s limit)", slow, "a good primer", good,
                    "the worker is killed at the limit", limit_seconds=1.0, of_limit=(slow - good) / 1.0,
                    of_limit_means="extra time ÷ the file's limit", runs=SPAWN_RUNS))
    return rows


def cache() -> list[dict]:
    from musegen.config import DataConfig
    from musegen.music.sources import load_pieces

    with tempfile.TemporaryDirectory(prefix="musegen-reading-") as tmp:
        folder = Path(tmp) / "songs"
        (folder / "sub").mkdir(parents=True)
        for i in range(8):
            (folder / ("sub" if i % 2 else "") / f"song-{i}.mid").write_bytes(midi(8 + 4 * i))
        (folder / "empty.mid").write_bytes(b"")
        (folder / "text.mid").write_text("this is not music\n")
        (folder / "years.mid").write_bytes(years_midi())
        caches = iter(range(10**6))
        first = timed(lambda: load_pieces(str(folder), DataConfig(), cache_dir=Path(tmp) / f"cache-{next(caches)}"),
                      SPAWN_RUNS)
        warm = Path(tmp) / "warm"
        load_pieces(str(folder), DataConfig(), cache_dir=warm)

        def again():
            if not load_pieces(str(folder), DataConfig(), cache_dir=warm).cached:
                raise RuntimeError("the reload was not read from the cache")

        reload = timed(again, SPAWN_RUNS)
    return [row("a folder of 11 files loaded again, from the cache", reload,
                "the same folder into an empty cache (parsed in workers)", first, "8 parsed, 3 refused",
                runs=SPAWN_RUNS)]


def shipped() -> list[dict]:
    from musegen.config import DataConfig
    from musegen.music.corpus import BUILTIN
    from musegen.music.shippedsets import SHIPPED_ENV
    from musegen.music.sources import load_pieces

    os.environ.pop(SHIPPED_ENV, None)
    rows = []
    for name in BUILTIN:
        settings = DataConfig(dataset=name)
        whole = load_pieces(name, settings, cache_dir=False)
        if not whole.cached:
            raise RuntimeError(f"assets/datasets/ does not match {name}: rebuild it with `make datasets`")
        read = timed(lambda: load_pieces(name, settings, cache_dir=False))
        n_files = len(whole.report)
        some = DataConfig(dataset=name, max_files=PARSED)
        start = time.perf_counter()
        fresh = load_pieces(name, some, cache_dir=False, shipped=False)
        parse = time.perf_counter() - start
        if fresh.cached:
            raise RuntimeError("the fresh parse was read from a cache")
        n_parsed = len(fresh.report)
        rows.append(row(f"{name}: all {n_files:,} files read from assets/datasets/", read,
                        f"its first {n_parsed} files parsed afresh", parse, "the parse timed once",
                        dataset=name, files=n_files, parsed_files=n_parsed,
                        estimated_parse_seconds=parse / n_parsed * n_files,
                        estimated_ratio=read / (parse / n_parsed * n_files)))
    return rows


SECTIONS = {"refusals": refusals, "hangs": hangs, "cache": cache, "shipped": shipped}


def machine() -> dict:
    from importlib import metadata

    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": f"{platform.system()} {platform.machine()}",
            "music21": metadata.version("music21"), "symusic": metadata.version("symusic")}


def main() -> None:
    start = time.perf_counter()
    results = {"machine": machine(), "date": time.strftime("%Y-%m-%d"), "timed_runs": TIMED_RUNS,
               "parsed_per_set": PARSED}
    for name, measure in SECTIONS.items():
        results[name] = measure()
    results["total_s"] = time.perf_counter() - start
    write_json(OUT / "results.json", results)
    write_page(json.loads((OUT / "results.json").read_text()))
    log(f"wrote {OUT / 'results.json'} and docs/reading.md in {results['total_s']:.0f} s")


# ------------------------------------------------------------------------------ the page


def write_page(results: dict) -> None:
    m = results["machine"]
    for r in results["refusals"] + results["hangs"] + results["cache"]:
        r["ms"], r["baseline_ms"] = 1000 * r["seconds"], 1000 * r["baseline_seconds"]
    columns = [("what", "what", ""), ("ms", "ms", ",.4g"), ("baseline", "against", ""),
               ("baseline_ms", "ms", ",.4g"), ("ratio", "ratio", ".3g"), ("runs", "runs", ""), ("note", "note", "")]
    hang_columns = columns[:6] + [("limit_seconds", "limit (s)", "g"), ("of_limit", "÷ limit", ".2f"),
                                  ("of_limit_means", "that is", ""), ("note", "note", "")]
    shipped_rows = [{**r, "per_file_ms": 1000 * r["seconds"] / r["files"],
                     "parse_ms": 1000 * r["baseline_seconds"] / r["parsed_files"]} for r in results["shipped"]]
    shipped_columns = [("dataset", "set", ""), ("files", "files", ","), ("seconds", "read shipped (s)", ".3f"),
                       ("parsed_files", "parsed", ""), ("baseline_seconds", "parsing them (s)", ".1f"),
                       ("ratio", "ratio", ".3g"), ("per_file_ms", "shipped ms/file", ".2f"),
                       ("parse_ms", "parsed ms/file", ",.0f"),
                       ("estimated_parse_seconds", "whole set parsed, est. (s)", ",.0f")]
    hung, budget, primer = results["hangs"]
    cached = results["cache"][0]
    slowest = max(results["shipped"], key=lambda r: r["seconds"])
    page = f"""# Reading music: refusals, caches and shipped sets

*Generated by `python -m bench.reading` from [reading/results.json](reading/results.json); do not edit by hand.*

The tests check *what* happens when music is read (`tests/test_sources.py`, `tests/test_hostile_parsing.py`,
`tests/test_shipped_cache.py`); how long it takes is measured here, each figure against a baseline measured in
the same run, on {m['cpus']} CPUs ({m['platform']}; Python {m['python']}, music21 {m['music21']}, symusic
{m['symusic']}) on {results['date']}. Each time is the median of the runs its row says.

- A file that hangs its parser costs {hung['of_limit']:.2f}× its limit over the same upload without it
  (1 would be killed the instant its time is up, with no fresh worker to start for the next file); a hung
  primer {primer['of_limit']:.2f}×. An upload with a hung file and a 2 s budget takes {budget['of_limit']:.2f}×
  its budget in all, not the hung file's own 60 s.
- A folder's cached reload takes {cached['ratio']:.2g}× the time of its first load.
- Every built-in set is read whole from assets/datasets/ in at most {slowest['seconds']:.2f} s ({slowest['dataset']}),
  {slowest['ratio']:.2g}× the time parsing just {slowest['parsed_files']} of its files takes.

## Refusals

{markdown_table(results["refusals"], columns)}

## Hung parsers

{markdown_table(results["hangs"], hang_columns)}

Each of these loads starts worker processes, whose start-up varies by up to a second from run to run
on a busy machine: an "extra time" is the difference of two medians and carries that noise (below 1
means the baseline's start-up happened to be slower).

## The cache

{markdown_table(results["cache"], columns)}

## Shipped sets

Read whole from `assets/datasets/` (the median of {results['timed_runs']}) against the first
{results['parsed_per_set']} files of the set parsed afresh (once: worker processes started, music21
imported, no cache). "whole set parsed, est." is that parse's rate times the set's files: an estimate,
not a measurement.

{markdown_table(shipped_rows, shipped_columns)}
"""
    (ROOT / "docs" / "reading.md").write_text(page)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "page":
        write_page(json.loads((OUT / "results.json").read_text()))
    else:
        main()
