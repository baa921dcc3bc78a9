"""Fast generation: one compiled loop per piece, never one ``model.predict`` per note.

The trained model's weights are read into a *stepper* that computes the next-token logits from
one new token and a small cached state: Fast WaveNet queues (each causal conv keeps only the
inputs its taps will read) or the LSTM's (h, c). The whole loop — step, temperature, top-k, top-p,
sampling — runs inside one ``tf.while_loop`` compiled with XLA. Models the stepper cannot run
(the article's scalar inputs or last-step targets) slide a window instead, still compiled.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .config import ModelConfig
from .models import wavenet_dilations

BUCKET = 512  # token buffers are padded to a multiple of this, so new lengths rarely recompile


@dataclass
class Sampling:
    temperature: float = 1.0  # 0 = greedy argmax
    top_k: int = 0  # 0 = off
    top_p: float = 1.0  # 1 = off
    seed: int = 0


def _weights(model, name):
    return [np.asarray(w, dtype=np.float32) for w in model.get_layer(name).get_weights()]


class _Conv:
    """A causal Conv1D stepped one time step at a time over a queue of its past inputs."""

    def __init__(self, kernel, bias, dilation):
        import tensorflow as tf

        k, cin, cout = kernel.shape
        self.k, self.cin, self.dilation = k, cin, dilation
        self.kernel = tf.constant(kernel.reshape(k * cin, cout))
        self.bias = tf.constant(bias)
        self.queue_len = (k - 1) * dilation + 1

    def initial(self, batch):
        import tensorflow as tf

        return tf.zeros((batch, self.queue_len, self.cin))

    def step(self, x, queue):
        import tensorflow as tf

        queue = tf.concat([queue[:, 1:], x[:, None, :]], axis=1)
        taps = queue[:, :: self.dilation]  # (batch, k, cin): the k inputs this output reads
        return tf.matmul(tf.reshape(taps, (-1, self.k * self.cin)), self.kernel) + self.bias, queue


def _dense(model, name):
    import tensorflow as tf

    kernel, bias = _weights(model, name)
    return tf.constant(kernel.reshape(-1, kernel.shape[-1])), tf.constant(bias)


class WaveNetStepper:
    def __init__(self, model, config: ModelConfig):
        import tensorflow as tf

        self.embedding = tf.constant(_weights(model, "embedding")[0])
        self.input_conv = _Conv(*_weights(model, "input_conv"), 1)
        self.layers = []
        dilations = wavenet_dilations(config)
        for i, dilation in enumerate(dilations):
            f_kernel, f_bias = _weights(model, f"filter_{i}")
            g_kernel, g_bias = _weights(model, f"gate_{i}")
            # One matmul for filter and gate: they read the same taps.
            fused = _Conv(np.concatenate([f_kernel, g_kernel], -1), np.concatenate([f_bias, g_bias]), dilation)
            residual = _dense(model, f"residual_{i}") if i < len(dilations) - 1 else None
            self.layers.append((fused, residual, _dense(model, f"skip_{i}")))
        self.post = _dense(model, "post_conv")
        self.out = _dense(model, "logits")

    def initial(self, batch):
        return (self.input_conv.initial(batch), *(layer[0].initial(batch) for layer in self.layers))

    def step(self, token, state):
        import tensorflow as tf

        x, queue = self.input_conv.step(tf.gather(self.embedding, token), state[0])
        queues, skip = [queue], 0.0
        for (conv, residual, (ws, bs)), queue in zip(self.layers, state[1:]):
            fg, queue = conv.step(x, queue)
            queues.append(queue)
            f, g = tf.split(fg, 2, axis=-1)
            z = tf.tanh(f) * tf.sigmoid(g)
            skip = skip + tf.matmul(z, ws) + bs
            if residual is not None:
                x = x + tf.matmul(z, residual[0]) + residual[1]
        h = tf.nn.relu(tf.matmul(tf.nn.relu(skip), self.post[0]) + self.post[1])
        return tf.matmul(h, self.out[0]) + self.out[1], tuple(queues)


class SimpleWaveNetStepper:
    def __init__(self, model, config: ModelConfig):
        import tensorflow as tf

        self.embedding = tf.constant(_weights(model, "embedding")[0])
        self.convs = [_Conv(*_weights(model, f"conv_{i}"), 2**i) for i in range(config.simple_blocks)]
        self.dense = _dense(model, "dense")
        self.out = _dense(model, "logits")

    def initial(self, batch):
        return tuple(conv.initial(batch) for conv in self.convs)

    def step(self, token, state):
        import tensorflow as tf

        x, queues = tf.gather(self.embedding, token), []
        for conv, queue in zip(self.convs, state):
            x, queue = conv.step(x, queue)
            x = tf.nn.relu(x)
            queues.append(queue)
        h = tf.nn.relu(tf.matmul(x, self.dense[0]) + self.dense[1])
        return tf.matmul(h, self.out[0]) + self.out[1], tuple(queues)


class LSTMStepper:
    """Keras LSTM cell arithmetic (gates i, f, c, o) on cached (h, c) per layer."""

    def __init__(self, model, config: ModelConfig):
        import tensorflow as tf

        self.embedding = tf.constant(_weights(model, "embedding")[0])
        self.cells = [tuple(tf.constant(w) for w in _weights(model, f"lstm_{i}")) for i in range(config.lstm_layers)]
        self.units = config.lstm_units
        self.dense = _dense(model, "dense")
        self.out = _dense(model, "logits")

    def initial(self, batch):
        import tensorflow as tf

        zeros = tf.zeros((batch, self.units))
        return tuple(zeros for _ in range(2 * len(self.cells)))

    def step(self, token, state):
        import tensorflow as tf

        x, new_state = tf.gather(self.embedding, token), []
        for i, (kernel, recurrent, bias) in enumerate(self.cells):
            h, c = state[2 * i], state[2 * i + 1]
            i_, f_, g_, o_ = tf.split(tf.matmul(x, kernel) + tf.matmul(h, recurrent) + bias, 4, axis=-1)
            c = tf.sigmoid(f_) * c + tf.sigmoid(i_) * tf.tanh(g_)
            h = tf.sigmoid(o_) * tf.tanh(c)
            new_state += [h, c]
            x = h
        h = tf.nn.relu(tf.matmul(x, self.dense[0]) + self.dense[1])
        return tf.matmul(h, self.out[0]) + self.out[1], tuple(new_state)


class WindowStepper:
    """Fallback for the article's set-ups: run the whole model on the last `window` tokens."""

    def __init__(self, model, config: ModelConfig, window: int, pad_id: int):
        self.model, self.window, self.pad_id = model, window, pad_id
        self.last_only = config.targets == "last"

    def initial(self, batch):
        import tensorflow as tf

        return (tf.fill((batch, self.window), self.pad_id),)

    def step(self, token, state):
        import tensorflow as tf

        window = tf.concat([state[0][:, 1:], token[:, None]], axis=1)
        logits = self.model(window, training=False)
        return (logits if self.last_only else logits[:, -1]), (window,)


