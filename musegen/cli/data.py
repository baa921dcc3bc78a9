"""`musegen datasets` and `musegen inspect`: the built-in datasets, and what a dataset holds (every
file read or skipped and why, its statistics), without training. The file report is said the same
way by train and evaluate."""
from __future__ import annotations

from ..config import RUN_RANGES, DataConfig, RunConfig, replace
from .arguments import add_command, span
from .terminal import end_bar, files_bar, printable, say, show


def cmd_datasets(args) -> dict:
    from ..music.corpus import list_datasets

    rows = list_datasets()
    if not args.json:
        for d in rows:
            print(printable(f"{d['name']:<12} {d['files']:>5} files  {d['title']}"))
    return {"datasets": rows}


SKIPPED_SHOWN = 20  # skipped files listed on the terminal before "… and N more"


def report_rows(loaded) -> list[dict]:
    """Every file's report, for --json: name, status (parsed | skipped), reason, notes, seconds, sha256,
    and what it was read as: metre ("6/8"), key_sharps (flats < 0), key (in words), tempo (bpm); ""
    or null where not known."""
    from ..music.report import key_signature

    return [{"name": r.name, "status": r.status, "reason": str(r.reason), "notes": int(r.notes),
             "seconds": round(float(r.seconds), 3), "sha256": r.sha256, "metre": r.metre, "key_sharps": r.key_sharps,
             "key": str(key_signature(r.key_sharps) or ""), "tempo": r.tempo or None} for r in loaded.report]


def read_as(r) -> str:
    """A parsed file's metre, key and tempo for the terminal ("6/8, G major / E minor, 120 bpm"; "—": not known)."""
    from ..music.report import key_signature

    key = key_signature(r.key_sharps)
    return ", ".join([r.metre or "—", str(key) if key else "—", f"{r.tempo:g} bpm" if r.tempo else "— bpm"])


def say_files(loaded, limit: int | None = SKIPPED_SHOWN, out=say) -> None:
    """'N files read, M skipped:' and the skipped files with their reasons, at most `limit` of them."""
    skipped = loaded.skipped
    out(f"{len(loaded.report) - len(skipped)} files read, {len(skipped)} skipped{':' if skipped else ''}")
    shown = skipped if limit is None else skipped[:limit]
    for r in shown:
        out(f"  {r.name}: {r.reason}")
    if len(skipped) > len(shown):
        out(f"  … and {len(skipped) - len(shown)} more (see --json or musegen inspect)")


