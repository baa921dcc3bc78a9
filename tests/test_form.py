"""Form (musegen/generate/form.py): sections that come back, exact or varied, and a closing cadence,
written by the bundled models' real weights on NumPy (fast)."""
from pathlib import Path

import numpy as np
import pytest

from musegen.errors import MusegenError
from musegen.generate import steer
from musegen.generate.form import EXACT, FormPlan, parse_form, tonic_triad
from musegen.generate.sample import Composer, bar_quarters_of
from musegen.generate.sampling import Sampling
from musegen.runs.folder import Run

BUNDLED = Path(__file__).resolve().parent.parent / "assets" / "models"


@pytest.fixture(scope="module")
def folk():
    return Composer(Run.load(BUNDLED / "folk-wavenet"))


def written(composer, plan: FormPlan, bars: int, seed: int = 1, rows: int = 2):
    """(each row's whole token list, the plan after it) for ``bars`` bars from nothing."""
    tok, signature = composer.tokenizer, composer.time_signature
    primer = tok.opening(120.0, composer.default_parts, signature)
    rules = [steer.Banned(len(tok), tok.special_ids), steer.RepetitionGuard(), plan,
             steer.ForceAfter(len(tok), tok.bar_id, tok.time_signature_id(*signature))]
    bar = bar_quarters_of(signature)
    ids, _ = composer.generator.generate(np.repeat(primer[None], rows, 0), 5000, Sampling(0.8, 0, 0.9, seed),
                                         rules=rules, token_quarters=tok.token_quarters(bar),
                                         max_quarters=(bars - 1) * bar)
    return [list(primer) + list(seq) for seq in ids]


def bars_of(tokens: list[int], bar_id: int) -> list[tuple[int, ...]]:
    lines = [i for i, t in enumerate(tokens) if t == bar_id]
    return [tuple(tokens[a:b]) for a, b in zip(lines, lines[1:] + [len(tokens)])]


def test_forms_by_name_and_their_mistakes():
    assert parse_form("aaba") == "AABA" and parse_form("verse/chorus") == "ABABCB"
    assert parse_form("") == "" and parse_form("Free") == ""
    for bad in ["A-B", "AB1", "A" * 17, "ÄÄBA"]:
        with pytest.raises(MusegenError) as refusal:
            parse_form(bad)
        assert refusal.value.message.code == "said.bad_form"
    assert tonic_triad(9, True) == {9, 0, 4} and tonic_triad(7, False) == {7, 11, 2}


def test_plan_maps_each_bar_to_the_one_it_repeats(folk):
    plan = FormPlan(folk.tokenizer, "AABA", phrase_bars=2)
    assert [plan.source_bar(k) for k in range(10)] == [None, None, 0, 1, None, None, 0, 1, 0, 1]
    assert FormPlan(folk.tokenizer, "", 4).source_bar(7) is None  # free: the model's own form


def test_an_exact_aaba_repeats_its_a_sections_and_closes_on_the_home_chord(folk):
    tok = folk.tokenizer
    plan = FormPlan(tok, "AABA", phrase_bars=4, strength=EXACT, total_bars=16)
    for tokens in written(folk, plan, 16):
        bars = bars_of(tokens, tok.bar_id)
        assert len(bars) == 16
        assert bars[4:8] == bars[0:4]  # the second A
        assert bars[12:15] == bars[0:3]  # the last A, up to its closing bar
        assert sum(b == a for a, b in zip(bars[0:4], bars[8:12])) < 4  # B is new music
        # The closing bar: one chord on the downbeat, the home chord of the key heard before it,
        # its first note the tonic.
        lines = [i for i, t in enumerate(tokens) if t == tok.bar_id]
        tonic, minor = plan.key_of(tokens[: lines[15] + 1])
        pitches = [tok.pitch_ids()[t] % 12 for t in bars[15] if t in tok.pitch_ids()]
        assert pitches and set(pitches) <= tonic_triad(tonic, minor) and pitches[0] == tonic % 12
        assert [tok.position_ids()[t] for t in bars[15] if t in tok.position_ids()] == [0]


def test_a_varied_repeat_follows_its_phrase_but_may_change_it(folk):
    tok = folk.tokenizer
    agree = []
    for seed in (1, 2, 3):
        plan = FormPlan(tok, "AA", phrase_bars=4, strength=3.0)
        for tokens in written(folk, plan, 8, seed=seed):
            bars = bars_of(tokens, tok.bar_id)
            first, second = sum(bars[0:4], ()), sum(bars[4:8], ())
            same = sum(a == b for a, b in zip(first, second))
            agree.append(same / max(len(first), len(second)))
    assert np.mean(agree) >= 0.6 and min(agree) < 1.0  # audibly the same phrase, not always a copy


def test_a_form_needs_bars_and_sane_settings(folk):
    from musegen.config import TokenizerConfig
    from musegen.tokens.rich import RichTokenizer

    refusals = [lambda: FormPlan(RichTokenizer(TokenizerConfig()), "AABA"),
                lambda: FormPlan(folk.tokenizer, "AABA", phrase_bars=5),
                lambda: FormPlan(folk.tokenizer, "AABA", strength=0.0)]
    codes = []
    for make in refusals:
        with pytest.raises(MusegenError) as refusal:
            make()
        codes.append(refusal.value.message.code)
    assert codes == ["said.form_needs_bars", "said.bad_phrase_bars", "said.bad_form_strength"]


def test_form_statistics_on_a_piece_whose_form_is_known():
    from musegen.evaluate.harmony import ends_on_home_chord
    from musegen.evaluate.repetition import phrase_repetition, section_agreement
    from musegen.music.piece import Piece

    # Eight bars of 4/4 in C: phrase A (bars 1–4), A again with one note changed, ending on a C major chord.
    a = [(0, 60), (1, 64), (2, 67), (3, 64), (4, 65), (5, 69), (6, 67), (7, 64),
         (8, 62), (9, 65), (10, 67), (11, 71), (12, 72), (13, 67), (14, 64), (15, 60)]
    again = [(t + 16, p + (2 if t == 5 else 0)) for t, p in a[:-1]]
    rows = [[t, 1.0, p, 80, 0] for t, p in a + again] + [[31, 1.0, p, 80, 0] for p in (48, 60, 64, 67)]
    piece = Piece("aa", np.array(rows, float), 120.0)
    assert phrase_repetition(piece) == 0.5  # the second phrase has the first one's rhythm
    assert section_agreement(piece, 0, 4, 4) == pytest.approx(15 / 19)  # 14 notes and the chord's C of 19
    assert section_agreement(piece, 0, 0, 4) == 1.0
    assert ends_on_home_chord(piece) == 1.0
    rows[-1][2] = 62  # D in the last chord: not home
    assert ends_on_home_chord(Piece("x", np.array(rows, float), 120.0)) == 0.0


def test_an_exact_repeat_ends_its_bars_where_the_first_statement_did():
    """A repeat that has copied its source bar's last note writes the bar line next: four-part
    models went on writing notes there, so a Bach WaveNet's exact A agreed 0.93 with its first A."""
    bach = Composer(Run.load(BUNDLED / "bach-wavenet"))
    tok = bach.tokenizer
    for seed in (1, 2, 3):
        plan = FormPlan(tok, "AA", phrase_bars=4, strength=EXACT)
        for tokens in written(bach, plan, 8, seed=seed, rows=4):
            bars = bars_of(tokens, tok.bar_id)
            assert bars[4:8] == bars[0:4]