def make_stepper(model, config: ModelConfig, window: int, pad_id: int = 0):
    if config.inputs == "embedding" and config.targets == "sequence":
        steppers = {"wavenet": WaveNetStepper, "simple-wavenet": SimpleWaveNetStepper, "lstm": LSTMStepper}
        return steppers[config.kind](model, config)
    return WindowStepper(model, config, window, pad_id)


def filter_logits(logits, temperature, top_k, top_p):
    """Temperature, then keep the top-k and the smallest set whose probability reaches top_p."""
    import tensorflow as tf

    logits = logits / tf.maximum(temperature, 1e-6)
    vocab = tf.shape(logits)[-1]
    sorted_logits = tf.sort(logits, axis=-1, direction="DESCENDING")
    k = tf.where(top_k > 0, tf.minimum(top_k, vocab), vocab)
    kth = sorted_logits[:, k - 1 : k]
    probs = tf.nn.softmax(sorted_logits, axis=-1)
    before = tf.cumsum(probs, axis=-1, exclusive=True)  # mass of the tokens ranked above
    keep_p = before < top_p  # the first token is always kept
    pth = tf.reduce_min(tf.where(keep_p, sorted_logits, sorted_logits[:, :1]), axis=-1, keepdims=True)
    threshold = tf.maximum(kth, pth)
    return tf.where(logits >= threshold, logits, tf.fill(tf.shape(logits), -1e9))


