"""Generation: the engine's logits, steered by rules, sampled, until the piece is long enough.

The trained weights run on NumPy (``models/engine.py``), so writing a piece never imports TensorFlow: the
command line and the app answer in a fraction of a second. Each step the logits pass the steering
rules (``steer.py``: banned tokens, key lock, pitch range, repetition guard, bar echo, the metre), then
temperature, top-k and top-p, then one token is drawn per sequence of the batch (a batch is the
variations of one request). A sequence stops before the token that would make its music longer
than asked.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import steer
from ..config import REQUEST_BUDGET
from ..models.engine import WEIGHTS, check_weights, forced_logits, load_weights, make_engine, save_weights, weights_of
from ..errors import InputError, ModelError, MusegenError
from ..messages import Message, joined, msg, option


@dataclass
class Sampling:
    temperature: float | np.ndarray = 1.0  # 0 = greedy argmax; or one temperature per token
    top_k: int = 0  # 0 = off
    top_p: float = 1.0  # 1 = off
    seed: int = 0


def filter_logits(logits: np.ndarray, temperature: float, top_k: int, top_p: float) -> np.ndarray:
    """Temperature (one, or one per token), then keep the top-k and the smallest set whose probability reaches top_p (a
    token as likely as the last one kept is kept too). Thresholds, not index shuffles: this runs
    once per token."""
    logits = logits / np.maximum(temperature, 1e-6)
    if top_k <= 0 and top_p >= 1.0:
        return logits  # nothing to cut
    keep = np.ones(logits.shape, bool)
    if 0 < top_k < logits.shape[-1]:
        kth = np.partition(logits, -top_k, axis=-1)[:, -top_k:].min(-1, keepdims=True)
        keep &= logits >= kth
    if top_p < 1.0:
        probs = np.exp(logits - logits.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        ranked = np.sort(probs, axis=-1)[:, ::-1]
        before = np.cumsum(ranked, -1) - ranked  # mass of the tokens ranked above; the first is always kept
        smallest_kept = np.where(before < top_p, ranked, np.inf).min(-1, keepdims=True)
        keep &= probs >= smallest_kept
    return np.where(keep, logits, steer.NEG)


def choose(logits: np.ndarray, sampling: Sampling, rng: np.random.Generator) -> np.ndarray:
    """One token per row: the argmax when greedy, else a draw from the filtered distribution."""
    if np.all(np.asarray(sampling.temperature) <= 0.0):
        return logits.argmax(-1)
    filtered = filter_logits(logits, sampling.temperature, sampling.top_k, sampling.top_p)
    # Gumbel-max: the argmax of logits plus Gumbel noise is an exact draw from their softmax.
    return (filtered - np.log(-np.log(rng.random(filtered.shape)))).argmax(-1)


class Generator:
    """One trained model ready to generate: an engine, its vocabulary size, nothing compiled."""

    def __init__(self, engine, vocab_size: int):
        self.engine = engine
        self.vocab_size = vocab_size
        self.compile_seconds = 0.0  # nothing to compile on NumPy; kept for the benchmarks' tables

    @classmethod
    def from_model(cls, model, config, vocab_size: int, window: int, pad_id: int = 0) -> "Generator":
        """From a Keras model in memory (training's per-epoch samples, the benchmarks)."""
        return cls(make_engine(weights_of(model), config, vocab_size, window, pad_id), vocab_size)

    @property
    def fast(self) -> bool:
        """Stepped (one token's worth of work per token), not the article's window run again."""
        from ..models.engine import WindowEngine

        return not isinstance(self.engine, WindowEngine)

    def step_logits(self, ids: np.ndarray) -> np.ndarray:
        """Logits after every token of ids (batch, T): equals the Keras model's forward pass."""
        return forced_logits(self.engine, ids)

    def generate(self, primer: np.ndarray, n_new: int, sampling: Sampling, rules=(),
                 token_quarters: np.ndarray | None = None, max_quarters: float = 0.0):
        """primer (batch, P) ids, P ≥ 1. Returns (list of generated id arrays, tokens per second).

        With max_quarters > 0 each sequence stops before the token that would make its music last
        longer (n_new is then a cap)."""
        primer = np.atleast_2d(np.asarray(primer, dtype=np.int64))
        batch = primer.shape[0]
        rng = np.random.default_rng(sampling.seed)
        quarters = np.zeros(self.vocab_size, np.float32) if token_quarters is None else token_quarters
        limit = max_quarters if max_quarters > 0 else np.inf
        out = np.zeros((batch, n_new), np.int64)
        lengths = np.zeros(batch, int)  # a sequence's tokens are out[b, :lengths[b]]
        clock = np.zeros(batch)
        done = np.zeros(batch, bool)  # once done, a sequence's later tokens are never counted
        for rule in rules:
            rule.start(primer)
        start = time.perf_counter()
        state = self.engine.start(batch, primer.shape[1] + n_new)
        logits = self.engine.feed(primer, state)[:, -1]
        for step in range(n_new):
            chosen = choose(steer.apply(rules, logits), sampling, rng)
            clock = clock + quarters[chosen]
            done |= clock > limit + 1e-6
            if done.all():
                break
            out[:, step] = chosen
            lengths += ~done
            for rule in rules:
                rule.update(chosen)
            if step + 1 < n_new:
                logits = self.engine.feed(chosen[:, None], state)[:, -1]
        elapsed = time.perf_counter() - start
        return [out[b, : lengths[b]].astype(np.int32) for b in range(batch)], float(lengths.sum()) / max(elapsed, 1e-9)


def article_loop(model, window_ids: np.ndarray, n_new: int, last_only: bool) -> list[int]:
    """The article's generation: one model.predict per note, argmax, slide the window (the baseline)."""
    pattern = list(window_ids)
    out = []
    for _ in range(n_new):
        probs = model.predict(np.array([pattern]), verbose=0)[0]
        token = int(np.argmax(probs if last_only else probs[-1]))
        out.append(token)
        pattern = pattern[1:] + [token]
    return out


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

    def rules(self, sample, primer_piece, primer: np.ndarray, signature: tuple[int, int], remarks: list) -> list:
        """The steering rules `sample` asks for; what cannot apply is said in `remarks`."""
        tok = self.tokenizer
        rules = [steer.Banned(len(tok), tok.special_ids + self.absent_parts(primer))]
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
            rules.append(steer.BarEcho(tok, sample.echo))
        forced = tok.time_signature_id(*signature) if self.metre else None
        if forced is not None:  # the metre holds: a 3/4 passage goes on in 3/4 (the Bach models lean to 4/4)
            rules.append(steer.ForceAfter(len(tok), tok.bar_id, forced))
        steer.check_notes_left(tok, rules)  # a strict key with no note in the range: refused, not an empty piece
        return rules

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
        if sample.bars > 0:
            max_quarters = sample.bars * bar
        elif sample.seconds > 0:
            max_quarters = sample.seconds * tempo / 60.0
        else:
            max_quarters = 0.0
        variations = max(1, sample.variations)
        n_new = (int(max_quarters * 40 + 64) if max_quarters else sample.length)
        most = REQUEST_BUDGET["length"] // variations  # the work is bounded whatever the music asks for
        capped = n_new > most
        n_new = min(n_new, most)
        remarks: list[Message] = []  # per request: one Composer serves every session at once
        rules = self.rules(sample, heard if heard.n_notes else None, primer, signature, remarks)
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
                             time_signature=signature)
            out.tempo = tempo
            if piece is not None:
                out.key_sharps = piece.key_sharps
                self._name_parts(out, piece.parts)
                out.takeover = self.takeover(primer, heard) if keep and heard.n_notes else None
            else:
                self._name_parts(out, self.default_parts or [])
            if sample.program is not None:
                out.program = sample.program
            pieces.append(out)
        return Composition(pieces, ids, primer, seed, speed, [m for m in map(rule_message, rules) if m],
                           remarks)

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
    def _name_parts(piece, usual) -> None:
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


