"""Generation on NumPy: a trained model's weights, stepped token by token, without TensorFlow.

Importing TensorFlow alone takes seconds and hundreds of megabytes, and generation needs none of
it: at save time the run bundle also gets ``weights.npz`` (plain arrays, read back with
``allow_pickle=False``), and an *engine* computes next-token logits from it:

- the WaveNets keep, per layer, what their causal convolutions' older taps will read (each past
  input's product with those taps), so one new token costs one product per layer (Fast WaveNet);
  a primer goes through all layers at once;
- the LSTM keeps (h, c) per layer;
- the article's set-ups (scalar inputs, a prediction for the last step only) run their whole
  window again for each token, as they were trained.

``Engine.feed`` is the one entry point: it takes any number of new tokens and returns the logits
after each, so generating (one token at a time) and checking against Keras (a whole sequence) use
the same code. Layer names are the contract with ``build.py``.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..config import ModelConfig
from ..errors import ModelError
from ..messages import msg
from ..files import atomic_path, check_npy

WEIGHTS = "weights.npz"


# ---------------------------------------------------------------- weights on disk


def weights_of(model) -> dict[str, list[np.ndarray]]:
    """layer name → its weight arrays, in Keras order, from a Keras model in memory."""
    return {layer.name: [np.asarray(w, np.float32) for w in layer.get_weights()] for layer in model.layers}


def save_weights(weights: dict[str, list[np.ndarray]], path: Path) -> Path:
    """Every layer's weights as ``name:i`` arrays in an .npz (written atomically)."""
    arrays = {f"{name}:{i}": w for name, ws in weights.items() for i, w in enumerate(ws)}
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, **arrays)
    return Path(path)


def export_weights(model, path: Path) -> Path:
    """A Keras model's weights as the .npz generation reads."""
    return save_weights(weights_of(model), path)


def load_weights(path: Path) -> dict[str, list[np.ndarray]]:
    """layer name → its weight arrays, in Keras order. No pickles: a bundle cannot run code."""
    layers: dict[str, list[tuple[int, np.ndarray]]] = {}
    try:
        with zipfile.ZipFile(path) as archive:  # each array's header against its size, before NumPy allocates it
            for info in archive.infolist():
                with archive.open(info) as member:
                    try:
                        check_npy(member, info.file_size)
                    except ValueError as e:
                        raise ValueError(f"{info.filename}: {e}") from None
        with np.load(path, allow_pickle=False) as npz:
            for key in npz.files:
                name, index = key.rsplit(":", 1)
                layers.setdefault(name, []).append((int(index), npz[key]))
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:  # missing, truncated, not an archive
        raise ModelError(msg("said.weights_unreadable", name=Path(path).parent.name, error=str(e))) from e
    return {name: [w for _, w in sorted(ws, key=lambda iw: iw[0])] for name, ws in layers.items()}


def check_weights(weights: dict[str, list[np.ndarray]], config: ModelConfig, vocab_size: int, window: int,
                  source: str = WEIGHTS) -> None:
    """The weights (read from `source`) are the model's that config.json describes, layer by layer
    and shape by shape, and every one is a finite number; else a ModelError whose sentence follows
    the run's name ("tune: weights.npz does not fit …"). A config edited to 16 layers over weights
    of 3, or weights that diverged to NaN, must not fail deep in generation or write noise."""
    from .build import weight_shapes

    def shown(shapes) -> str:
        return ", ".join("×".join(map(str, shape)) or "scalar" for shape in shapes)

    expected = weight_shapes(config, vocab_size, window)
    held = {name: ws for name, ws in weights.items() if len(ws)}
    for name, shapes in expected.items():
        if name not in held:
            raise ModelError(msg("said.w_no_layer", source=source, layer=name))
        got = [tuple(w.shape) for w in held[name]]
        if got != shapes:
            raise ModelError(msg("said.w_shape", source=source, layer=name, got=shown(got), need=shown(shapes)))
    extra = sorted(set(held) - set(expected))
    if extra:
        raise ModelError(msg("said.w_extra", source=source, layer=extra[0]))
    for name, ws in held.items():
        if any(w.dtype.kind not in "fiu" for w in ws):
            raise ModelError(msg("said.w_not_numbers", source=source, layer=name))
        if not all(np.isfinite(w).all() for w in ws):
            raise ModelError(msg("said.weights_nan", layer=name))


# ---------------------------------------------------------------- arithmetic


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow warnings for large |x|


def _relu(x):
    return np.maximum(x, 0.0)


