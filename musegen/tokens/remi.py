"""MidiTok's REMI+ as a scheme (``remi``): the comparison for our own ``metre`` scheme.

    <bos> Bar TimeSig_4/4 Position_0 Tempo_95.19 Position_36 Program_0 Pitch_73 Duration_0.6.12
          Program_0 Pitch_64 Duration_1.0.12 … Bar TimeSig_4/4 Position_0 …  <eos>

REMI (Huang & Yang) with REMI+'s ``Program`` and ``TimeSig`` tokens (FIGARO), written and read by
MidiTok over symusic: every bar starts with ``Bar`` and its ``TimeSig``, ``Position`` says where in
the bar, and every note is ``Program``, (``Velocity``), ``Pitch`` and ``Duration``.

What it cannot say, and the reason ``metre`` exists: parts are told apart by General MIDI program
only, so parts that share one (a piano's two hands, a chorale's four voices, all program 0) merge
into one part on the way through; unisons between them become one note.

The settings match ``metre`` where MidiTok allows: 12 positions per beat for the first four beats
of a note's length (then 4), the same 15 time signatures, 32 geometric tempo bins from 40 to 240
BPM, the run's pitch range, velocity tokens only when ``velocity_bins`` > 0. MidiTok's beat is
the time signature's denominator, so the grid is 12 per quarter in x/4, 24 per quarter in x/8 and
6 per quarter in x/2 (sixteenths in 2/2 land on the nearest sixth of a quarter). No BPE.

MidiTok (and its Hugging Face dependencies) is optional: it is imported only when a ``remi``
tokenizer is made, and its absence is a ``ModelError`` that says how to install it.
"""
from __future__ import annotations

from collections import Counter

import numpy as np

from ..config import TokenizerConfig
from ..errors import ModelError
from ..messages import msg
from ..music.piece import Part, Piece
from .base import SPECIALS, TEMPO_BINS, TEMPO_RANGE, TIME_SIGNATURES, Tokenizer, signature_of

BEAT_RES = {(0, 4): 12, (4, 12): 4}  # positions per beat for note lengths up to 4 beats, then 4
BAR = "Bar"  # MidiTok's "Bar_None": named as metre names it, so a primer can start on a bar line
DEFAULT_VELOCITY = 80  # as our readers and metre, when the scheme keeps no velocity


def _miditok():
    try:
        import miditok
    except ImportError:
        raise ModelError(msg("said.no_miditok")) from None
    return miditok


def time_signature_range(signatures=TIME_SIGNATURES) -> dict[int, list[int]]:
    """MidiTok's form of a list of "n/d": {denominator: [numerators]}."""
    by_denominator: dict[int, list[int]] = {}
    for text in signatures:
        num, den = map(int, text.split("/"))
        by_denominator.setdefault(den, []).append(num)
    return by_denominator


def miditok_config(config: TokenizerConfig):
    """The ``miditok.TokenizerConfig`` a ``remi`` tokenizer with these settings uses."""
    miditok = _miditok()
    c = config
    velocities = dict(use_velocities=True, num_velocities=int(c.velocity_bins)) if c.velocity_bins > 0 \
        else dict(use_velocities=False)
    return miditok.TokenizerConfig(
        pitch_range=(int(c.min_pitch), int(c.max_pitch)),  # both ends included, as ours
        beat_res=dict(BEAT_RES),
        special_tokens=["PAD"],  # MidiTok insists on PAD; ours are <pad> <bos> <eos>
        use_programs=True, one_token_stream_for_programs=True, program_changes=False,
        use_time_signatures=True, time_signature_range=time_signature_range(),
        use_tempos=True, num_tempos=TEMPO_BINS, tempo_range=tuple(int(t) for t in TEMPO_RANGE), log_tempos=True,
        use_chords=False, use_rests=False, use_key_signatures=False, use_sustain_pedals=False,
        use_pitch_bends=False, use_control_changes=False,
        remove_duplicated_notes=True,  # parts of one program share a track: a unison is one note
        **velocities,
    )


