"""docs/accompany.md from docs/accompany/results.json (bench/accompany.py measures)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench.common import ROOT, markdown_table  # noqa: E402

OUT = ROOT / "docs" / "accompany"
DONE_CHORDS, DONE_PARALLELS, DONE_MELODY, DONE_FOLLOW = 0.05, 2.0, 0.10, 0.80  # issue 21's targets


def spread(values, digits: int = 2) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    text = f"{np.mean(values):.{digits}f}"
    return text + (f" ± {np.std(values):.{digits}f}" if len(values) > 1 else "")


def chorale_lines(c: dict, seeds: int) -> list[str]:
    real = c["real"]
    rows = [{"who": "real chorales", "chords": f"{real['beat_chord_fit']:.2f}", "kept": "1.00", "busy": "1.00",
             "range": f"{real['in_range']:.2f}", "parallels": f"{real['parallels']:.2f}", "loss": "", "time": ""}]
    for name, m in c["models"].items():
        s = m["seeds"]
        rows.append({"who": name, "chords": spread([r["beat_chord_fit"] for r in s]),
                     "busy": spread([r.get("new_notes") for r in s]),
                     "kept": spread([r["soprano_unchanged"] for r in s]), "range": spread([r["in_range"] for r in s]),
                     "parallels": spread([r["parallels"] for r in s]), "loss": f"{m['real_accompaniment_loss']:.2f}",
                     "time": f"{m['seconds_per_piece']:.1f} s"})
    best = c["models"].get("bach-wavenet")
    lines = [f"## Harmonising {c['pieces']} chorale melodies", "",
             f"The soprano of {c['pieces']} chorales the bundled Bach WaveNet never trained on is given; the model "
             f"writes alto, tenor and bass (`musegen accompany`'s defaults; {seeds} seed{'s' if seeds > 1 else ''}, "
             "mean ± spread). *Beat chords*: of the beats where three or more pitch classes sound, the share that are "
             "triads or sevenths. *Notes*: the new voices' notes against the real alto, tenor and bass's. *Parallels*: parallel fifths and octaves between the soprano and a new voice, per "
             "100 beats. *In range*: alto, tenor and bass notes within their voice's usual range. *Loss on the real "
             "parts*: the model's loss on the real alto, tenor and bass notes, the soprano heard. The base writes "
             "the same four voices (a layout it learnt).", "",
             markdown_table(rows, [("who", "harmonised by", ""), ("chords", "beat chords triad/7th", ""),
                                   ("kept", "soprano unchanged", ""), ("busy", "notes", ""), ("range", "in range", ""),
                                   ("parallels", "parallels per 100 beats", ""),
                                   ("loss", "loss on the real parts", ""), ("time", "time a chorale", "")]), ""]
    if best:
        chords = np.mean([r["beat_chord_fit"] for r in best["seeds"]])
        parallels = np.mean([r["parallels"] for r in best["seeds"]])
        lines += [f"Targets (bach-wavenet): beat chords within {DONE_CHORDS} of real: "
                  f"{'yes' if abs(chords - real['beat_chord_fit']) <= DONE_CHORDS else 'no'} "
                  f"({chords:.2f} against {real['beat_chord_fit']:.2f}); every soprano note unchanged: "
                  f"{'yes' if min(r['soprano_unchanged'] for r in best['seeds']) == 1.0 else 'no'}; parallels at most "
                  f"twice the real chorales': {'yes' if parallels <= DONE_PARALLELS * max(real['parallels'], 1e-9) else 'no'}.", ""]
    lines += ["What was tried on the way (bach-wavenet, one seed): each row adds one thing to the row above.", "",
              markdown_table([{**t, "seconds": f"{t['seconds_per_piece']:.1f} s"} for t in c["tried"]],
                             [("label", "settings", ""), ("beat_chord_fit", "beat chords", ".2f"),
                              ("parallels", "parallels per 100 beats", ".2f"), ("seconds", "time a chorale", "")]), ""]
    for name, file in c.get("rolls", {}).items():
        lines += [f"![{name} harmonising a chorale melody](accompany/{file})", ""]
    if c.get("score"):
        lines += ["The first harmonisation's score (bach-wavenet):", "", f"![score](accompany/{c['score']})", ""]
    return lines


def melody_lines(m: dict, rolls: list[str]) -> list[str]:
    real = m["real"]["beat_chord_fit"]
    rows = [{"who": "real accompaniments", "chords": f"{real:.2f}", "kept": "1.00", "busy": "1.00"}]
    for key, who in (("seeds", "base"), ("seeds_auto", "base, over the melody's own chords (--chords auto)")):
        if m.get(key):
            rows.append({"who": who, "chords": spread([r["beat_chord_fit"] for r in m[key]]),
                         "busy": spread([r.get("new_notes") for r in m[key]]),
                         "kept": spread([r["melody_unchanged"] for r in m[key]])})
    lines = [f"## Accompanying {m['pieces']} melodies", "",
             "30-second excerpts of string quartets (never in the base): the first violin is given, the base writes "
             "the accompaniment part (the other three instruments merged into one, a layout it learnt): with its own "
             "harmony, and over the chords the melody suggests (`--chords auto`: the key's triads scored by how "
             "long the melody's notes belong to them, the whole melody heard at once). *Notes*: the accompaniment's "
             "notes against the real accompaniment's (beat chords are judged only where three pitch classes "
             "sound).", "",
             markdown_table(rows, [("who", "accompanied by", ""), ("chords", "beat chords triad/7th", ""),
                                   ("kept", "melody unchanged", ""), ("busy", "notes", "")]), ""]
    for key, label in (("seeds", "its own harmony"), ("seeds_auto", "with --chords auto")):
        if m.get(key):
            made = np.mean([r["beat_chord_fit"] for r in m[key]])
            lines.append(f"Target: beat chords within {DONE_MELODY} of the real accompaniments, {label}: "
                         f"{'yes' if abs(made - real) <= DONE_MELODY else 'no'}.")
    lines.append("")
    for roll in rolls:
        lines += [f"![the base accompanying a melody](accompany/{roll})", ""]
    return lines


def chord_lines(rows: list[dict], strength: float) -> list[str]:
    rows = [{**r, "progression": r["progression"].replace("|", "\\|")} for r in rows]  # a bar line in a cell
    lines = ["## Chords in", "",
             "Every bundled model writes 10 pieces of 8 bars from nothing over each progression (one chord a bar, or "
             f"as the bar lines say), at the default chord strength {strength:g}. *Follows*: the share of beats on "
             "which every sounding note is a tone of the chord given there; without chords, what chance gives.", "",
             markdown_table(rows, [("model", "model", ""), ("progression", "progression", ""),
                                   ("fit_with", "follows, with chords", ".2f"),
                                   ("fit_without", "follows, without", ".2f"),
                                   ("beat_chords_with", "beat chords triad/7th, with", ".2f"),
                                   ("beat_chords_without", "without", ".2f"),
                                   ("on_beat_with", "on-beat onsets, with", ".2f"),
                                   ("on_beat_without", "without", ".2f")]), ""]
    worst = min(r["fit_with"] for r in rows)
    lines += [f"Target: a typed progression followed on at least {DONE_FOLLOW:.0%} of beats by every bundled model: "
              f"{'yes' if worst >= DONE_FOLLOW else 'no'} (lowest {worst:.2f}).", ""]
    return lines


def write_report() -> Path:
    r = json.loads((OUT / "results.json").read_text())
    lines = ["# Accompaniment and chords in", "",
             "Written by `python -m bench.accompany` (`make quality`) from `docs/accompany/results.json`; "
             "do not edit by hand.", ""]
    if "chorales" in r:
        lines += chorale_lines(r["chorales"], len(r["seeds"]))
    if "melodies" in r:
        lines += melody_lines(r["melodies"], [r[k] for k in ("melodies_roll", "melodies_roll_auto") if r.get(k)])
    if "chords" in r:
        lines += chord_lines(r["chords"], r.get("chord_strength", 0.99))
    path = ROOT / "docs" / "accompany.md"
    path.write_text("\n".join(lines) + "\n")
    return path


if __name__ == "__main__":
    write_report()