class _History:
    """What one causal convolution's older taps will read, per position: each input's products
    with those taps' weights (the first tap's with the bias added), so a step costs one product.
    Before the start the inputs are zero, so the first tap's slot there holds the bias alone.
    Grown as needed."""

    def __init__(self, batch: int, reach: int, capacity: int, bias: np.ndarray, n_past: int):
        self.reach = reach  # how far back the taps read
        channels = len(bias)
        self.data = np.zeros((batch, reach + capacity, n_past * channels), np.float32)
        self.data[:, :reach, :channels] = bias

    def room(self, end: int) -> np.ndarray:
        """The buffer, long enough to hold position `end - 1`."""
        if self.reach + end > self.data.shape[1]:
            grown = np.zeros((self.data.shape[0], 2 * (self.reach + end), self.data.shape[2]), np.float32)
            grown[:, : self.data.shape[1]] = self.data
            self.data = grown
        return self.data


class _CausalConv:
    """Keras Conv1D(padding="causal"): output t = bias + Σ_j x[t - (k-1-j)·d] · kernel[j].

    An input's products with every tap are taken once, when it arrives: the newest tap's goes
    into this output, the older taps' wait in the history for the outputs that will read them."""

    def __init__(self, kernel: np.ndarray, bias: np.ndarray, dilation: int):
        k, _, channels = kernel.shape
        self.channels, self.bias = channels, bias
        self.reach = (k - 1) * dilation
        self.backs = [(k - 1 - j) * dilation for j in range(k - 1)]  # how far back tap j reads
        # One matrix: [newest tap | tap 0 | tap 1 | … | tap k-2].
        self.weights = np.concatenate([kernel[k - 1]] + [kernel[j] for j in range(k - 1)], axis=-1)

    def __call__(self, history: _History, t: int, x: np.ndarray) -> np.ndarray:
        """x (batch, n, channels in): n new inputs at positions t … t+n-1."""
        c, n = self.channels, x.shape[1]
        products = x @ self.weights
        if not self.backs:
            return products + self.bias
        data = history.room(t + n)
        at = history.reach + t
        data[:, at : at + n] = products[..., c:]
        data[:, at : at + n, :c] += self.bias
        out = products[..., :c]
        for j, back in enumerate(self.backs):
            out = out + data[:, at - back : at - back + n, j * c : (j + 1) * c]
        return out

    def step(self, history: _History, t: int, x: np.ndarray) -> np.ndarray:
        """One new input x (batch, channels): 2-D arrays, the fewest NumPy calls (this is the loop
        generation spends its time in)."""
        c = self.channels
        products = x @ self.weights
        out = products[:, :c]
        if not self.backs:
            out += self.bias
            return out
        data = history.data if history.reach + t < history.data.shape[1] else history.room(t + 1)
        at = history.reach + t
        for j, back in enumerate(self.backs):  # read the older inputs' products before writing ours
            out += data[:, at - back, j * c : (j + 1) * c]
        np.add(products[:, c : 2 * c], self.bias, out=data[:, at, :c])
        if len(self.backs) > 1:
            data[:, at, c:] = products[:, 2 * c :]
        return out

    def history(self, batch: int, capacity: int) -> _History:
        return _History(batch, self.reach, capacity, self.bias, max(len(self.backs), 1))