class RemiTokenizer(Tokenizer):
    def __init__(self, config: TokenizerConfig):
        miditok = _miditok()
        self.miditok_version = getattr(miditok, "__version__", "") or _version("miditok")
        self.remi = miditok.REMI(miditok_config(config))
        theirs = sorted(self.remi.vocab, key=self.remi.vocab.get)
        specials = set(self.remi.special_tokens)
        body = [t for t in theirs if t not in specials]
        ours = [BAR if t == "Bar_None" else t for t in body]
        self.to_miditok = dict(zip(ours, body))
        super().__init__(config, list(SPECIALS) + ours)
        self._is_program = np.array([t.startswith("Program_") for t in self.vocab])
        self._check_blocks()

    # ------------------------------------------------------------------ encoding

    def piece_tokens(self, piece: Piece) -> list[str]:
        import symusic

        from ..render.midi import piece_to_midi_bytes

        if not piece.n_notes:
            return []
        score = symusic.Score.from_midi(piece_to_midi_bytes(piece))
        sequence = self.remi.encode(score)
        if isinstance(sequence, list):  # not with one_token_stream_for_programs; kept for safety
            sequence = sequence[0] if sequence else None
        tokens = sequence.tokens if sequence is not None else []
        specials = set(self.remi.special_tokens)
        return [BAR if t == "Bar_None" else t for t in tokens if t not in specials]

    # ------------------------------------------------------------------ decoding

    def decode(self, ids, name: str = "generated", tempo: float | None = None, context: int = 0,
               parts: list[Part] | None = None, time_signature: tuple[int, int] = (4, 4), **_) -> Piece:
        """Lenient, since a model writes these: ids out of range and our special tokens are skipped,
        and what MidiTok cannot read is left out (it never raises for a bad sequence).

        The tokens say the instruments (a ``Program`` per note), so ``parts`` only stands in when
        nothing decodes; ``time_signature`` stands in when no ``TimeSig`` comes before the first
        note, ``tempo`` when no ``Tempo`` token is given.

        The first ``context`` ids only set the scene: the piece holds the notes the later ids
        write, from the bar line of the bar the first of them is in (found with MidiTok's own clock).
        Approximations: a note whose ``Pitch`` is in the context but whose ``Duration`` is not counts
        as written after it, and a note that lands before that bar line (a ``Position`` past the
        end of a bar, then a step back) is dropped."""
        ids = [int(i) for i in np.asarray(list(ids)).reshape(-1)]
        context = max(0, min(int(context), len(ids)))
        tokens, n_context = [], 0
        for k, i in enumerate(ids):
            if 0 <= i < len(self.vocab) and self.vocab[i] not in SPECIALS:
                tokens.append(self.to_miditok[self.vocab[i]])
                n_context += k < context
        first_note = next((k for k, t in enumerate(tokens) if t.startswith("Pitch")), len(tokens))
        signature = "TimeSig_{}/{}".format(*time_signature)
        if not any(t.startswith("TimeSig_") for t in tokens[:first_note]) and signature in self.index:
            tokens.insert(0, signature)  # MidiTok reads 4/4 otherwise
            n_context += n_context > 0

        score = self._score(tokens)
        origin, scene = 0, Counter()
        if n_context:
            head = tokens[:n_context]
            scene = Counter(self._note_rows(self._score(head)))
            # The bar the first written token is in (a Bar there opens a new one), as metre does;
            # its tick from MidiTok's own clock: a Tempo token put at that bar line.
            bars = [k for k, t in enumerate(tokens[: n_context + 1]) if t == "Bar_None"]
            if bars:
                probe = self._score(tokens[: bars[-1] + 1] + ["Position_0", self._probe_tempo])
                origin = int(probe.tempos[-1].time) if probe is not None and len(probe.tempos) else 0

        rows, programs = [], []
        for row in self._note_rows(score):
            if scene[row] > 0:
                scene[row] -= 1
                continue
            if row[1] >= origin:
                rows.append(row)
        tpq = float(score.ticks_per_quarter) if score is not None else 24.0
        for program in (r[0] for r in rows):
            if program not in programs:
                programs.append(program)
        programs.sort(key=lambda p: p == -1)  # parts in order of entry, the drum kit last
        notes = [((t - origin) / tpq, d / tpq, p, v, programs.index(prog)) for prog, t, p, d, v in rows]
        if programs:
            parts = [Part(name="Drums", program=0, is_drum=True) if p == -1 else Part(program=p) for p in programs]
        elif parts:
            parts = [Part(**p.as_dict()) for p in parts]
        return Piece(name, np.array(notes, dtype=np.float64).reshape(-1, 5),
                     tempo=self._tempo(tokens, n_context) or tempo or 120.0, parts=parts,
                     time_signatures=self._signatures(score, origin, time_signature))

    def _score(self, tokens: list[str]):
        """MidiTok's Score for these (MidiTok) tokens; the longest prefix it reads if it fails on
        all of them; None if nothing reads."""
        if not tokens:
            return None
        from miditok import TokSequence

        def read(n: int):
            try:
                return self.remi.decode(TokSequence(tokens=list(tokens[:n])))
            except Exception:  # noqa: BLE001 - a model's odd sequence must not take generation down
                return None

        score = read(len(tokens))
        if score is not None:
            return score
        low, high, best = 0, len(tokens) - 1, None
        while low < high:  # bisect on the prefix length: the longest that reads
            mid = (low + high + 1) // 2
            attempt = read(mid)
            if attempt is not None:
                low, best = mid, attempt
            else:
                high = mid - 1
        return best

    def _note_rows(self, score) -> list[tuple[int, int, int, int, int]]:
        """(program, onset tick, pitch, duration ticks, velocity) per note; program -1 = drums."""
        if score is None:
            return []
        rows = []
        for track in score.tracks:
            program = -1 if track.is_drum else int(track.program)
            arr = track.notes.numpy()
            velocity = arr["velocity"] if self.config.velocity_bins > 0 else np.full(len(arr["time"]),
                                                                                     DEFAULT_VELOCITY)
            rows += [(program, int(t), int(p), int(d), int(v))
                     for t, p, d, v in zip(arr["time"], arr["pitch"], arr["duration"], velocity) if d > 0]
        return sorted(rows, key=lambda r: (r[1], r[0], -r[2]))

    @property
    def _probe_tempo(self) -> str:
        return next(t for t in self.remi.vocab if t.startswith("Tempo_"))

    @staticmethod
    def _tempo(tokens: list[str], n_context: int) -> float | None:
        """The tempo the tokens say: the last one the context sets, else the first one written."""
        values = [(k, float(t.split("_", 1)[1])) for k, t in enumerate(tokens) if t.startswith("Tempo_")]
        before = [v for k, v in values if k < n_context]
        return before[-1] if before else (values[0][1] if values else None)

    @staticmethod
    def _signatures(score, origin: int, default: tuple[int, int]) -> list[tuple[float, int, int]]:
        if score is None or not len(score.time_signatures):
            return [(0.0, *default)]
        tpq = float(score.ticks_per_quarter)
        changes = sorted((int(ts.time), int(ts.numerator), int(ts.denominator)) for ts in score.time_signatures)
        current = [c for c in changes if c[0] <= origin][-1:] or changes[:1]
        kept = [(0.0, *current[0][1:])]
        for at, num, den in changes:
            if at > origin and (num, den) != kept[-1][1:]:
                kept.append(((at - origin) / tpq, num, den))
        return kept

    # ------------------------------------------------------------------ header, clock, augmentation

    def header(self, ids: np.ndarray) -> np.ndarray:
        """<bos>, and the opening ``Bar TimeSig Position_0 Tempo`` when the piece starts with one:
        REMI has no header of its own, but the tempo sits at the start of the first bar."""
        ids = np.asarray(ids, np.int32)
        start = 1 if len(ids) and ids[0] == self.bos_id else 0
        for k in range(start, len(ids)):
            token = self.vocab[ids[k]] if 0 <= ids[k] < len(self.vocab) else ""
            if token.startswith("Tempo_"):
                return ids[: k + 1]
            if not (token == BAR or token.startswith(("TimeSig_", "Position_"))):
                break
        return ids[:start]

    def token_quarters(self, bar_quarters: float = 4.0) -> np.ndarray:
        """Time moves at bar lines: each Bar counts as one bar of the run's usual metre."""
        quarters = np.zeros(len(self.vocab), dtype=np.float32)
        quarters[self.index[BAR]] = bar_quarters
        return quarters

    # ------------------------------------------------------------------ structure
    # No part tokens: REMI+ tells parts apart by program alone, a Program before every note.

    @property
    def bar_id(self) -> int:
        return self.index[BAR]

    def time_signature_ids(self) -> dict[int, tuple[int, int]]:
        return self._named("TimeSig_", signature_of)

    def program_ids(self) -> dict[int, int]:
        return self._named("Program_")  # MidiTok's Program_-1 is the drum kit, as piece.DRUM_PROGRAM

    def position_ids(self) -> dict[int, int]:
        return self._named("Position_")

    def note_mask(self) -> np.ndarray:
        return np.array([t.startswith(("Position_", "Velocity_", "Pitch_", "PitchDrum_", "Duration_"))
                         for t in self.vocab])

    def _check_blocks(self):
        """Augmentation moves an id by k to move its value by k steps: each block must be one run
        of a single kind, ascending, in MidiTok's vocabulary (true of 3.x; checked, not assumed)."""
        c = self.config
        for kind, (first, count) in self.id_blocks().items():
            run = [self.vocab[first + k].split("_", 1) for k in range(count)]
            values = [float(value) for _, value in run]
            if {name for name, _ in run} != {run[0][0]} or values != sorted(values) or \
                    (kind == "pitch" and values != list(range(c.min_pitch, c.max_pitch + 1))):
                raise ModelError(msg("said.miditok_order", version=self.miditok_version, kind=kind))

    def id_blocks(self) -> dict[str, tuple[int, int]]:
        c = self.config
        blocks = {"pitch": (self.index[f"Pitch_{c.min_pitch}"], c.max_pitch - c.min_pitch + 1)}
        tempos = [t for t in self.vocab if t.startswith("Tempo_")]
        blocks["tempo"] = (self.index[tempos[0]], len(tempos))
        velocities = [t for t in self.vocab if t.startswith("Velocity_")]
        if velocities:
            blocks["velocity"] = (self.index[velocities[0]], len(velocities))
        return blocks

    def transposable(self, ids: np.ndarray) -> np.ndarray:
        """Pitch tokens outside the drum kit: REMI+ writes a Program before every note (Program_-1
        for drums, whose notes are PitchDrum tokens anyway)."""
        ids = np.asarray(ids)
        first, count = self.id_blocks()["pitch"]
        drums, is_program = self.index["Program_-1"], self._is_program
        out = np.zeros(len(ids), bool)
        drum = False
        for k, t in enumerate(ids):
            if 0 <= t < len(self.vocab) and is_program[t]:
                drum = t == drums
            elif first <= t < first + count:
                out[k] = not drum
        return out

    def extra_state(self) -> dict:
        return {"miditok": self.miditok_version}


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return ""
