"""Tokenizers: round trips on real pieces (Bach chorales from music21's corpus) and on our own; the
structure every scheme answers (bars, time signatures, parts, instruments, positions, pitches); the
import graph (the base class imports no scheme, and musegen has no new import cycle nor a folder importing a later one)."""
import ast
from pathlib import Path

import numpy as np
import pytest

import musegen
from musegen.config import DataConfig, TokenizerConfig
from musegen.tokens.metre import MetreTokenizer
from musegen.tokens.notes import NotesTokenizer
from musegen.music.piece import DRUM_PROGRAM, DURATION, PITCH, START, Part, Piece
from musegen.tokens.rich import RichTokenizer
from musegen.music.sources import load_pieces
from musegen.tokens.registry import make_tokenizer, schemes, tokenizer_from_json
from musegen.tokens.base import SPECIALS, TIME_SIGNATURES, Tokenizer


@pytest.fixture(scope="module")
def chorales():
    return load_pieces("bach", DataConfig(max_files=4)).pieces


def quantised(piece: Piece, steps=4) -> set:
    """(step, pitch, duration steps) of each note; unisons keep their longest duration."""
    longest = {}
    for s, d, p in piece.notes[:, [START, DURATION, PITCH]]:
        key = (round(s * steps), int(p))
        longest[key] = max(longest.get(key, 0), min(max(round(d * steps), 1), 32))
    return {(s, p, d) for (s, p), d in longest.items()}


def test_rich_round_trip_on_real_chorales(chorales):
    tok = RichTokenizer(TokenizerConfig())
    for piece in chorales:
        ids = tok.encode(piece)
        assert ids[0] == tok.bos_id and ids[-1] == tok.eos_id
        back = tok.decode(ids)
        offset = round(piece.notes[:, START].min() * 4)  # leading silence is dropped
        expected = {(s - offset, p, d) for s, p, d in quantised(piece)}
        assert quantised(back) == expected
        assert len(back.notes) > 100


def test_rich_with_velocity_keeps_dynamics():
    piece = Piece.from_lists("v", [0, 1, 2], [1, 1, 1], [60, 64, 67], [20, 70, 120])
    tok = RichTokenizer(TokenizerConfig(velocity_bins=8))
    back = tok.decode(tok.encode(piece))
    assert np.all(np.abs(back.notes[:, 3] - [20, 70, 120]) <= 8)


def test_rich_long_rests_use_several_shifts_and_clock_adds_up():
    piece = Piece.from_lists("gap", [0, 10], [1, 1], [60, 62])
    tok = RichTokenizer(TokenizerConfig())
    ids = tok.encode(piece)
    assert tok.token_quarters()[ids].sum() == 10.0
    assert tok.decode(ids).notes[1, START] == 10.0


def test_decode_is_lenient_with_model_output():
    tok = RichTokenizer(TokenizerConfig())
    ids = [tok.index[t] for t in ["Dur_4", "Pitch_60", "Pitch_64", "Dur_2", "Shift_4", "Pitch_67"]]
    notes = tok.decode(ids).notes
    # A stray Dur is skipped, a Pitch without Dur lasts a sixteenth, a chord lists its highest first.
    assert notes[:, [START, DURATION, PITCH]].tolist() == [[0.0, 0.5, 64.0], [0.0, 0.25, 60.0], [1.0, 0.25, 67.0]]


def test_notes_scheme_is_the_articles(chorales):
    tok = NotesTokenizer(TokenizerConfig(scheme="notes", min_count=3)).fit(chorales)
    assert "C4" in NotesTokenizer.onset_token(np.array([60])) and NotesTokenizer.onset_token(np.array([60, 64, 67])) == "0.4.7"
    assert tok.dropped, "rare chords must be reported as dropped"
    assert all(n < 3 for n in tok.dropped.values())
    piece = chorales[0]
    back = tok.decode(tok.encode(piece))
    assert np.allclose(np.diff(np.unique(back.notes[:, START])), 0.5)  # the article's fixed half beat
    for token in tok.vocab[3:]:
        assert NotesTokenizer.onset_token(np.array(NotesTokenizer.pitches_of(token))) == token