def _pointwise(weights: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """A 1×1 Conv1D or a Dense layer as (matrix, bias)."""
    kernel, bias = weights
    return kernel.reshape(-1, kernel.shape[-1]), bias


class _State:
    """Where each sequence of a batch is: position, and the model's memory of what came before."""

    def __init__(self, t: int = 0, **memory):
        self.t = t
        self.__dict__.update(memory)


# ---------------------------------------------------------------- the models


class WaveNetEngine:
    def __init__(self, w: dict, config: ModelConfig):
        from .build import wavenet_dilations

        self.embedding = w["embedding"][0]
        self.input_conv = _CausalConv(*w["input_conv"], 1)
        self.layers = []
        dilations = wavenet_dilations(config)
        for i, dilation in enumerate(dilations):
            # Filter and gate read the same taps: one product for both. The gate's half is scaled
            # by 1/2 so that one tanh serves both, sigmoid(g) = (1 + tanh(g / 2)) / 2; the last 1/2
            # moves into the products that read the gated output (residual and skip kernels).
            fused = _CausalConv(np.concatenate([w[f"filter_{i}"][0], 0.5 * w[f"gate_{i}"][0]], -1),
                                np.concatenate([w[f"filter_{i}"][1], 0.5 * w[f"gate_{i}"][1]]), dilation)
            residual = _pointwise(w[f"residual_{i}"]) if i < len(dilations) - 1 else None
            if residual is not None:
                residual = (0.5 * residual[0], residual[1])
            self.layers.append((fused, residual))
        # The skips are summed: one product over all layers' gated outputs side by side.
        skips = [_pointwise(w[f"skip_{i}"]) for i in range(len(dilations))]
        self.skip = (0.5 * np.concatenate([k for k, _ in skips]), sum(b for _, b in skips))
        self.post = _pointwise(w["post_conv"])
        self.out = _pointwise(w["logits"])
        self.channels = config.residual_channels
        self.columns = [slice(i * self.channels, (i + 1) * self.channels) for i in range(len(self.layers))]

    def start(self, batch: int, capacity: int) -> _State:
        return _State(histories=[self.input_conv.history(batch, capacity)]
                      + [conv.history(batch, capacity) for conv, _ in self.layers],
                      gated=np.zeros((batch, len(self.layers) * self.channels), np.float32))

    def feed(self, ids: np.ndarray, state: _State) -> np.ndarray:
        if ids.shape[1] == 1:
            return self._step(ids[:, 0], state)[:, None]
        t, histories, c = state.t, state.histories, self.channels
        x = self.input_conv(histories[0], t, self.embedding[ids])
        gated = []
        for (conv, residual), history in zip(self.layers, histories[1:]):
            fg = np.tanh(conv(history, t, x))
            z = fg[..., :c] * (1.0 + fg[..., c:])  # twice tanh(f)·sigmoid(g)
            gated.append(z)
            if residual is not None:
                x = x + z @ residual[0] + residual[1]
        state.t += ids.shape[1]
        return self._head(np.concatenate(gated, -1))

    def _step(self, token: np.ndarray, state: _State) -> np.ndarray:
        """One token: the same arithmetic as feed on 2-D arrays, in place where it can be (this
        loop is the whole cost of generating; each NumPy call saved is ~1 µs a layer)."""
        t, histories, c, gated = state.t, state.histories, self.channels, state.gated
        x = self.input_conv.step(histories[0], t, self.embedding[token])
        for (conv, residual), history, columns in zip(self.layers, histories[1:], self.columns):
            if len(conv.backs) == 1:  # kernel size 2, the default: the conv's step, inlined
                at, data = history.reach + t, history.data
                if at >= data.shape[1]:
                    data = history.room(t + 1)
                products = x @ conv.weights
                fg = products[:, : 2 * c]
                fg += data[:, at - conv.reach, : 2 * c]
                np.add(products[:, 2 * c :], conv.bias, out=data[:, at])
            else:
                fg = conv.step(history, t, x)
            np.tanh(fg, out=fg)
            gate = fg[:, c:]
            gate += 1.0
            z = np.multiply(fg[:, :c], gate, out=gated[:, columns])  # twice tanh(f)·sigmoid(g)
            if residual is not None:
                update = z @ residual[0]
                update += residual[1]
                update += x
                x = update
        state.t += 1
        return self._head(gated)

    def _head(self, gated: np.ndarray) -> np.ndarray:
        """Skips summed (one product over every layer's gated output), ReLU, 1×1, ReLU, 1×1."""
        skip = gated @ self.skip[0]
        skip += self.skip[1]
        np.maximum(skip, 0.0, out=skip)
        h = skip @ self.post[0]
        h += self.post[1]
        np.maximum(h, 0.0, out=h)
        logits = h @ self.out[0]
        logits += self.out[1]
        return logits


class SimpleWaveNetEngine:
    def __init__(self, w: dict, config: ModelConfig):
        self.embedding = w["embedding"][0]
        self.convs = [_CausalConv(*w[f"conv_{i}"], 2**i) for i in range(config.simple_blocks)]
        self.dense = _pointwise(w["dense"])
        self.out = _pointwise(w["logits"])

    def start(self, batch: int, capacity: int) -> _State:
        return _State(histories=[conv.history(batch, capacity) for conv in self.convs])

    def feed(self, ids: np.ndarray, state: _State) -> np.ndarray:
        x = self.embedding[ids]
        for conv, history in zip(self.convs, state.histories):
            x = _relu(conv(history, state.t, x))
        state.t += ids.shape[1]
        h = _relu(x @ self.dense[0] + self.dense[1])
        return h @ self.out[0] + self.out[1]


def _lstm_layer(x, h, c, kernel, recurrent, bias):
    """A Keras LSTM layer over x (batch, n, features) from state (h, c): gates i, f, c, o in that
    order. The input's share of every gate is one product for all n steps; only h steps."""
    projected = x @ kernel + bias
    outputs = []
    for step in range(x.shape[1]):
        i, f, g, o = np.split(projected[:, step] + h @ recurrent, 4, axis=-1)
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


class LSTMEngine:
    def __init__(self, w: dict, config: ModelConfig):
        self.embedding = w["embedding"][0]
        self.cells = [tuple(w[f"lstm_{i}"]) for i in range(config.lstm_layers)]
        self.units = config.lstm_units
        self.dense = _pointwise(w["dense"])
        self.out = _pointwise(w["logits"])

    def start(self, batch: int, capacity: int) -> _State:
        zeros = np.zeros((batch, self.units), np.float32)
        return _State(hc=[(zeros, zeros) for _ in self.cells])

    def feed(self, ids: np.ndarray, state: _State) -> np.ndarray:
        x = self.embedding[ids]  # (batch, n, dim)
        for layer, cell in enumerate(self.cells):
            x, h, c = _lstm_layer(x, *state.hc[layer], *cell)
            state.hc[layer] = (h, c)
        state.t += ids.shape[1]
        h = _relu(x @ self.dense[0] + self.dense[1])
        return h @ self.out[0] + self.out[1]


class WindowEngine:
    """The article's set-ups: scalar inputs (id / vocabulary size) and/or one prediction from the
    last step of a fixed window. Each token runs the whole window again, as in training."""

    def __init__(self, w: dict, config: ModelConfig, vocab_size: int, window: int, pad_id: int):
        self.w, self.config, self.vocab_size, self.window, self.pad_id = w, config, vocab_size, window, pad_id
        self.convs = ([_CausalConv(*w[f"conv_{i}"], 2**i) for i in range(config.simple_blocks)]
                      if config.kind == "simple-wavenet" else [])

    def start(self, batch: int, capacity: int) -> _State:
        return _State(window=np.full((batch, self.window), self.pad_id, np.int64))

    def feed(self, ids: np.ndarray, state: _State) -> np.ndarray:
        out = []
        for step in range(ids.shape[1]):
            state.window = np.concatenate([state.window[:, 1:], ids[:, step : step + 1]], axis=1)
            out.append(self._forward(state.window))
        state.t += ids.shape[1]
        return np.stack(out, axis=1)

    def _inputs(self, window):
        if self.config.inputs == "scalar":
            return (window / self.vocab_size).astype(np.float32)[..., None]
        return self.w["embedding"][0][window]

    def _forward(self, window: np.ndarray) -> np.ndarray:
        """Logits for the token after the window."""
        w, config, x = self.w, self.config, self._inputs(window)
        if config.kind == "lstm":
            zeros = np.zeros((x.shape[0], config.lstm_units), np.float32)
            for i in range(config.lstm_layers):
                x, _, _ = _lstm_layer(x, zeros, zeros, *w[f"lstm_{i}"])
            last = x[:, -1]
        else:  # simple-wavenet
            for conv in self.convs:
                x = _relu(conv(conv.history(x.shape[0], x.shape[1]), 0, x))
            if config.targets == "last":
                squeeze = _pointwise(w["squeeze"])
                last = _relu(x @ squeeze[0] + squeeze[1]).reshape(x.shape[0], -1)  # Flatten
            else:
                last = x[:, -1]
        dense, out = _pointwise(w["dense"]), _pointwise(w["logits"])
        return _relu(last @ dense[0] + dense[1]) @ out[0] + out[1]


def make_engine(weights: dict, config: ModelConfig, vocab_size: int, window: int, pad_id: int = 0):
    """The fastest engine that computes exactly what this model was trained to compute."""
    if config.inputs == "embedding" and config.targets == "sequence":
        engines = {"wavenet": WaveNetEngine, "simple-wavenet": SimpleWaveNetEngine, "lstm": LSTMEngine}
        return engines[config.kind](weights, config)
    return WindowEngine(weights, config, vocab_size, window, pad_id)


def forced_logits(engine, ids: np.ndarray) -> np.ndarray:
    """Logits after every token of ids (batch, T): what the Keras model's forward pass gives."""
    ids = np.atleast_2d(np.asarray(ids, np.int64))
    return engine.feed(ids, engine.start(ids.shape[0], ids.shape[1]))
