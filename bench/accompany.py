"""Accompaniment and chords in (issue 21), measured: `python -m bench.accompany` (in `make quality`).

1. Harmonising 20 chorale melodies the bundled Bach WaveNet never trained on: each model writes
   alto, tenor and bass under the real soprano (``musegen accompany``'s defaults), three seeds;
   against the same chorales' real harmonisations: beat chords (triads and sevenths), the soprano
   unchanged, new voices within their usual ranges, parallel fifths and octaves between a new
   voice and the soprano per 100 beats, and each model's loss on the real alto, tenor and bass.
   Also what was tried on the way (one seed): the sampling settings of free generation, the
   melody's key held, a narrower nucleus, the best of several candidates.
2. Accompanying 20 held-out melodies with an accompaniment (a string quartet's first violin over
   the rest, 30-second excerpts, never in the base): the base writes the accompaniment part.
3. Chords in: every bundled model writes 10 pieces over typed progressions; the share of beats on
   which every sounding note is a tone of the chord given there, against the same models without
   chords (what chance gives).

Writes docs/accompany.md (with piano rolls and a score) from docs/accompany/results.json.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from bench.common import ASSETS, ROOT, log, piano_roll, write_json  # noqa: E402
from bench.quality import excerpt  # noqa: E402

OUT = ROOT / "docs" / "accompany"
QUICK = bool(os.environ.get("ACCOMPANY_QUICK"))
PIECES = 6 if QUICK else 20
SEEDS = (1,) if QUICK else (1, 2, 3)
HARMONISERS = ("bach-wavenet", "base")
PROGRESSIONS = {"C G Am F (4/4)": ("C G Am F", "4/4"), "Dm7 G7 | Cmaj7 | Am | F G (4/4)": ("Dm7 G7 | Cmaj7 | Am | F G", "4/4"),
                "Am | Dm | E7 | Am (3/4)": ("Am | Dm | E7 | Am", "3/4"), "D G | A7 D (6/8)": ("D G | A7 D", "6/8")}
CHORD_MODELS = ("bach-wavenet", "bach-lstm", "folk-wavenet", "base")


def sample(seed: int, **kw):
    from musegen.generate.accompany import ACCOMPANY_KEY, ACCOMPANY_TOP_P
    from musegen.config import SampleConfig

    return SampleConfig(**{"seed": seed, "key": ACCOMPANY_KEY, "top_p": ACCOMPANY_TOP_P, **kw})


# ---------------------------------------------------------------- 1. chorale melodies harmonised


def soprano_of(chorale):
    from musegen.music.piece import Piece

    return Piece(chorale.name, chorale.part_notes(0), chorale.tempo, parts=chorale.parts[:1],
                 time_signatures=chorale.time_signatures, key_sharps=chorale.key_sharps)


def harmonise(composer, chorales, seed: int, candidates: int | None = None, **kw) -> tuple[list, float]:
    from musegen.generate.accompany import CANDIDATES, accompany

    started = time.perf_counter()
    made = [accompany(composer, sample(seed * 1000 + k, **kw), soprano_of(c), keep=[0],
                      candidates=candidates or CANDIDATES).pieces[0] for k, c in enumerate(chorales)]
    return made, (time.perf_counter() - started) / len(chorales)


def judge_harmonisations(made: list, chorales: list) -> dict:
    from musegen.evaluate.harmony import beat_chord_fit
    from musegen.evaluate.voice_leading import in_range, parallels_per_100_beats

    kept = [_same(m.part_notes(0), c.part_notes(0)) for m, c in zip(made, chorales)]
    return {"beat_chord_fit": _mean([beat_chord_fit(m) for m in made]), "new_notes": new_notes(made, chorales),
            "soprano_unchanged": float(np.mean(kept)),
            "in_range": _mean([in_range(m, [1, 2, 3]) for m in made]),
            "parallels": _mean([parallels_per_100_beats(m, [(0, 1), (0, 2), (0, 3)]) for m in made])}


def new_notes(made: list, real: list) -> float:
    """The new parts' notes against the real music's notes in the same parts (1: as busy as the
    real accompaniment; a piece with no chord to judge would otherwise go unseen)."""
    count = lambda pieces: sum(int(np.sum(p.notes[:, 4] != 0)) for p in pieces)  # noqa: E731 (part 0 is given)
    return count(made) / max(count(real), 1)


def _same(made, real) -> bool:
    """The soprano as given: the same pitches, durations and onsets (from the first bar line)."""
    key = lambda n: n[np.lexsort(n[:, :3].T[::-1])][:, 1:3]  # noqa: E731
    shift = real[:, 0].min() - made[:, 0].min() if len(made) and len(real) else 0.0
    return len(made) == len(real) and np.allclose(key(made), key(real)) and np.allclose(
        np.sort(made[:, 0]) + shift, np.sort(real[:, 0]))


def real_accompaniment_loss(composer, chorales) -> float:
    """The model's mean loss on the real alto, tenor and bass notes' tokens, the soprano heard."""
    from bench.transfer import token_parts

    tok, losses = composer.tokenizer, []
    for chorale in chorales:
        ids = tok.encode(chorale)[: composer.run.config.data.window + 1].astype(np.int64)
        owners = token_parts(tok, ids)
        logits = composer.generator.step_logits(ids[None, :-1])[0].astype(np.float64)
        logits -= logits.max(axis=-1, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
        nll = -log_probs[np.arange(len(ids) - 1), ids[1:]]
        losses += list(nll[owners[1:] >= 1])
    return float(np.mean(losses))


def chorale_section(results: dict) -> None:
    import musegen.generate.given as given_module
    from bench.base_harmony import chorales as held_out_chorales
    from musegen.evaluate.harmony import beat_chord_fit
    from musegen.evaluate.voice_leading import in_range, parallels_per_100_beats
    from musegen.generate.sample import Composer
    from musegen.runs.folder import Run

    chorales = held_out_chorales()[:PIECES]
    real = {"beat_chord_fit": _mean([beat_chord_fit(c) for c in chorales]), "soprano_unchanged": 1.0,
            "in_range": _mean([in_range(c, [1, 2, 3]) for c in chorales]),
            "parallels": _mean([parallels_per_100_beats(c, [(0, 1), (0, 2), (0, 3)]) for c in chorales])}
    section = {"pieces": len(chorales), "real": real, "models": {}, "tried": []}
    for name in HARMONISERS:
        composer = Composer(Run.load(ASSETS / name))
        rows, seconds = [], []
        for seed in SEEDS:
            made, per_piece = harmonise(composer, chorales, seed)
            rows.append(judge_harmonisations(made, chorales))
            seconds.append(per_piece)
            log("accompany chorales", name, seed, rows[-1])
            if seed == SEEDS[0]:
                section.setdefault("rolls", {})[name] = roll(made[0], f"{name}: the soprano of {chorales[0].name} "
                                                             "given, alto, tenor and bass new", f"roll-chorale-{name}.png")
                if name == HARMONISERS[0]:
                    section["score"] = score(made[0], "score-chorale.svg")
        section["models"][name] = {"seeds": rows, "seconds_per_piece": float(np.mean(seconds)),
                                   "real_accompaniment_loss": real_accompaniment_loss(composer, chorales)}
    composer = Composer(Run.load(ASSETS / "bach-wavenet"))
    rule = given_module.PARALLEL
    for label, kw, candidates, parallels in (
            ("free generation's settings (top-p 0.9, no key)", {"key": "", "top_p": 0.9}, 1, 0.0),
            ("+ the melody's key held (key auto)", {"top_p": 0.9}, 1, 0.0),
            ("+ a narrower nucleus (top-p 0.7)", {}, 1, 0.0),
            ("+ no parallel fifths or octaves with the melody", {}, 1, rule),
            ("+ the best of 4 candidates (the default)", {}, 4, rule),
            ("+ the best of 8 candidates", {}, 8, rule),
            ("the default, over the melody's own chords (--chords auto)", {"chords": "auto"}, 4, rule)):
        given_module.PARALLEL = parallels
        made, per_piece = harmonise(composer, chorales, SEEDS[0], candidates=candidates, **kw)
        section["tried"].append({"label": label, **judge_harmonisations(made, chorales), "seconds_per_piece": per_piece})
        log("accompany tried", label, section["tried"][-1])
    given_module.PARALLEL = rule
    results["chorales"] = section


# ---------------------------------------------------------------- 2. melodies with an accompaniment


def melody_section(results: dict) -> None:
    from bench.transfer import held_out
    from musegen.evaluate.harmony import beat_chord_fit
    from musegen.generate.accompany import accompany
    from musegen.generate.sample import Composer
    from musegen.runs.folder import Run

    _, pieces = held_out("quartet-melody")
    real = [excerpt(p, 30.0, np.random.default_rng(k)) for k, p in enumerate(pieces[:PIECES])]
    real = [p for p in real if len(p.part_notes(0)) and len(p.part_notes(1))]
    composer = Composer(Run.load(ASSETS / "base"))
    rows = {"": [], "auto": []}  # the base's own harmony; chords found in the melody (--chords auto)
    for chords in rows:
        for seed in SEEDS:
            made = [accompany(composer, sample(seed * 1000 + k, chords=chords), p, keep=[0], n_parts=2).pieces[0]
                    for k, p in enumerate(real)]
            rows[chords].append({"beat_chord_fit": _mean([beat_chord_fit(m) for m in made]),
                                 "new_notes": new_notes(made, real),
                                 "melody_unchanged": float(np.mean([_same(m.part_notes(0), r.part_notes(0))
                                                                    for m, r in zip(made, real)]))})
            log("accompany melodies", chords or "own", seed, rows[chords][-1])
            if seed == SEEDS[0]:
                results[f"melodies_roll{'_auto' if chords else ''}"] = roll(
                    made[0], "base: a quartet's first violin given, the accompaniment new"
                    + (" over the melody's own chords (--chords auto)" if chords else ""),
                    f"roll-melody-base{'-auto' if chords else ''}.png")
    results["melodies"] = {"pieces": len(real), "real": {"beat_chord_fit": _mean([beat_chord_fit(p) for p in real])},
                           "seeds": rows[""], "seeds_auto": rows["auto"]}


# ---------------------------------------------------------------- 3. chords in


def chords_section(results: dict) -> None:
    from musegen.config import SampleConfig
    from musegen.evaluate.structure import structure_summary
    from musegen.generate.chords import chord_fit, parse_progression
    from musegen.generate.sample import Composer
    from musegen.runs.folder import Run

    rows = []
    for name in CHORD_MODELS:
        composer = Composer(Run.load(ASSETS / name))
        for label, (progression, metre) in PROGRESSIONS.items():
            bars = parse_progression(progression)
            row = {"model": name, "progression": label}
            for said, chords in (("with", progression), ("without", "")):
                made = [composer.compose(SampleConfig(bars=8, primer="none", seed=k, time_signature=metre,
                                                      chords=chords)).pieces[0] for k in range(10)]
                row[f"fit_{said}"] = _mean([chord_fit(p, bars) for p in made])
                summary = structure_summary(made)
                row[f"beat_chords_{said}"] = summary["beat_chord_fit"]
                row[f"on_beat_{said}"] = summary["on_beat_share"]
            rows.append(row)
            log("chords", name, label, row)
    results["chords"] = rows


# ---------------------------------------------------------------- pictures and the report


def roll(piece, title: str, file: str) -> str:
    piano_roll(piece, title, OUT / file)
    return file


def score(piece, file: str) -> str | None:
    from musegen.render.midi import piece_to_musicxml, score_svg

    try:
        pages = score_svg(piece_to_musicxml(piece))
    except Exception as e:  # noqa: BLE001 - a picture missing is said in the report, not a failed benchmark
        log("no score:", e)
        return None
    (OUT / file).write_text(pages[0])
    return file


def _mean(values) -> float | None:
    values = [float(v) for v in values if v is not None and v == v]
    return float(np.mean(values)) if values else None


def main() -> None:
    from musegen.config import SampleConfig

    results = {"load_average_before": os.getloadavg()[0], "seeds": list(SEEDS),
               "chord_strength": SampleConfig().chord_strength}
    OUT.mkdir(parents=True, exist_ok=True)
    chorale_section(results)
    write_json(OUT / "results.json", results)
    melody_section(results)
    write_json(OUT / "results.json", results)
    chords_section(results)
    write_json(OUT / "results.json", results)
    from bench.accompany_report import write_report

    write_report()


if __name__ == "__main__":
    main()
