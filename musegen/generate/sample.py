"""Generation: a run's engine, steered by rules, sampled, until the piece is long enough.

The trained weights run on NumPy (``models/engine.py``), so writing a piece never imports TensorFlow: the
command line and the app answer in a fraction of a second. Each step the logits pass the steering
rules (``steer.py``: banned tokens, key lock, pitch range, repetition guard, bar echo, the metre), then
temperature, top-k and top-p, then one token is drawn per sequence of the batch (a batch is the
variations of one request). A sequence stops before the token that would make its music longer
than asked.

Here: the Composer (a run's primer, rules and settings, in; pieces out). The token loop is in
``sampling.py``; what is said about a piece (rules in force, collapse, budget) in ``remarks.py``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import form, steer
from .beat_chords import BeatChords
from .pulse import OnBeatShare
from .remarks import rule_message, stopped_at_budget
from .sampling import Generator, Sampling
from ..config import REQUEST_BUDGET
from ..models.engine import WEIGHTS, check_weights, load_weights, make_engine, save_weights, weights_of
from ..errors import InputError, ModelError, MusegenError
from ..messages import Message, msg


@dataclass
class Composition:
    pieces: list  # one Piece per variation
    ids: list  # generated ids per variation
    primer: np.ndarray
    seed: int
    tokens_per_s: float
    steering: list[Message]  # the rules in force, in words ("key D minor (strength 0.95)", …)
    remarks: list[Message] = field(default_factory=list)  # what was asked but could not apply, for a person


def load_engine(run):
    """The run's NumPy engine. A run saved before weights.npz existed gets one written now (once;
    that needs TensorFlow); where the folder is read-only the weights stay in memory."""
    path = run.path / WEIGHTS
    model, vocab, window = run.config.model, len(run.tokenizer), run.config.data.window
    saved = path.is_file()  # runs.save.save_model writes both files, so a present one is current
    weights = load_weights(path) if saved else weights_of(run.load_model())
    try:
        check_weights(weights, model, vocab, window, WEIGHTS if saved else "model.keras")  # they fit, all finite
    except ModelError as e:
        raise ModelError(msg("said.about", name=run.name, error=e.message)) from None
    if not saved:
        try:
            save_weights(weights, path)
        except OSError:
            pass  # a read-only folder: keep them in memory
    return make_engine(weights, model, vocab, window, run.tokenizer.pad_id)


class Composer:
    """A run ready to write music: its engine loaded once, shared by every request."""

    def __init__(self, run):
        self.run = run
        self.tokenizer = run.tokenizer
        self.generator = Generator(load_engine(run), len(run.tokenizer))
        self.metre = self.tokenizer.bar_id is not None  # a scheme with bar lines (and time signatures)

    # ---------------------------------------------------------------- primers

    def primer_ids(self, sample, rng: np.random.Generator, piece=None) -> np.ndarray:
        """<bos> and a header (tempo, instruments) then: a passage of the run's validation music,
        the end of a user's piece, or (metre scheme, from nothing) a first bar line in the metre
        asked for. A metre passage starts on a bar line, so the model knows where the beat is."""
        tok = self.tokenizer
        if piece is not None:
            ids = tok.encode(piece)[:-1]  # drop <eos>: the music goes on
        elif sample.primer == "random" and len(windows := self.run.primers()):
            ids = windows[rng.integers(len(windows))]
            ids = ids[ids != tok.pad_id]
        else:
            return self.opening(sample)
        head = tok.header(ids)
        body = ids[len(head):]
        bar = tok.bar_id if self.metre else -1
        if piece is not None:  # the end of the user's piece, from a bar line
            lines = np.flatnonzero(body == bar)
            if sample.primer_bars > 0 and len(lines):
                body = body[lines[-min(sample.primer_bars, len(lines))]:]
            else:
                body = body[-sample.primer_tokens:] if sample.primer_tokens > 0 else body[:0]
                lines = np.flatnonzero(body == bar)
                body = body[lines[0]:] if len(lines) else body
            known = tok.time_signature_ids()
            signatures = [i for i in body if i in known]
            if signatures:  # the model begins on the next bar line: the user's last bar stays theirs
                body = np.concatenate([body, [bar, signatures[-1]]])
        elif sample.primer_tokens <= 0 and sample.primer_bars <= 0:
            body = body[:0]
        else:  # a passage of the dataset
            lines = np.flatnonzero(body == bar)
            if len(lines):  # whole bars, so the model starts the next bar rather than half of one
                body, lines = body[lines[0]:], lines - lines[0]
                n_bars = sample.primer_bars or max(1, int(np.sum(lines[1:] <= sample.primer_tokens)))
                body = body[: lines[n_bars]] if len(lines) > n_bars else body
            else:
                body = body[: sample.primer_tokens]
        primer = np.concatenate([head, body]).astype(np.int32)
        return primer if len(primer) else np.array([tok.bos_id], np.int32)

    def opening(self, sample) -> np.ndarray:
        """A piece from nothing: <bos>, and in a scheme with bars what the tokenizer opens a piece with
        (metre: the run's tempo and instruments) and a first bar in the time signature asked for."""
        tok = self.tokenizer
        if not self.metre:
            return np.array([tok.bos_id], np.int32)
        return tok.opening(sample.tempo or self.run.data.get("tempo", 120.0), self.default_parts or [],
                           self.signature(sample))

    def signature(self, sample, piece=None) -> tuple[int, int]:
        """The metre of the output: the passage's it continues, the one asked for, or the run's usual."""
        if piece is not None:
            return tuple(piece.time_signatures[-1][1:])
        if sample.time_signature:
            return parse_time_signature(sample.time_signature, self.tokenizer)
        return self.time_signature

    # ---------------------------------------------------------------- steering

    def rules(self, sample, primer_piece, primer: np.ndarray, signature: tuple[int, int], remarks: list,
              total_bars: int = 0, seed: int | None = None) -> list:
        """The steering rules `sample` asks for; what cannot apply is said in `remarks`.
        ``total_bars``: the new music's bars, where a form closes on the home chord; ``seed``: the
        request's (the bar echo draws which bars it invites back)."""
        tok = self.tokenizer
        rules = [steer.Banned(len(tok), tok.special_ids + self.absent_parts(primer))]
        if self.metre:  # first, so the rules after it weigh only positions inside the bar
            rules.append(steer.WithinTheBar(tok))
            if len(primer) and int(primer[-1]) in tok.time_signature_ids():  # the primer ends on a bar line
                rules.append(steer.FirstToken.never(len(tok), tok.bar_id))
        if sample.key:
            scale = self.scale(sample.key, primer_piece)
            if scale is not None:
                rules.append(steer.KeyLock(tok, scale, sample.key_strength))
            else:
                remarks.append(msg("said.no_key_lock"))
        if sample.pitch_range:
            rules.append(steer.PitchRange(tok, *steer.parse_range(sample.pitch_range)))
        if sample.repetition_guard:
            rules.append(steer.RepetitionGuard())
        if sample.echo > 0 and self.metre:
            # Aiming at the run's shares of repeated bars and phrases, unless a form plans what comes
            # back or a progression the harmony: a bar invited back at 20 nats outweighs the chord of
            # the bar it lands in (folk-wavenet followed "C G Am F" on 0.92 of its beats, 1.00 plain).
            planned = sample.form or sample.chords
            share = None if planned else self.run.data.get("bars_repeated")
            phrases = None if planned else self.run.data.get("phrases_repeated")
            rules.append(steer.BarEcho(tok, sample.echo, share, sample.seed if seed is None else seed, phrases))
        if sample.form:
            rules += self.form_plan(sample, primer_piece, total_bars, remarks)
        if sample.chords:
            rules += self.chord_plan(sample, primer_piece, signature, remarks)
        elif sample.harmony > 0 and self.metre:  # a progression asked for decides the chords itself
            rules.append(BeatChords(tok, sample.harmony))
        on_beat = self.run.data.get("on_beat_share")
        if sample.match_rhythm and self.metre and on_beat is not None:
            rules.append(OnBeatShare(tok, on_beat))
        forced = tok.time_signature_id(*signature) if self.metre else None
        if forced is not None:  # the metre holds: a 3/4 passage goes on in 3/4 (the Bach models lean to 4/4)
            rules.append(steer.ForceAfter(len(tok), tok.bar_id, forced, banned=tok.time_signature_ids()))
        steer.check_notes_left(tok, rules)  # a strict key with no note in the range: refused, not an empty piece
        return rules

    def form_plan(self, sample, primer_piece, total_bars: int, remarks: list) -> list:
        """The form asked for, as a rule (none in a scheme without bars: said in ``remarks``). Its
        closing chord is the locked key's, else the key the music has reached by its last bar."""
        if not self.metre:
            remarks.append(msg("said.form_needs_bars"))
            return []
        scale = self.scale(sample.key, primer_piece) if sample.key else None
        key = (scale.tonic, scale.mode in form.MINOR_MODES) if scale is not None else None
        return [form.FormPlan(self.tokenizer, form.parse_form(sample.form), sample.phrase_bars,
                              form.REPEATS[sample.repeats], total_bars, key)]

    def chord_plan(self, sample, primer_piece, signature: tuple[int, int], remarks: list) -> list:
        """The progression asked for, as a rule (none in a scheme without bars: said in ``remarks``).
        Degrees (1 5 6m 4) count in the key asked for, else the music's, else C major."""
        from .chords import AUTO_CHORDS, ChordPlan, parse_progression

        if not self.metre:
            remarks.append(msg("said.chords_need_bars"))
            return []
        if sample.chords.strip().lower() in AUTO_CHORDS:  # the chords of a given melody: accompany's
            remarks.append(msg("said.chords_auto_alone"))
            return []
        scale = self.scale(sample.key, primer_piece) if sample.key else None
        key = (scale.tonic, scale.mode) if scale is not None else (0, "major")
        return [ChordPlan(self.tokenizer, parse_progression(sample.chords, key), signature, sample.chord_strength)]

    def absent_parts(self, primer: np.ndarray) -> list[int]:
        """Part tokens beyond the header's line-up: a duet goes on as a duet, not a quartet."""
        tok = self.tokenizer
        if not self.metre:
            return []
        programs = tok.program_ids()
        playing = sum(i in programs for i in tok.header(primer))
        return [i for i, part in tok.part_ids().items() if playing and part >= playing]

    @staticmethod
    def scale(key: str, primer_piece) -> "steer.Scale | None":
        """A named key, or with steer.AUTO the key of the music the model continues (None if silent)."""
        if key.strip().lower() not in (steer.AUTO, "primer"):
            return steer.parse_scale(key)
        if primer_piece is None or not primer_piece.n_notes:
            return None
        from ..render.midi import estimate_key
        from ..music.piece import PART

        drums = [i for i, p in enumerate(primer_piece.parts) if p.is_drum]
        return steer.scale_of_key(*estimate_key(primer_piece.notes[~np.isin(primer_piece.notes[:, PART], drums)]))

    # ---------------------------------------------------------------- composing

    def compose(self, sample, piece=None) -> Composition:
        """sample: a config.SampleConfig; piece: a Piece to continue (the user's MIDI)."""
        tok = self.tokenizer
        sample.check()
        if piece is None and sample.primer not in ("random", "none"):  # a path or a typo: never nothing in silence
            raise InputError(msg("said.bad_primer", primer=repr(sample.primer)))
        seed = sample.seed if sample.seed is not None else int(np.random.default_rng().integers(2**31 - 1))
        rng = np.random.default_rng(seed)
        primer = self.primer_ids(sample, rng, piece)
        head = len(tok.header(primer))
        heard = tok.decode(primer, context=head, name="primer", tempo=self.run.data.get("tempo", 120.0),
                           parts=self.default_parts, time_signature=self.time_signature)
        keep = piece is not None and sample.keep_primer
        tempo = sample.tempo or (piece.tempo if piece is not None else heard.tempo if self.metre and head > 1
                                 else self.run.data.get("tempo", 120.0))
        signature = self.signature(sample, heard if piece is not None or heard.n_notes else None)
        bar = bar_quarters_of(signature)
        max_quarters, total_bars = self.planned(sample, tempo, bar, primer)
        variations = max(1, sample.variations)
        n_new = (int(max_quarters * 40 + 64) if max_quarters else sample.length)
        most = REQUEST_BUDGET["length"] // variations  # the work is bounded whatever the music asks for
        capped = n_new > most
        n_new = min(n_new, most)
        remarks: list[Message] = []  # per request: one Composer serves every session at once
        rules = self.rules(sample, heard if heard.n_notes else None, primer, signature, remarks, total_bars, seed)
        ids, speed = self.generator.generate(
            np.repeat(primer[None], variations, axis=0), n_new,
            Sampling(self.temperatures(sample), sample.top_k, sample.top_p, seed), rules=rules,
            token_quarters=tok.token_quarters(bar), max_quarters=max_quarters)
        if capped and any(len(seq) >= n_new for seq in ids):
            remarks.append(stopped_at_budget(n_new))
        stem = f"{Path(piece.name).stem}-continued" if piece is not None else self.run.name
        pieces = []
        for i, seq in enumerate(ids):
            out = tok.decode(np.concatenate([primer, seq]), context=head if keep else len(primer),
                             name=f"{stem}-seed{seed}-{i + 1}", tempo=tempo, parts=self.default_parts,
                             time_signature=signature).without_doubled_notes()
            out.tempo = tempo
            if piece is not None:
                out.key_sharps = piece.key_sharps
                self.name_parts(out, piece.parts)
                out.takeover = self.takeover(primer, heard) if keep and heard.n_notes else None
            else:
                self.name_parts(out, self.default_parts or [])
            if sample.program is not None:
                out.program = sample.program
            pieces.append(out)
        return Composition(pieces, ids, primer, seed, speed, [m for m in map(rule_message, rules) if m],
                           remarks)

    def planned(self, sample, tempo: float, bar: float, primer: np.ndarray) -> tuple[float, int]:
        """(quarters of music to write, 0 for sample.length tokens; the bars the new music will have,
        0 when not asked in bars or seconds). A form asked without a length writes one round of it.
        A piece from nothing is in its first bar already: its bar line ends the primer."""
        bars = sample.bars
        if bars <= 0 and sample.seconds <= 0 and sample.form and self.metre:
            bars = len(form.parse_form(sample.form)) * sample.phrase_bars
        if bars > 0:
            quarters = bars * bar
        elif sample.seconds > 0:
            quarters = sample.seconds * tempo / 60.0
            bars = max(1, round(quarters / bar))
        else:
            return 0.0, 0
        if self.metre and form.opens_a_bar(self.tokenizer, primer):
            quarters = max(quarters - bar, 1e-3)  # the bar lines still to come; 0 would mean "no limit"
        return quarters, bars

    def temperatures(self, sample) -> float | np.ndarray:
        """One temperature, or one per token when timing tokens have their own (greedy stays
        greedy: the article's argmax)."""
        if sample.temperature <= 0 or sample.rhythm_temperature == sample.temperature:
            return sample.temperature
        timing = self.tokenizer.timing_mask()
        if not timing.any():
            return sample.temperature
        return np.where(timing, sample.rhythm_temperature, sample.temperature).astype(np.float32)

    def takeover(self, primer: np.ndarray, heard) -> float:
        """Where the model's music begins, in quarters from the start of the output: the bar line
        the primer ends on (metre tokens), else the end of the primer's notes."""
        if not self.metre:
            return heard.duration_quarters
        return self.tokenizer.bar_offsets(primer, self.time_signature)[-1]

    @staticmethod
    def name_parts(piece, usual) -> None:
        """Tokens carry instruments, not names: parts that play what the known ones played get their
        names (Soprano, Alto, ... rather than Part 1, Part 2, ...)."""
        for part, known in zip(piece.parts, usual):
            if (part.program, part.is_drum) == (known.program, known.is_drum):
                part.name = part.name or known.name

    @property
    def time_signature(self) -> tuple[int, int]:
        """The run's usual metre, for passages that do not say theirs."""
        return tuple(self.run.data.get("time_signature", (4, 4)))

    @property
    def bar_quarters(self) -> float:
        return bar_quarters_of(self.time_signature)

    @property
    def default_parts(self) -> list:
        """The run's usual parts (instruments), for passages without a header."""
        from ..music.piece import Part

        return [Part(**p) for p in self.run.data.get("parts", [])] or None


def bar_quarters_of(signature) -> float:
    from ..music.piece import bar_quarters

    return bar_quarters(*signature)


def parse_time_signature(text: str, tokenizer) -> tuple[int, int]:
    """'3/4' → (3, 4), if the tokens know it."""
    try:
        num, den = (int(x) for x in text.strip().split("/"))
    except ValueError:
        raise MusegenError(msg("said.not_time_signature", text=text)) from None
    if tokenizer.time_signature_id(num, den) is None:
        known = [f"{n}/{d}" for n, d in tokenizer.time_signature_ids().values()]
        raise MusegenError(msg("said.no_time_signature", signature=f"{num}/{den}", known=", ".join(known))
                           if known else msg("said.no_time_signatures"))
    return num, den
