"""How much harmony the base model has learnt (issue 19): `python -m bench.base_harmony` (in `make transfer`).

The base fine-tunes well on rhythm and metre but its fine-tunes' chords stay far from real music.
Is that the transfer or the base? Here the base continues music it learnt from — Bach chorales in
four voices, and the same chorales as a melody over one chord part — next to the bundled Bach
WaveNet (the same architecture and size, trained on the chorales alone): each continues 20
held-out chorales from their first 4 seconds, 30 s at default settings, against 30-second
excerpts of the same chorales. Writes docs/base_harmony.md from docs/base_harmony/results.json.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench.common import ASSETS, ROOT, log, markdown_table, write_json  # noqa: E402
from bench.quality import excerpt  # noqa: E402

OUT = ROOT / "docs" / "base_harmony"
MODELS = ("base", "bach-wavenet")
PIECES = 20
SECONDS = 30.0


def chorales() -> list:
    """Held-out chorales of the bundled Bach WaveNet (four voices), the first PIECES."""
    from musegen.evaluate.heldout import split_pieces
    from musegen.music.sources import load_pieces
    from musegen.runs.folder import Run

    run = Run.load(ASSETS / "bach-wavenet")
    _, held_out, _ = split_pieces(run, load_pieces("bach", run.config.data).pieces, strict=False)
    return [p for p in held_out if len(p.parts) == 4][:PIECES]


def continuations(name: str, pieces: list, **settings) -> list:
    from musegen.config import SampleConfig
    from musegen.generate.sample import Composer
    from musegen.runs.folder import Run

    composer = Composer(Run.load(ASSETS / name))
    return [composer.compose(SampleConfig(seconds=SECONDS, seed=k, keep_primer=False, **settings),
                             piece=excerpt(p, 4.0, np.random.default_rng(k))).pieces[0]
            for k, p in enumerate(pieces)]


def main() -> None:
    from musegen.config import SampleConfig
    from musegen.evaluate.structure import structure_summary
    from musegen.train.basemodel import layout

    default = f"{SampleConfig().harmony:g}"
    four = chorales()
    layouts = {"four voices": four, "melody and accompaniment": [layout(p, "melody+accompaniment") for p in four]}
    rows = []
    for label, pieces in layouts.items():
        real = structure_summary([excerpt(p, SECONDS, np.random.default_rng(0)) for p in pieces])
        rows.append({"layout": label, "who": "real chorales", "beat_chord_fit": real["beat_chord_fit"],
                     "on_beat_share": real["on_beat_share"]})
        for name in MODELS:
            # What the model learnt (its own harmony), then what a user hears (chords on the beat, the default).
            for who, settings in ((name, {"harmony": 0.0}), (f"{name}, chords on the beat {default}", {})):
                made = structure_summary(continuations(name, pieces, **settings))
                rows.append({"layout": label, "who": who, "beat_chord_fit": made["beat_chord_fit"],
                             "on_beat_share": made["on_beat_share"]})
                log("base harmony", label, who, made["beat_chord_fit"])
    write_json(OUT / "results.json", {"rows": rows, "pieces": len(four), "seconds": SECONDS,
                                      "load_average_before": os.getloadavg()[0]})
    write_report()


def write_report() -> Path:
    import json

    r = json.loads((OUT / "results.json").read_text())
    lines = ["# How much harmony the base has learnt", "",
             "Written by `python -m bench.base_harmony` (`make transfer`) from `docs/base_harmony/results.json`; "
             "do not edit by hand.", "",
             f"{r['pieces']} Bach chorales the bundled Bach WaveNet never trained on (the base may have: they are "
             f"in its collections), each continued from its first 4 seconds for {r['seconds']:.0f} s "
             "by the base and by the Bach WaveNet (the same architecture and size, trained on the chorales "
             "alone), in four voices and as a melody over one chord part (a layout the base learnt), at "
             "default settings with the model's own harmony (`--harmony 0`: what it has learnt) and as they are (chords on the beat, "
             "README *Generation*); against "
             f"{r['seconds']:.0f}-second excerpts of the same chorales. *Beat chords*: of the beats where three or "
             "more pitch classes sound, the share that are triads or sevenths.", "",
             markdown_table(r["rows"], [("layout", "layout", ""), ("who", "music", ""),
                                        ("beat_chord_fit", "beat chords triad/7th", ".2f"),
                                        ("on_beat_share", "on-beat onsets", ".2f")]), ""]
    path = ROOT / "docs" / "base_harmony.md"
    path.write_text("\n".join(lines) + "\n")
    return path


if __name__ == "__main__":
    main()