def dataset_stats(pieces) -> dict:
    """What a dataset holds: notes, minutes, pitch range (drums left out), time signatures, tempos, parts."""
    from collections import Counter

    import numpy as np

    from ..render.midi import note_name
    from ..music.piece import PART, PITCH

    signatures, tempos, parts = Counter(), Counter(), Counter()
    low, high, drum_pieces = None, None, 0
    for piece in pieces:
        drums = [i for i, part in enumerate(piece.parts) if part.is_drum]
        drum_pieces += bool(drums)
        pitches = piece.notes[~np.isin(piece.notes[:, PART], drums), PITCH] if drums else piece.notes[:, PITCH]
        if len(pitches):
            low = int(pitches.min()) if low is None else min(low, int(pitches.min()))
            high = int(pitches.max()) if high is None else max(high, int(pitches.max()))
        signatures.update({f"{n}/{d}" for _, n, d in piece.time_signatures})  # each piece counts once per metre
        tempos[round(piece.tempo)] += 1
        parts[len(piece.parts)] += 1
    values = sorted(float(p.tempo) for p in pieces)
    return {
        "pieces": len(pieces),
        "notes": int(sum(p.n_notes for p in pieces)),
        "minutes": round(sum(p.seconds for p in pieces) / 60.0, 2),
        "pitch_range": None if low is None else {"lowest": low, "highest": high, "lowest_name": note_name(low),
                                                  "highest_name": note_name(high)},
        "time_signatures": [{"time_signature": ts, "pieces": k} for ts, k in signatures.most_common(5)],
        "tempo": {"most_common": [{"bpm": bpm, "pieces": k} for bpm, k in tempos.most_common(3)],
                  "median": round(values[len(values) // 2], 1) if values else None,
                  "lowest": round(values[0], 1) if values else None, "highest": round(values[-1], 1) if values else None},
        "parts_per_piece": {str(n): k for n, k in sorted(parts.items())},
        "pieces_with_drums": drum_pieces,
    }


def cmd_inspect(args) -> dict:
    from ..music.sources import load_pieces

    data = replace(DataConfig(), dataset=args.dataset, parts=args.parts, drums=args.drums, max_files=args.max_files)
    RunConfig(data=data).check()  # --max-files out of range fails in words
    loaded = load_pieces(data.dataset, data, progress=files_bar())
    end_bar()
    stats = dataset_stats(loaded.pieces)
    result = {"dataset": str(loaded.source), "cached": loaded.cached, **loaded.summary(), "stats": stats,
              "report": report_rows(loaded)}
    if args.json:
        return result
    show_stats(loaded, stats)
    show_report(loaded, every_file=args.files)
    return result


def show_stats(loaded, s: dict) -> None:
    """The dataset's statistics, a line each (stdout)."""
    show(f"{loaded.source}: {len(loaded.report)} files, {len(loaded.parsed)} parsed, {len(loaded.skipped)} skipped")
    show(f"Music: {s['notes']:,} notes, {s['minutes']:,.1f} minutes")
    if s["pitch_range"]:
        r = s["pitch_range"]
        drums = f" (drums left out: {s['pieces_with_drums']} pieces have them)" if s["pieces_with_drums"] else ""
        show(f"Pitch range: {r['lowest_name']} ({r['lowest']}) to {r['highest_name']} ({r['highest']}){drums}")
    n = s["pieces"]
    show("Time signatures: " + ", ".join(f"{t['time_signature']} in {t['pieces']}" for t in s["time_signatures"])
         + f" of {n} pieces")
    t = s["tempo"]
    show("Tempo: " + ", ".join(f"{m['bpm']} BPM in {m['pieces']}" for m in t["most_common"])
         + f" of {n} pieces (median {t['median']:g}, {t['lowest']:g}–{t['highest']:g})")
    show("Parts per piece: " + ", ".join(f"{parts} in {k}" for parts, k in s["parts_per_piece"].items())
         + f" of {n} pieces")


def show_report(loaded, every_file: bool) -> None:
    """Every file (--files), or only the skipped ones with their reasons (stdout)."""
    if every_file:
        show("Files:")
        for r in loaded.report:
            show(f"  {r.name}: {r.notes:,} notes, {r.seconds:.1f} s, {read_as(r)}" if r.status == "parsed"
                 else f"  {r.name}: skipped: {r.reason}")
    elif loaded.skipped:
        show("Skipped:")
        for r in loaded.skipped:
            show(f"  {r.name}: {r.reason}")


def add_datasets(sub) -> None:
    add_command(sub, "datasets", "list the built-in datasets (offline, from music21's corpus)", cmd_datasets)


def add_inspect(sub) -> None:
    ins = add_command(sub, "inspect", "show a dataset's per-file report (files read, files skipped and why) and its "
                      "statistics (notes, minutes, pitch range, time signatures, tempo, parts per piece), without training",
                      cmd_inspect)
    ins.add_argument("dataset", help="built-in name (bach, folk, …), folder, file or .zip")
    ins.add_argument("--files", action="store_true", help="list every file, the parsed ones too (notes, seconds)")
    ins.add_argument("--parts", help="all (default) | auto | piano | part indices like 0,2 (as for train)")
    ins.add_argument("--no-drums", dest="drums", action="store_false", default=None, help="leave drum tracks out")
    ins.add_argument("--max-files", type=int, help="only the first N files (0 = all)" + span("max_files", RUN_RANGES["data"]))
