"""The three models, each one short function returning an uncompiled ``keras.Model``.

All take token ids of shape (batch, time) and return next-token logits: (batch, time, vocab) when
trained on every position (``targets="sequence"``), (batch, vocab) for the article's last-step
setup. The softmax lives in the loss and the sampler (numerically safer than a softmax layer).
Layer names are part of the contract: ``generate/sample.py`` reads the weights by name for fast stepping.
"""
from __future__ import annotations

import math

from ..config import ModelConfig
from ..errors import ModelError
from ..messages import msg


# Far beyond any model this project trains (the bundled ones have under a million parameters), and
# at 16 bytes a parameter with Adam's two slots already 1.6 GB before a single activation: a typo in
# a config (4,096 channels in 256 layers: 25 billion) is refused before TensorFlow tries it.
MAX_PARAMETERS = 100_000_000


def build_model(config: ModelConfig, vocab_size: int, window: int):
    builders = {"wavenet": build_wavenet, "simple-wavenet": build_simple_wavenet, "lstm": build_lstm}
    if config.kind not in builders:
        raise ModelError(msg("said.unknown_model", kind=config.kind, known=", ".join(builders)))
    if config.kind == "wavenet" and (config.inputs != "embedding" or config.targets != "sequence"):
        raise ModelError(msg("said.wavenet_full"))
    check_size(config, vocab_size, window)
    return builders[config.kind](config, vocab_size, window)


def weight_shapes(config: ModelConfig, vocab_size: int, window: int) -> dict[str, list[tuple[int, ...]]]:
    """Layer name → the shapes of its weights, in Keras order, for the model the builders below
    make (without building it): what a run's weights must hold, and what the model costs."""
    v = vocab_size
    shapes: dict[str, list[tuple[int, ...]]] = {}
    width = 1  # the article's scalar inputs: one feature, no weights
    if config.inputs == "embedding":
        shapes["embedding"] = [(v, config.embedding_dim)]
        width = config.embedding_dim
    if config.kind == "wavenet":
        r, s, k = config.residual_channels, config.skip_channels, config.kernel_size
        shapes["input_conv"] = [(k, width, r), (r,)]
        layers = len(wavenet_dilations(config))
        for i in range(layers):
            shapes[f"filter_{i}"] = shapes[f"gate_{i}"] = [(k, r, r), (r,)]
            shapes[f"skip_{i}"] = [(1, r, s), (s,)]
            if i < layers - 1:
                shapes[f"residual_{i}"] = [(1, r, r), (r,)]
        shapes["post_conv"] = [(1, s, s), (s,)]
        shapes["logits"] = [(1, s, v), (v,)]
    elif config.kind == "simple-wavenet":
        f, d = config.simple_filters, config.simple_dense
        for i in range(config.simple_blocks):
            shapes[f"conv_{i}"] = [(config.simple_kernel_size, width if i == 0 else f, f), (f,)]
        if config.targets == "last":
            shapes["squeeze"] = [(1, f, 1), (1,)]
        shapes["dense"] = [(window if config.targets == "last" else f, d), (d,)]
        shapes["logits"] = [(d, v), (v,)]
    else:
        u, d = config.lstm_units, config.lstm_dense
        for i in range(config.lstm_layers):
            shapes[f"lstm_{i}"] = [(width if i == 0 else u, 4 * u), (u, 4 * u), (4 * u,)]
        shapes["dense"] = [(u, d), (d,)]
        shapes["logits"] = [(d, v), (v,)]
    return shapes


def parameter_count(config: ModelConfig, vocab_size: int, window: int) -> int:
    return sum(math.prod(shape) for shapes in weight_shapes(config, vocab_size, window).values() for shape in shapes)


def check_size(config: ModelConfig, vocab_size: int, window: int) -> None:
    """A model too big to train here is refused in words before TensorFlow runs out of memory."""
    n = parameter_count(config, vocab_size, window)
    if n > MAX_PARAMETERS:
        raise ModelError(msg("said.model_too_big", n=f"{n:,}", most=f"{MAX_PARAMETERS:,}"))


def _inputs(config: ModelConfig, vocab_size: int, window: int):
    """Token ids in; embeddings, or the article's scalars ids / vocab_size."""
    import keras
    from keras import layers

    length = window if config.targets == "last" else None
    ids = keras.Input(shape=(length,), dtype="int32", name="tokens")
    if config.inputs == "scalar":
        x = layers.Reshape((-1, 1), name="as_scalar")(ids)
        x = layers.Rescaling(1.0 / vocab_size, name="scale")(x)
    elif config.inputs == "embedding":
        x = layers.Embedding(vocab_size, config.embedding_dim, name="embedding")(ids)
    else:
        raise ModelError(msg("said.unknown_inputs", inputs=config.inputs))
    return ids, x