def test_every_token_rare_is_a_clear_error(chorales):
    from musegen.errors import ModelError

    with pytest.raises(ModelError) as refusal:
        NotesTokenizer(TokenizerConfig(scheme="notes", min_count=10**9)).fit(chorales)
    assert refusal.value.message.code == "said.all_rare"


@pytest.mark.parametrize("scheme", ["rich", "notes"])
def test_tokenizer_json_round_trip(scheme, chorales):
    tok = make_tokenizer(TokenizerConfig(scheme=scheme, min_count=2)).fit(chorales)
    again = tokenizer_from_json(tok.to_json())
    assert again.vocab == tok.vocab
    assert np.array_equal(again.encode(chorales[1]), tok.encode(chorales[1]))


def test_notes_below_c0_get_an_unambiguous_name():
    """Octave -1 would name E (MIDI 4) "E-1", which reads back as E-flat 1 (MIDI 27)."""
    from musegen.errors import ModelError

    tok = NotesTokenizer(TokenizerConfig(scheme="notes"))
    low, e_flat = tok.onset_token(np.array([4])), tok.onset_token(np.array([27]))
    assert low != e_flat and tok.pitches_of(low) == [16] and tok.pitches_of(e_flat) == [27]
    with pytest.raises(ModelError) as refusal:
        tok.pitches_of("C-1")
    assert refusal.value.message.code == "said.not_notes_token"


# ---------------------------------------------------------------- structure


def band() -> Piece:
    """A piano, a bass and drums: four bars of 3/4, then 4/4."""
    notes = []
    for k in range(28):
        t = k * 1.0
        notes += [(t, 1.0, 60 + k % 12, 90, 0), (t, 0.5, 36 + k % 5, 100, 2)]
        if k % 3 == 0:
            notes.append((t, 2.0, 40 + k % 7, 70, 1))
    return Piece("band", np.array(notes, float), tempo=90.0,
                 parts=[Part(program=0), Part(program=33), Part(program=0, is_drum=True)],
                 time_signatures=[(0.0, 3, 4), (12.0, 4, 4)])


def named(tok, prefix: str) -> dict:
    """{id: the rest of the name} of the tokens whose names start with prefix (the test may read names)."""
    return {i: t[len(prefix):] for i, t in enumerate(tok.vocab) if t.startswith(prefix)}


def check_metre_and_bars(tok, position_prefix: str):
    """What a scheme with bar lines and time signatures answers (metre and remi)."""
    assert tok.vocab[tok.bar_id] == "Bar"
    signatures = tok.time_signature_ids()
    assert sorted(f"{n}/{d}" for n, d in signatures.values()) == sorted(TIME_SIGNATURES)
    assert all(tok.vocab[i] == f"TimeSig_{n}/{d}" for i, (n, d) in signatures.items())
    assert tok.vocab[tok.time_signature_id(3, 4)] == "TimeSig_3/4" and tok.time_signature_id(5, 16) is None
    assert tok.position_ids() == {i: int(v) for i, v in named(tok, position_prefix).items()}
    assert tok.position_ids()[tok.index[f"{position_prefix}12"]] == 12
    ids = tok.encode(band())
    # Four bars of 3/4, then 4/4: the bar lines fall where the time signatures say.
    assert tok.bar_offsets(ids, (4, 4)) == [0.0, 3.0, 6.0, 9.0, 12.0, 16.0, 20.0, 24.0]
    assert tok.bar_offsets(ids[:1]) == [0.0]
    opening = tok.opening(100.0, [Part(program=0), Part(program=33)], (3, 4))
    assert opening[0] == tok.bos_id and list(opening[-2:]) == [tok.bar_id, tok.time_signature_id(3, 4)]
    return ids


