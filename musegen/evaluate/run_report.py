"""Everything for one run: held-out likelihood, generated music against real, collapse, memorisation.

    evaluate(run)   all of it in one dict (the CLI's `musegen evaluate`, the study)
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError, ModelError
from ..messages import msg
from ..music.piece import Piece
from .against_real import compare_sets, real_excerpts
from .collapse import collapse, collapse_reason
from .heldout import heldout, split_pieces
from .memorisation import TrainingIndex, copy_against_chance
from .structure import structure_summary


def summarize_generation(ids_list: list[np.ndarray], index: TrainingIndex,
                         pieces: list[Piece] | None = None) -> dict:
    """Collapse and memorisation over several generated sequences; given their decoded `pieces`
    too, an ostinato lock-in counts as collapsed (`locked_in`: how many; None without pieces)."""
    by_piece = list(pieces) if pieces is not None else [None] * len(ids_list)
    rows = [collapse(ids, piece) for ids, piece in zip(ids_list, by_piece)]
    copies = [index.longest_copy(ids) for ids in ids_list]
    longest = max(copies, key=lambda c: c.tokens)
    warnings = [w for w in (collapse_reason(piece, ids) for ids, piece in zip(ids_list, by_piece)) if w]
    return {
        "collapse": {
            "distinct_tokens": float(np.mean([r["distinct_tokens"] for r in rows])),
            "distinct_tokens_min": int(min(r["distinct_tokens"] for r in rows)),
            "loop_tokens_max": int(max(r["loop_tokens"] for r in rows)),
            "collapsed": int(sum(r["collapsed"] for r in rows)),
            "locked_in": int(sum(r["locked_in"] for r in rows)) if pieces is not None else None,
            "pieces": len(rows),
            "warning": str(warnings[0]) if warnings else None,  # the report's English (the CLI, study.json)
        },
        "memorisation": {
            "longest_copy": longest.tokens,
            "longest_copy_file": longest.file,
            "mean_longest_copy": float(np.mean([c.tokens for c in copies])),
            "copied_16gram_share": float(np.mean([index.copied_share(ids, 16) for ids in ids_list])),
        },
    }


MAX_PIECES = 1000  # pieces evaluate() generates


def check_evaluate(n_pieces: int, length: int, temperature: float, top_p: float, seed: int) -> None:
    """evaluate()'s settings, each refused in one sentence before any music is read or model loaded
    (a temperature of -1 once failed only after 10 s and 1.3 GB of reading the data)."""
    from ..config import SampleConfig

    if isinstance(n_pieces, bool) or not isinstance(n_pieces, int) or not 1 <= n_pieces <= MAX_PIECES:
        raise InputError(msg("said.between", name="pieces", low=1, high=f"{MAX_PIECES:,}", value=repr(n_pieces)))
    SampleConfig(length=length, temperature=temperature, top_p=top_p, seed=seed).check()


def evaluate(run, pieces: list[Piece] | None = None, *, n_pieces: int = 8, length: int = 400,
             temperature: float = 1.0, top_p: float = 1.0, seed: int = 0, strict: bool = True,
             model=None, composer=None, heldout_stats: dict | None = None) -> dict:
    """Held-out NLL / perplexity / accuracy, then `n_pieces` generated pieces against real excerpts
    of the training data (musical features, overlap and KL; structure statistics side by side),
    collapse (tokens and ostinato lock-in) and memorisation."""
    from ..generate.sample import Composer
    from ..music.sources import load_pieces

    check_evaluate(n_pieces, length, temperature, top_p, seed)
    if pieces is None:
        pieces = load_pieces(run.config.data.dataset, run.config.data).pieces
    train_pieces, val_pieces, how = split_pieces(run, pieces, strict=strict)
    if not val_pieces:
        raise ModelError(msg("said.no_val_files", name=run.name))
    composer = composer or Composer(run)
    stats = heldout_stats or heldout(run, val_pieces, model=model)

    tokenizer = run.tokenizer
    train_ids = [tokenizer.encode(p) for p in train_pieces]
    index = TrainingIndex(train_ids, [p.name for p in train_pieces])
    compositions = plain_compositions(composer, n_pieces, length, temperature, top_p, seed)
    generated_ids = [c.ids[0] for c in compositions]
    tokens_per_s = float(np.mean([c.tokens_per_s for c in compositions[1:] or compositions]))  # first compiles
    tempo = run.data.get("tempo", 120.0)
    _, real = real_excerpts(train_ids, tokenizer, length, max(n_pieces, 16), seed, tempo)
    generated = [c.pieces[0] for c in compositions]  # an output with no notes is scored as such
    musical = compare_sets(real, generated)
    summary = summarize_generation(generated_ids, index, generated)
    val_ids = [tokenizer.encode(p) for p in val_pieces]
    summary["memorisation"].update(copy_against_chance(generated_ids, val_ids, index, tokenizer, length, seed + 1, tempo))
    return {
        "run": str(run.path),
        "dataset": run.config.data.dataset,
        "model": run.config.model.kind,
        "scheme": run.config.tokenizer.scheme,
        "params": run.summary.get("params"),
        "split": how,
        "val_files": stats["files"],
        "val_tokens": stats["tokens"],
        "nll": stats["nll"],
        "perplexity": stats["perplexity"],
        "accuracy": stats["accuracy"],
        "bits_per_quarter": stats["bits_per_quarter"],
        "temperature": temperature,
        "pieces": len(compositions),
        "tokens_per_s": tokens_per_s,
        "musical": _musical_summary(musical),
        "structure": {"real": structure_summary(real), "generated": structure_summary(generated, generated_ids)},
        "overlap": musical["overlap"],
        "kl": musical["kl"],
        **summary,
    }


def plain_compositions(composer, n_pieces: int, length: int, temperature: float, top_p: float, seed: int) -> list:
    """One piece per seed, each from its own real primer (a batch would share one primer). Plain
    sampling (one temperature for every token), no steering rules (no guard, no bar echo, no chords
    on the beat, no rhythm like its music): this measures the model itself."""
    from ..config import SampleConfig

    return [composer.compose(SampleConfig(length=length, temperature=temperature,
                                          rhythm_temperature=max(temperature, 0.05), top_p=top_p,
                                          seed=seed + i, primer="random", repetition_guard=False, echo=0.0,
                                          harmony=0.0, match_rhythm=False))
            for i in range(n_pieces)]


def _musical_summary(musical: dict) -> dict:
    rows = musical.get("features", {})
    return {name: {k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()} for name, row in rows.items()}