def build_lstm(config: ModelConfig, vocab_size: int, window: int):
    """The article's LSTM: LSTM(128) ×2 → Dense(256, relu) → Dense(vocab)."""
    import keras
    from keras import layers

    ids, x = _inputs(config, vocab_size, window)
    for i in range(config.lstm_layers):
        last_layer = i == config.lstm_layers - 1
        return_sequences = config.targets == "sequence" or not last_layer
        x = layers.LSTM(config.lstm_units, return_sequences=return_sequences, name=f"lstm_{i}")(x)
        x = layers.Dropout(config.dropout, name=f"lstm_dropout_{i}")(x)
    x = layers.Dense(config.lstm_dense, activation="relu", name="dense")(x)
    logits = layers.Dense(vocab_size, name="logits")(x)
    return keras.Model(ids, logits, name="lstm")


def build_simple_wavenet(config: ModelConfig, vocab_size: int, window: int):
    """The article's simple WaveNet: causal Conv1D with dilation 1, 2, 4, … and ReLU, no gates.

    Last-step (the article): a 1×1 conv to one channel, Flatten, Dense(128), Dense(vocab).
    Every position (ours): the same stack, then Dense(128) and Dense(vocab) at each time step.
    """
    import keras
    from keras import layers

    ids, x = _inputs(config, vocab_size, window)
    for i in range(config.simple_blocks):
        x = layers.Conv1D(
            config.simple_filters, config.simple_kernel_size, dilation_rate=2**i,
            padding="causal", activation="relu", name=f"conv_{i}",
        )(x)
        x = layers.Dropout(config.dropout, name=f"conv_dropout_{i}")(x)
    if config.targets == "last":
        x = layers.Conv1D(1, 1, activation="relu", name="squeeze")(x)
        x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(config.simple_dense, activation="relu", name="dense")(x)
    logits = layers.Dense(vocab_size, name="logits")(x)
    return keras.Model(ids, logits, name="simple_wavenet")


def wavenet_dilations(config: ModelConfig) -> list[int]:
    return [2**i for _ in range(config.stacks) for i in range(config.dilation_depth)]


def receptive_field(config: ModelConfig) -> int:
    """How many past tokens can reach one output."""
    if config.kind == "wavenet":
        k = config.kernel_size
        return 1 + (k - 1) + (k - 1) * sum(wavenet_dilations(config))
    if config.kind == "simple-wavenet":
        return 1 + (config.simple_kernel_size - 1) * sum(2**i for i in range(config.simple_blocks))
    return 0  # recurrent: unbounded


def build_wavenet(config: ModelConfig, vocab_size: int, window: int):
    """The full WaveNet block the article describes.

    Causal input conv; per layer a dilated causal conv split into tanh filter and sigmoid gate,
    multiplied; a 1×1 conv back to the residual stream (added to the input) and a 1×1 skip conv;
    the skips summed → ReLU → 1×1 → ReLU → 1×1 to the vocabulary.
    """
    import keras
    from keras import layers

    ids, x = _inputs(config, vocab_size, window)
    r, k = config.residual_channels, config.kernel_size
    x = layers.Conv1D(r, k, padding="causal", name="input_conv")(x)
    skips = []
    dilations = wavenet_dilations(config)
    for i, dilation in enumerate(dilations):
        filt = layers.Conv1D(r, k, dilation_rate=dilation, padding="causal", activation="tanh", name=f"filter_{i}")(x)
        gate = layers.Conv1D(r, k, dilation_rate=dilation, padding="causal", activation="sigmoid", name=f"gate_{i}")(x)
        z = layers.Multiply(name=f"gated_{i}")([filt, gate])
        z = layers.Dropout(config.dropout, name=f"dropout_{i}")(z)
        skips.append(layers.Conv1D(config.skip_channels, 1, name=f"skip_{i}")(z))
        if i < len(dilations) - 1:  # the last layer only feeds the skips
            x = layers.Add(name=f"residual_add_{i}")([x, layers.Conv1D(r, 1, name=f"residual_{i}")(z)])
    skip_sum = layers.Add(name="skip_sum")(skips) if len(skips) > 1 else skips[0]
    out = layers.Activation("relu", name="skip_relu")(skip_sum)
    out = layers.Conv1D(config.skip_channels, 1, activation="relu", name="post_conv")(out)
    logits = layers.Conv1D(vocab_size, 1, name="logits")(out)
    return keras.Model(ids, logits, name="wavenet")