class Generator:
    """Compiled generation for one trained model. Reuse it: each new batch size compiles once."""

    def __init__(self, model, config: ModelConfig, vocab_size: int, window: int, pad_id: int = 0):
        import tensorflow as tf

        self.stepper = make_stepper(model, config, window, pad_id)
        self.vocab_size = vocab_size
        self.fast = not isinstance(self.stepper, WindowStepper)
        self._loop = tf.function(self._generate_loop, jit_compile=True)
        self._forced = tf.function(self._forced_loop, reduce_retracing=True)
        self.compiled_shapes: set[tuple[int, int]] = set()
        self.compile_seconds = 0.0

    def _generate_loop(self, tokens, primer_len, total_len, banned, token_quarters, max_quarters,
                       temperature, top_k, top_p, seed):
        """tokens (batch, T) holds the primer; fills positions primer_len … total_len-1."""
        import tensorflow as tf

        batch, capacity = tf.shape(tokens)[0], tf.shape(tokens)[1]
        ban = tf.where(banned, -1e9, 0.0)
        greedy = temperature <= 0.0
        positions = tf.range(capacity)

        def body(t, tokens, state, clock, done, lengths):
            logits, state = self.stepper.step(tokens[:, t], state)
            logits = logits + ban
            filtered = filter_logits(logits, temperature, top_k, top_p)
            sampled = tf.random.stateless_categorical(filtered, 1, seed=tf.stack([seed, t]), dtype=tf.int32)[:, 0]
            chosen = tf.where(greedy, tf.argmax(logits, axis=-1, output_type=tf.int32), sampled)
            is_new = t + 1 >= primer_len
            # A sequence stops at the first token that would take its music past the length asked
            # for (a bar line opening one bar too many, a time shift past the end).
            moved = clock + tf.gather(token_quarters, chosen)
            done = done | (is_new & (moved > max_quarters + 1e-6))
            write = is_new & ~done
            chosen = tf.where(write, chosen, tokens[:, t + 1])
            tokens = tf.where(positions[None, :] == t + 1, chosen[:, None], tokens)
            clock = tf.where(write, moved, clock)
            lengths = lengths + tf.cast(write, tf.int32)
            return t + 1, tokens, state, clock, done, lengths

        def cond(t, tokens, state, clock, done, lengths):
            return (t + 1 < total_len) & tf.reduce_any(~done | (t + 1 < primer_len))

        state = self.stepper.initial(batch)
        clock = tf.zeros((batch,))
        done = tf.zeros((batch,), tf.bool)
        lengths = tf.zeros((batch,), tf.int32)
        _, tokens, _, _, _, lengths = tf.while_loop(cond, body, (0, tokens, state, clock, done, lengths))
        return tokens, lengths

    def _forced_loop(self, tokens):
        """Logits at every position for given ids: proves the stepper equals the model."""
        import tensorflow as tf

        length = tf.shape(tokens)[1]
        out = tf.TensorArray(tf.float32, size=length)

        def body(t, state, out):
            logits, state = self.stepper.step(tokens[:, t], state)
            return t + 1, state, out.write(t, logits)

        _, _, out = tf.while_loop(lambda t, *_: t < length, body, (0, self.stepper.initial(tf.shape(tokens)[0]), out))
        return tf.transpose(out.stack(), (1, 0, 2))

    def step_logits(self, ids: np.ndarray) -> np.ndarray:
        return self._forced(np.asarray(ids, dtype=np.int32)).numpy()

    def generate(self, primer: np.ndarray, n_new: int, sampling: Sampling, banned_ids=(),
                 token_quarters: np.ndarray | None = None, max_quarters: float = 0.0):
        """primer (batch, P) ids, P ≥ 1. Returns (list of generated id arrays, tokens per second).

        With max_quarters > 0 each sequence stops before the token that would make its music last
        longer (n_new is then a cap).
        """
        import tensorflow as tf

        primer = np.atleast_2d(np.asarray(primer, dtype=np.int32))
        batch, p = primer.shape
        total = p + n_new
        capacity = -(-total // BUCKET) * BUCKET
        tokens = np.zeros((batch, capacity), np.int32)
        tokens[:, :p] = primer
        banned = np.zeros(self.vocab_size, bool)
        banned[list(banned_ids)] = True
        quarters = np.zeros(self.vocab_size, np.float32) if token_quarters is None else token_quarters
        limit = max_quarters if max_quarters > 0 else np.inf

        def run(total_len):
            return self._loop(
                tf.constant(tokens), tf.constant(p), tf.constant(total_len), tf.constant(banned),
                tf.constant(quarters, tf.float32), tf.constant(limit, tf.float32),
                tf.constant(float(sampling.temperature)), tf.constant(int(sampling.top_k)),
                tf.constant(float(sampling.top_p)), tf.constant(int(sampling.seed)),
            )

        if tokens.shape not in self.compiled_shapes:  # compile on a one-step run, so speed is speed
            start = time.perf_counter()
            run(min(p + 1, total))
            self.compile_seconds = time.perf_counter() - start
            self.compiled_shapes.add(tokens.shape)
        start = time.perf_counter()
        out, lengths = run(total)
        out, lengths = out.numpy(), lengths.numpy()
        elapsed = time.perf_counter() - start
        return [out[b, p : p + lengths[b]] for b in range(batch)], float(lengths.sum()) / max(elapsed, 1e-9)


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
    pieces: list  # one Piece per variation (the generated part only)
    ids: list  # generated ids per variation
    primer: np.ndarray
    seed: int
    tokens_per_s: float


class Composer:
    """A run ready to write music: model loaded once, generation compiled once per batch size."""

    def __init__(self, run):
        self.run = run
        self.tokenizer = run.tokenizer
        self.generator = Generator(run.load_model(), run.config.model, len(run.tokenizer),
                                   run.config.data.window, run.tokenizer.pad_id)

    def primer_ids(self, primer: str, n_tokens: int, rng: np.random.Generator, piece=None) -> np.ndarray:
        """<bos> alone, a passage of the run's validation music, or the end of a user's piece.

        The piece's header (tempo, instruments) is kept in front of the passage, and a passage of
        the metre scheme starts on a bar line, so the model knows who plays and where the beat is."""
        tok = self.tokenizer
        bos = np.array([tok.bos_id], np.int32)
        if piece is not None:
            ids = tok.encode(piece)[:-1]  # drop <eos>: the music goes on
            head = tok.header(ids)
            body = ids[len(head):][-n_tokens:] if n_tokens > 0 else ids[:0]
        elif primer == "random" and len(windows := self.run.primers()):
            ids = windows[rng.integers(len(windows))]
            ids = ids[ids != tok.pad_id]
            head = tok.header(ids)
            body = ids[len(head):][:n_tokens] if n_tokens > 0 else ids[:0]
        else:
            return bos
        bar_lines = np.flatnonzero(body == tok.index["Bar"]) if "Bar" in tok.index else []
        if len(bar_lines):
            body = body[bar_lines[0]:]  # whole bars
        primer_ids = np.concatenate([head, body]).astype(np.int32)
        return primer_ids if len(primer_ids) else bos

    def compose(self, sample, piece=None) -> Composition:
        """sample: a config.SampleConfig; piece: a Piece to continue (primer = its last tokens)."""
        seed = sample.seed if sample.seed is not None else int(np.random.default_rng().integers(2**31 - 1))
        rng = np.random.default_rng(seed)
        primer = self.primer_ids(sample.primer, sample.primer_tokens, rng, piece)
        tempo = sample.tempo or self.run.data.get("tempo", 120.0)
        max_quarters = sample.seconds * tempo / 60.0 if sample.seconds > 0 else 0.0
        n_new = int(sample.seconds * 96 + 64) if sample.seconds > 0 else sample.length
        ids, speed = self.generator.generate(
            np.repeat(primer[None], max(1, sample.variations), axis=0), n_new,
            Sampling(sample.temperature, sample.top_k, sample.top_p, seed),
            banned_ids=self.tokenizer.special_ids,
            token_quarters=self.tokenizer.token_quarters(self.bar_quarters), max_quarters=max_quarters,
        )
        pieces = []
        for i, seq in enumerate(ids):
            piece = self.tokenizer.decode(np.concatenate([primer, seq]), context=len(primer),
                                          name=f"{self.run.name}-seed{seed}-{i + 1}", tempo=tempo,
                                          parts=self.default_parts, time_signature=self.time_signature)
            if sample.tempo:  # the user's tempo over the one the music says
                piece.tempo = sample.tempo
            self._name_parts(piece)
            if sample.program is not None:
                piece.program = sample.program
            pieces.append(piece)
        return Composition(pieces, ids, primer, seed, speed)

    def _name_parts(self, piece) -> None:
        """Tokens carry instruments, not names: a line-up like the training music's gets its names
        (Soprano, Alto, ... rather than Part 1, Part 2, ...)."""
        usual = self.default_parts or []
        if [(p.program, p.is_drum) for p in usual] == [(p.program, p.is_drum) for p in piece.parts]:
            for part, known in zip(piece.parts, usual):
                part.name = part.name or known.name

    @property
    def time_signature(self) -> tuple[int, int]:
        """The run's usual metre, for passages that do not say theirs."""
        return tuple(self.run.data.get("time_signature", (4, 4)))

    @property
    def bar_quarters(self) -> float:
        from .piece import bar_quarters

        return bar_quarters(*self.time_signature)

    @property
    def default_parts(self) -> list:
        """The run's usual parts (instruments), for passages without a header."""
        from .piece import Part

        return [Part(**p) for p in self.run.data.get("parts", [])] or None


def collapse_warning(ids, max_loop: int = 24) -> str | None:
    """A sentence for a person when generated ids collapsed, else None.

    Collapsed: hardly any distinct tokens (one note over and over), or the second half is one
    short loop repeated. The usual cure is more randomness, so the message says how.
    """
    ids = np.asarray(ids).ravel()
    if len(ids) < 16:
        return None
    advice = "Raise the temperature (e.g. 1.0–1.2) or sample with top-p ≈ 0.9 instead of greedy / low temperature."
    distinct = len(np.unique(ids))
    if distinct <= 3:
        return f"The output collapsed: it uses only {distinct} distinct token(s) — one note or chord repeated. {advice}"
    tail = ids[len(ids) // 2:]
    for period in range(1, min(max_loop, len(tail) // 3) + 1):
        if np.array_equal(tail[period:], tail[:-period]):
            return (f"The output fell into a loop: its second half repeats the same {period} tokens "
                    f"over and over. {advice}")
    return None
