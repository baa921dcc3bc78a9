"""Held-out likelihood: how surprised a run is by music it never trained on.

    split_pieces(run, pieces)   the files it trained and validated on
    heldout(run, val_pieces)    NLL per token, perplexity, next-token accuracy, bits per quarter note
"""
from __future__ import annotations

import math
import weakref

import numpy as np

from ..errors import ModelError
from ..messages import msg
from ..music.piece import START, Piece


def split_pieces(run, pieces: list[Piece], strict: bool = True) -> tuple[list[Piece], list[Piece], str]:
    """(train, validation, how) pieces of `run`, the files it was trained and validated on.

    The recorded file names are used when every one of them is present; otherwise the split is
    redone with the run's seed (when `strict` is false: a dataset given explicitly) or refused.
    """
    from ..data.dataset import split_by_file

    by_name = {p.name: p for p in pieces}
    train_names, val_names = run.data.get("train_files"), run.data.get("val_files")
    if train_names is not None and val_names is not None:
        missing = [n for n in list(train_names) + list(val_names) if n not in by_name]
        if not missing:
            return [by_name[n] for n in train_names], [by_name[n] for n in val_names], "recorded split"
        if strict:
            raise ModelError(msg("said.dataset_changed", name=run.name, n=len(missing), example=missing[0]))
    train_idx, val_idx = split_by_file(len(pieces), run.config.data.val_fraction, run.config.train.seed)
    return [pieces[i] for i in train_idx], [pieces[i] for i in val_idx], "re-split"


def eval_windows(sequences: list[np.ndarray], window: int, targets: str, pad_id: int, from_token: int = 1):
    """Windows that predict every token of every sequence exactly once (so sums are per token).

    targets="sequence": stride = window (each window predicts its `window` next tokens);
    targets="last": stride 1 (each token after the first `window` of a piece is predicted once).
    from_token: only targets at this index of their sequence or later count (weight 0 before), so
    a sequence model can be scored on exactly the tokens a last-step model with window W predicts
    (from_token=W).
    """
    from ..data.dataset import make_windows

    if targets == "last":
        if from_token > window:
            sequences = [s[from_token - window :] for s in sequences]
        return make_windows(sequences, window, 1, "last", pad_id)
    xs, ys, ws = [], [], []
    for seq in sequences:
        for start in range(0, max(1, len(seq) - 1), window):
            part = seq[start : start + window + 1]
            if len(part) < 2:
                continue
            real = len(part) - 1  # targets before the padding
            part = np.pad(part, (0, window + 1 - len(part)), constant_values=pad_id)
            xs.append(part[:-1])
            ys.append(part[1:])
            index = start + 1 + np.arange(window)  # each target's index in its sequence
            ws.append((np.arange(window) < real) & (index >= from_token))
    if not xs:
        raise ModelError(msg("said.val_empty"))
    return np.stack(xs).astype(np.int32), np.stack(ys).astype(np.int32), np.stack(ws).astype(np.float32)


_BATCH_STATS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _batch_stats(model):
    """One compiled statistics function per model, kept while the model lives: a new tf.function
    per call would trace the model again each time (a second or more)."""
    import tensorflow as tf

    if model not in _BATCH_STATS:
        model_ref = weakref.ref(model)  # the function must not keep its own key alive

        @tf.function(reduce_retracing=True)
        def batch_stats(xb, yb, wb):
            logits = model_ref()(xb, training=False)
            nll = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=yb, logits=tf.cast(logits, tf.float32))
            correct = tf.cast(tf.equal(tf.argmax(logits, axis=-1, output_type=tf.int32), yb), tf.float32)
            return tf.reduce_sum(nll * wb), tf.reduce_sum(correct * wb), tf.reduce_sum(wb)

        _BATCH_STATS[model] = batch_stats
    return _BATCH_STATS[model]


