"""`make bench` (part): steering and speed of generation, each against its baseline in the same run.

1. **Speed.** `musegen generate` of a 30 s piece from each bundled model, wall time of the whole
   command, against what the Keras path needed before the first note (importing TensorFlow and
   loading the model). The NumPy engine's tokens per second for one sequence against the Keras
   model's own XLA-compiled forward pass over a sliding window of its receptive field.
2. **The app.** Compose on a warm model until the piece plays (generation, MIDI, audio: what every
   page waits for), then the score the Generate page engraves below the player; and the resident
   memory of a process with the app's libraries holding every bundled model (bench/memchild.py app).
3. **The repetition guard.** Greedy decoding (the article's argmax), 20 pieces of 30 s per bundled
   model: argmax alone, with the bar echo, and with the default rules (guard on): pieces that
   collapsed (a loop, or a short figure filling the piece).
4. **Key lock.** 20 pieces of 30 s per bundled model in E major (far from most of their music):
   the share of notes in the scale, free, soft (default strength) and strict.
5. **Continuation.** A 3/4 waltz in four flats at 92 bpm, continued: does the output open with it,
   in its metre, tempo and key?

    python -m bench.steering      writes docs/steering/results.json and docs/steering.md
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench.common import ASSETS, ROOT, engine_speed, log, markdown_table, rounded, write_json  # noqa: E402

OUT = ROOT / "docs" / "steering"
PIECES = 20
SECONDS = 30.0
MUSEGEN = [sys.executable, "-c", "import sys; from musegen.cli import main; sys.exit(main())"]


def bundled() -> list[Path]:
    return sorted(p for p in ASSETS.glob("*") if (p / "weights.npz").is_file())


def wall(command: list[str], repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=600)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ---------------------------------------------------------------- 1. speed


def speed() -> dict:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in bundled():
            cli = wall(MUSEGEN + ["generate", str(path), "--seconds", str(SECONDS), "--seed", "1",
                                  "--out", str(Path(tmp) / "x.mid")])
            keras_start = wall([sys.executable, "-c", "import keras, sys; keras.saving.load_model(sys.argv[1], "
                                "compile=False)", str(path / "model.keras")])
            rows.append({"run": path.name, "cli_seconds": cli, "keras_start_seconds": keras_start,
                         "ratio": keras_start / cli})
            log(f"speed: {path.name}: musegen generate {cli:.2f} s; importing TensorFlow and loading the model "
                f"alone {keras_start:.2f} s")
    return {"rows": rows, "engine": engine_against_keras()}


def engine_against_keras(n_tokens: int = 2000, n_keras: int = 200) -> dict:
    """One sequence, the bundled Bach WaveNet: our engine against the compiled Keras window."""
    import keras
    import tensorflow as tf

    from musegen.models.build import receptive_field
    from musegen.runs.folder import Run

    run = Run.load(ASSETS / "bach-wavenet")
    model = keras.saving.load_model(run.path / "model.keras", compile=False)
    # Ours in a child process without TensorFlow (as `musegen generate` and the app run it).
    ours = engine_speed(model, run.config.model, len(run.tokenizer), run.config.data.window, n_tokens)
    primer = run.primers()[:1, :64]

    window = receptive_field(run.config.model)
    forward = tf.function(lambda ids: model(ids, training=False)[:, -1], jit_compile=True)
    ids = np.zeros((1, window), np.int32)
    ids[0, -primer.shape[1]:] = primer[0]
    forward(ids)  # compile
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(n_keras):
        probs = tf.nn.softmax(forward(ids)).numpy()[0]
        token = rng.choice(len(probs), p=probs / probs.sum())
        ids = np.concatenate([ids[:, 1:], [[token]]], axis=1).astype(np.int32)
    keras_speed = n_keras / (time.perf_counter() - start)
    log(f"speed: engine {ours:,.0f} tok/s vs Keras compiled sliding window ({window} tokens) {keras_speed:,.0f} tok/s")
    return {"run": run.name, "window": window, "numpy_tokens_per_s": ours, "keras_window_tokens_per_s": keras_speed,
            "ratio": ours / keras_speed}


# ---------------------------------------------------------------- 2. the app


def app() -> dict:
    from musegen.render import rendering
    from musegen.studio import composers, generation
    from musegen.config import SampleConfig
    from musegen.runs.folder import Run

    pool = composers.ComposerPool()
    rows = []
    for path in bundled():
        run = Run.load(path)
        generation.compose(pool, run, SampleConfig(seconds=20.0), score=False)  # warm: the engine loaded once
        # Every page composes and renders the audio before it shows the player; Generate then
        # engraves the score below it (ui.piece.show_piece), timed on its own.
        playable, engraving = [], []
        for seed in (1, 2, 3):
            start = time.perf_counter()
            rendered = generation.compose(pool, run, SampleConfig(seconds=20.0, seed=seed), score=False)
            playable.append(time.perf_counter() - start)
            start = time.perf_counter()
            rendering.engrave(rendered)
            engraving.append(time.perf_counter() - start)
        rows.append({"run": path.name, "step": "Compose: the piece, its audio and roll on screen (every page)",
                     "seconds": statistics.median(playable)})
        rows.append({"run": path.name, "step": "then the score engraved below it (Generate)",
                     "seconds": statistics.median(engraving)})
        log(f"app: {path.name}: playable in {rows[-2]['seconds']:.2f} s, score {rows[-1]['seconds']:.2f} s later")
    memory = subprocess.run([sys.executable, str(ROOT / "bench" / "memchild.py"), "app", *map(str, bundled())],
                            cwd=ROOT, capture_output=True, text=True, timeout=600, check=True)
    import json

    held = json.loads(memory.stdout.strip().splitlines()[-1])
    log(f"app: a process holding {len(bundled())} models: {held['peak_mb']:.0f} MB")
    return {"rows": rows, "memory_mb": held["peak_mb"], "tensorflow_imported": held["tensorflow_imported"],
            "models": [p.name for p in bundled()]}


# ---------------------------------------------------------------- 3. the guard, 4. key lock


def guard() -> list[dict]:
    from musegen.config import SampleConfig
    from musegen.evaluate.collapse import collapse_reason
    from musegen.runs.folder import Run
    from musegen.generate.sample import Composer

    echo, harmony = SampleConfig().echo, SampleConfig().harmony
    arms = {  # name: (repetition guard, bar echo, chords on the beat, rhythm like its music)
        "argmax alone (the article)": (False, 0.0, 0.0, False),
        f"argmax with the bar echo ({echo:g}), no guard": (False, echo, 0.0, False),
        "argmax with the default rules (guard on)": (True, echo, harmony, True),
    }
    rows = []
    for path in bundled():
        composer = Composer(Run.load(path))
        for arm, (guard_on, bar_echo, beat_chords, rhythm) in arms.items():
            comps = [composer.compose(SampleConfig(seconds=SECONDS, temperature=0.0, seed=s, repetition_guard=guard_on,
                                                   echo=bar_echo, harmony=beat_chords, match_rhythm=rhythm))
                     for s in range(PIECES)]
            collapsed = sum(collapse_reason(piece=c.pieces[0], ids=c.ids[0]) is not None for c in comps)
            rows.append({"run": path.name, "rules": arm, "pieces": PIECES, "collapsed": collapsed})
            log(f"guard: {path.name} {arm}: {collapsed}/{PIECES} collapsed")
    return rows


def key_lock() -> list[dict]:
    from musegen.generate import steer
    from musegen.config import SampleConfig
    from musegen.music.piece import PITCH
    from musegen.runs.folder import Run
    from musegen.generate.sample import Composer

    scale = steer.parse_scale("E major")
    default = SampleConfig().key_strength
    rows = []
    for path in bundled():
        composer = Composer(Run.load(path))
        for label, key, strength in (("free", "", 1.0), (f"soft ({default:g})", "E major", default),
                                     ("strict", "E major", 1.0)):
            pieces = [composer.compose(SampleConfig(seconds=SECONDS, seed=s, key=key, key_strength=strength)).pieces[0]
                      for s in range(PIECES)]
            pitches = np.concatenate([p.notes[:, PITCH] for p in pieces]).astype(int)
            share = float(np.isin(pitches % 12, list(scale.pitch_classes)).mean())
            rows.append({"run": path.name, "lock": label, "notes": len(pitches), "in_scale": share})
            log(f"key: {path.name} {label}: {share:.1%} of {len(pitches)} notes in {scale}")
    return rows


# ---------------------------------------------------------------- 5. continuation


def continuation() -> dict:
    from musegen.config import SampleConfig
    from musegen.render.midi import piece_to_midi_bytes
    from musegen.music.piece import PITCH, START, Part, Piece
    from musegen.runs.folder import Run
    from musegen.generate.sample import Composer
    from musegen.music.readers import read_file_bytes

    scale = [65, 67, 68, 70, 72, 73, 75, 77]
    notes = [(bar * 3 + beat, 1, scale[(bar + beat * 2) % 8] - 24 * hand, 80, hand)
             for bar in range(8) for beat in range(3) for hand in (0, 1)]
    written = Piece("waltz", np.array(notes, float), tempo=92, parts=[Part("Right"), Part("Left")],
                    time_signatures=[(0.0, 3, 4)], key_sharps=-4)
    piece = read_file_bytes("waltz.mid", piece_to_midi_bytes(written))  # as a user's upload arrives
    out = Composer(Run.load(ASSETS / "bach-wavenet")).compose(SampleConfig(bars=8, primer_bars=4, seed=1),
                                                                  piece=piece).pieces[0]
    opening = out.notes[out.notes[:, START] < out.takeover][:, [START, PITCH]]
    last = piece.notes[piece.notes[:, START] >= 12.0][:, [START, PITCH]] - [12.0, 0]
    return {"opening_equals_primer": bool(np.array_equal(np.round(opening, 3), np.round(last, 3))),
            "time_signature": "/".join(map(str, out.time_signature)), "tempo": out.tempo,
            "key_sharps": out.key_sharps, "takeover_quarters": out.takeover, "name": out.name}


# ---------------------------------------------------------------- report


def report(r: dict) -> str:
    speed_rows = r["speed"]["rows"]
    engine = r["speed"]["engine"]
    lines = [
        "# Steering and speed of generation, measured",
        "",
        "Written by `make bench` (`bench/steering.py`) from `docs/steering/results.json`; do not edit by hand.",
        "",
        "## Speed",
        "",
        "Wall time of the whole command `musegen generate RUN --seconds 30` (median of 3), beside what the "
        "Keras path needed before its first note: importing TensorFlow and loading the model.",
        "",
        markdown_table(speed_rows, [("run", "model", ""), ("cli_seconds", "musegen generate, s", ".2f"),
                                    ("keras_start_seconds", "TensorFlow + model load alone, s", ".2f"),
                                    ("ratio", "×", ".1f")]),
        "",
        f"One sequence on the NumPy engine ({engine['run']}): **{engine['numpy_tokens_per_s']:,.0f} tokens/s**, "
        f"against {engine['keras_window_tokens_per_s']:,.0f} tokens/s for the Keras model's own XLA-compiled "
        f"forward pass over a sliding window of its {engine['window']}-token receptive field "
        f"({engine['ratio']:,.0f}×).",
        "",
        "## The app",
        "",
        "Compose on a warm model (median of 3 seeds, 20 s pieces): the time until the piece plays, as on "
        "every page, and the score engraved after it on the Generate page:",
        "",
        markdown_table(r["app"]["rows"], [("run", "model", ""), ("step", "step", ""), ("seconds", "seconds", ".2f")]),
        "",
        f"A process with the app's libraries (Streamlit, plotly, music21, verovio) holding "
        f"{', '.join(r['app']['models'])}, one piece each composed, rendered to audio and engraved: "
        f"**{r['app']['memory_mb']:.0f} MB** peak resident (VmHWM); TensorFlow imported: "
        f"{'yes' if r['app'].get('tensorflow_imported') else 'no'}.",
        "",
        "## The repetition guard under greedy decoding",
        "",
        f"{PIECES} pieces of {SECONDS:g} s per model at temperature 0 (the article's argmax); collapsed = a loop "
        "of tokens or a short figure filling the piece (`musegen.evaluate.collapse.collapse_reason`).",
        "",
        markdown_table(r["guard"], [("run", "model", ""), ("rules", "rules", ""), ("collapsed", "collapsed", ""),
                                    ("pieces", "of", "")]),
        "",
        "The bar echo carries a repeat through; under argmax, with nothing random to end it, a repeat then "
        "goes on for ever unless the guard stops it, so the guard is on by default.",
        "",
        "## Key lock",
        "",
        f"{PIECES} pieces of {SECONDS:g} s per model, locked to E major (far from most of their music): "
        "the share of notes in the scale.",
        "",
        markdown_table(r["key"], [("run", "model", ""), ("lock", "lock", ""), ("notes", "notes", ""),
                                  ("in_scale", "in E major", ".1%")]),
        "",
        "## Continuation",
        "",
        "A waltz (3/4, four flats, 92 bpm, two hands) written to MIDI, read back as an upload, continued by "
        "bach-wavenet for 8 bars from its last 4:",
        "",
        f"- output opens with the user's 4 bars: {'yes' if r['continuation']['opening_equals_primer'] else 'NO'}; "
        f"the model takes over at quarter {r['continuation']['takeover_quarters']:g}",
        f"- time signature {r['continuation']['time_signature']}, tempo {r['continuation']['tempo']:g} bpm, "
        f"key signature {r['continuation']['key_sharps']} (flats < 0); file name `{r['continuation']['name']}`",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    results = {"speed": speed(), "app": app(), "guard": guard(), "key": key_lock(), "continuation": continuation()}
    OUT.mkdir(parents=True, exist_ok=True)
    write_json(OUT / "results.json", rounded(results, 4))
    (ROOT / "docs" / "steering.md").write_text(report(results))
    log(f"wrote {OUT / 'results.json'} and docs/steering.md")


if __name__ == "__main__":
    main()