def stopped_at_budget(tokens: int) -> Message:
    """The remark when a piece asked for in seconds or bars reached the request's token budget first."""
    return msg("said.budget_stop", n=f"{tokens:,}")


def rule_message(rule) -> Message | None:
    """A rule in words (None: a rule nobody chose, e.g. the banned tokens)."""
    if isinstance(rule, steer.KeyLock):
        key = {"tonic": steer.NOTE_NAMES[rule.scale.tonic], "scale": option("scale", rule.scale.mode)}
        return msg("said.key", **key) if rule.strength >= 1 else msg("said.key_strength", **key,
                                                                       strength=f"{rule.strength:g}")
    if isinstance(rule, steer.PitchRange):
        return msg("said.range", low=steer.pitch_name(rule.low), high=steer.pitch_name(rule.high))
    if isinstance(rule, steer.RepetitionGuard):
        return msg("said.guard")
    if isinstance(rule, steer.BarEcho):
        return msg("said.echo", n=f"{rule.strength:g}")
    return None


def describe(rule) -> str:
    """A rule in English words, for the command line and --json ("" for a rule nobody chose)."""
    said = rule_message(rule)
    return str(said) if said else ""


def collapse_message(ids, max_loop: int = 128) -> Message | None:
    """What to tell a person when generated ids collapsed, else None.

    Collapsed: hardly any distinct tokens (one note over and over), or the second half is one
    short loop repeated. The usual cure is more randomness, so the message says how.
    """
    ids = np.asarray(ids).ravel()
    if len(ids) < 16:
        return None
    distinct = len(np.unique(ids))
    if distinct <= 3:
        return joined(msg("said.collapsed", n=distinct), msg("said.advice"))
    tail = ids[len(ids) // 2:]
    for period in range(1, min(max_loop, len(tail) // 3) + 1):
        if np.array_equal(tail[period:], tail[:-period]):
            return joined(msg("said.loop", n=period), msg("said.advice"))
    return None


def collapse_warning(ids, max_loop: int = 128) -> str | None:
    """collapse_message in English (the command line, evaluate/), else None."""
    said = collapse_message(ids, max_loop)
    return str(said) if said else None