def nll_and_accuracy(model, x, y, w, batch_size: int = 256) -> dict:
    """Weighted mean NLL (nats per token), perplexity and next-token accuracy of `model` on windows."""
    import tensorflow as tf

    total_nll = total_correct = total_weight = 0.0
    batch_stats = _batch_stats(model)
    for i in range(0, len(x), batch_size):
        s = batch_stats(tf.constant(x[i : i + batch_size]), tf.constant(y[i : i + batch_size]),
                        tf.constant(w[i : i + batch_size]))
        total_nll += float(s[0])
        total_correct += float(s[1])
        total_weight += float(s[2])
    if total_weight == 0:
        raise ModelError(msg("said.no_val_tokens"))
    nll = total_nll / total_weight
    return {"nll": nll, "perplexity": math.exp(min(nll, 700.0)), "accuracy": total_correct / total_weight,
            "tokens": int(total_weight), "total_nll": total_nll}


def heldout(run, val_pieces: list[Piece], model=None, batch_size: int = 256, from_token: int = 1) -> dict:
    """NLL per token, perplexity and accuracy of a run on its validation pieces.

    Also `bits_per_quarter`: the total NLL in bits over the real length in quarter notes of the
    music whose tokens were predicted (`quarters`, from the pieces themselves: see
    predicted_quarters), a figure two token schemes can share (the article's notes scheme drops
    durations and rare chords, so its task is easier: compare with care). `from_token`: see
    eval_windows.
    """
    model = model if model is not None else run.load_model()
    tokenizer, config = run.tokenizer, run.config
    sequences = [tokenizer.encode(p) for p in val_pieces]
    x, y, w = eval_windows(sequences, config.data.window, config.model.targets, tokenizer.pad_id, from_token)
    stats = nll_and_accuracy(model, x, y, w, batch_size)
    first = max(from_token, config.data.window if config.model.targets == "last" else 1)
    quarters = sum(predicted_quarters(tokenizer, p, seq, first) for p, seq in zip(val_pieces, sequences))
    stats["bits_per_quarter"] = stats.pop("total_nll") / math.log(2) / max(quarters, 1e-9)
    stats["quarters"] = quarters
    stats["files"] = len(val_pieces)
    return stats


def predicted_quarters(tokenizer, piece: Piece, seq: np.ndarray, first: int) -> float:
    """The real length in quarter notes of the music whose tokens seq[first:] are (seq = the
    piece's encoding): from where token `first` starts to the end of the piece.

    Measured on the piece, not with the tokenizer's clock, which is only a stepping rule (the
    notes scheme writes every token half a beat long; the metre scheme counts a bar line as
    four quarters whatever the metre). The notes scheme's tokens are the piece's onsets, so the
    start is exact; in other schemes it is placed by the share of their clock before `first`
    (exact when the whole piece is predicted, first <= 1).
    """
    if first >= len(seq):
        return 0.0
    total = piece.duration_quarters
    if first <= 1:
        return total
    onsets = _token_onsets(tokenizer, piece)
    if onsets is not None:  # seq[i] is body token i - 1; past the last onset only <eos> is left
        return max(0.0, total - float(onsets[first - 1])) if first - 1 < len(onsets) else 0.0
    clock = tokenizer.token_quarters()[seq].astype(np.float64)
    share = clock[first:].sum() / clock.sum() if clock.sum() > 0 else (len(seq) - first) / len(seq)
    return total * float(share)


def _token_onsets(tokenizer, piece: Piece) -> np.ndarray | None:
    """Where each body token of tokenizer.encode(piece) starts, for the notes scheme (one token
    per onset, tokens outside the vocabulary left out as encode does); None for other schemes."""
    from ..tokens.notes import NotesTokenizer
    from ..tokens.base import pitched_notes

    if not isinstance(tokenizer, NotesTokenizer):
        return None
    notes = pitched_notes(piece)
    onsets = np.unique(np.round(notes[:, START], 6))  # the order piece_tokens writes them in
    kept = np.array([t in tokenizer.index for t in tokenizer.piece_tokens(piece)], bool)
    return onsets[kept] if len(onsets) else onsets