def test_metre_structure():
    tok = MetreTokenizer(TokenizerConfig(velocity_bins=4))
    ids = check_metre_and_bars(tok, "Pos_")
    assert tok.part_ids() == {tok.index[f"Part_{k}"]: k for k in range(tok.config.max_parts)}
    programs = tok.program_ids()
    assert len(programs) == 129 and programs[tok.index["Program_33"]] == 33
    assert programs[tok.index["Program_drums"]] == DRUM_PROGRAM
    assert tok.pitch_ids() == {tok.index[f"Pitch_{p}"]: p for p in range(21, 109)}
    notes = {tok.vocab[i].split("_")[0] for i in np.flatnonzero(tok.note_mask())}
    assert notes == {"Pos", "Vel", "Pitch", "Dur"}
    # The header names the instruments in part order; the body's part tokens are those parts.
    header = tok.header(ids)
    assert [programs[i] for i in header if i in programs] == [0, 33, DRUM_PROGRAM]
    assert {tok.part_ids()[i] for i in ids if i in tok.part_ids()} == {0, 1, 2}
    opening = tok.opening(100.0, [Part(program=0), Part(program=33)], (3, 4))
    assert [tok.vocab[i] for i in opening] == ["<bos>", "Tempo_101", "Program_0", "Program_33", "Bar", "TimeSig_3/4"]


def test_remi_structure():
    pytest.importorskip("miditok")
    from musegen.tokens.remi import RemiTokenizer

    tok = RemiTokenizer(TokenizerConfig(scheme="remi"))
    check_metre_and_bars(tok, "Position_")
    assert tok.part_ids() == {}  # REMI+ tells parts apart by program alone
    programs = tok.program_ids()
    assert programs[tok.index["Program_-1"]] == DRUM_PROGRAM and programs[tok.index["Program_33"]] == 33
    assert tok.pitch_ids() == {tok.index[f"Pitch_{p}"]: p for p in range(21, 109)}
    notes = {tok.vocab[i].split("_")[0] for i in np.flatnonzero(tok.note_mask())}
    assert notes == {"Position", "Pitch", "PitchDrum", "Duration"}
    assert [tok.vocab[i] for i in tok.opening(100.0, [], (3, 4))] == ["<bos>", "Bar", "TimeSig_3/4"]


@pytest.mark.parametrize("scheme", ["rich", "notes"])
def test_schemes_without_bars_answer_none(scheme, chorales):
    tok = make_tokenizer(TokenizerConfig(scheme=scheme, min_count=2)).fit(chorales)
    assert tok.bar_id is None and tok.time_signature_id(4, 4) is None
    assert tok.time_signature_ids() == tok.part_ids() == tok.program_ids() == tok.position_ids() == {}
    assert list(tok.opening(100.0, [Part()], (3, 4))) == [tok.bos_id]
    assert tok.bar_offsets(tok.encode(chorales[0])) == [0.0]
    assert list(np.flatnonzero(~tok.note_mask())) == [tok.index[t] for t in SPECIALS]
    pitches = tok.pitch_ids()
    if scheme == "rich":
        assert pitches == {tok.index[f"Pitch_{p}"]: p for p in range(21, 109)}
    else:  # a note name sounds one pitch; a chord of pitch classes, several
        chords = [i for i, t in enumerate(tok.vocab) if "." in t]
        assert pitches[tok.index["C4"]] == 60 and chords and not set(chords) & set(pitches)
        assert pitches == {i: tok.pitches_of(t)[0] for i, t in enumerate(tok.vocab)
                           if t not in SPECIALS and len(tok.pitches_of(t)) == 1}


# ---------------------------------------------------------------- the import graph

PACKAGE = Path(musegen.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_level(tree: ast.Module):
    """The nodes of a module outside its functions' bodies: what runs when it is imported."""
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def import_graph(lazy: bool = True) -> dict[str, set[str]]:
    """{module: the musegen modules it imports}, imports inside functions included (a lazy import
    is still a dependency) unless lazy is False, for every module under musegen/ (packages too)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in (ast.walk(tree) if lazy else module_level(tree)):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - node.level + 1]
                    base = ".".join(base + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                candidates = [base] + [f"{base}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                continue
            for candidate in candidates:
                while candidate and candidate not in modules:  # musegen.x.y imported: its module
                    candidate = candidate.rpartition(".")[0]
                if candidate and candidate != name and candidate != "musegen":
                    targets.add(candidate)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def reachable(graph, start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for w in graph.get(todo.pop(), ()):
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return seen


def test_the_tokenizer_base_imports_no_scheme():
    """The base class knows no scheme (it exposes the structure they share); the registry knows them
    all; every scheme module imports the base, not each other."""
    graph = import_graph()
    base = Tokenizer.__module__
    scheme_modules = {cls.__module__ for cls in schemes().values()}
    registry = make_tokenizer.__module__
    assert base not in scheme_modules and registry not in scheme_modules | {base}
    assert not reachable(graph, base) & (scheme_modules | {registry})
    for module in scheme_modules:
        assert base in graph[module] and not reachable(graph, module) & (scheme_modules - {module} | {registry})
    assert not any(component & (scheme_modules | {base, registry}) for component in cycles(graph))


# Cycles that were there before this test, all through imports inside functions. Do not add to it:
# a new cycle fails, and one that goes away may be struck off.
# (runs → disk → visitors → runs went when runs became a package: the import is runs.bundle's, the
# listing runs.library's.)
KNOWN_CYCLES: list[set[str]] = []


def test_musegen_has_no_new_import_cycle():
    new = [sorted(c) for c in cycles(import_graph()) if not any(c <= known for known in KNOWN_CYCLES)]
    assert not new, f"import cycles among musegen modules: {new}"


# The folders of musegen/ in the order the data flows through them; a module of one folder imports
# no module of a later folder when it is imported (inside a function it may: a lazy import is there
# to keep an earlier stage light). The modules at the top of musegen/ (paths, config, errors, runs,
# studio, cli…) are outside this order.
STAGES = ["music", "tokens", "data", "models", "train", "generate", "render", "evaluate", "serve"]
# Module-level imports against the flow that are there on purpose. Do not add to it lightly.
KNOWN_BACKWARD = {
    # parsepool starts its parse processes with spawned.start (stdlib only: it hides the app's __main__
    # from the child), the same helper serve's training workers use.
    ("musegen.music.parsepool", "musegen.serve.spawned"),
    ("musegen.music.parsepool", "musegen.serve"),  # the package of the same import (from ..serve import spawned)
}


def stage(module: str) -> int | None:
    parts = module.split(".")
    return STAGES.index(parts[1]) if len(parts) > 1 and parts[1] in STAGES else None


def test_no_stage_imports_a_later_stage_at_module_level():
    backward = {
        (module, target)
        for module, targets in import_graph(lazy=False).items()
        for target in targets
        if stage(module) is not None and stage(target) is not None and stage(target) > stage(module)
    }
    assert backward == KNOWN_BACKWARD, f"module-level imports of a later folder: {sorted(backward - KNOWN_BACKWARD)}; struck off: {sorted(KNOWN_BACKWARD - backward)}"


def test_no_stage_imports_the_apps_logic():
    """musegen.studio is the pages' logic, above every stage: training, the job server and the rest
    find their folders in musegen.paths, never there (not even inside a function)."""
    graph = import_graph()
    offenders = sorted((module, target) for module, targets in graph.items() if stage(module) is not None
                       for target in targets if target == "musegen.studio" or target.startswith("musegen.studio."))
    assert not offenders, f"stage modules that import musegen.studio: {offenders}"
