"""Issue 23, item 8: a link for one piece. The share store (musegen.serve.piece_shares): links that
cannot be guessed, that show one piece and nothing else of its owner's, that survive a restart and
the owner's session forgetting the piece, and that stop at once with Stop sharing; then the app:
Share this piece, the link's read-only page in a fresh session, and Stop sharing."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_fixtures import app_env, bundled_runs  # noqa: F401 (fixtures)
from musegen.render.words import piece_title
from conftest import make_piece
from musegen.errors import InputError
from musegen.messages import msg
from musegen.render.midi import piece_to_midi_bytes
from musegen.render.rendering import Rendered
from musegen.serve import piece_shares, visitors
from musegen.serve.saved_session import MAX_PIECES, SavedSession

ROOT = Path(__file__).resolve().parent.parent


def rendered(i: int, name: str | None = None) -> Rendered:
    piece = make_piece(i)
    piece.name = name or f"tune-{i}"
    return Rendered(piece, piece_to_midi_bytes(piece), musicxml="<score-partwise/>", svg=["<svg width='10'/>"],
                    audio=b"OggS" + bytes([i]) * 64, settings={"seed": i, "temperature": 1.0, "top_k": 0,
                                                                "top_p": 1.0}, run="tiny-wavenet")


def owner(runs: Path) -> Path:
    return visitors.Visitor(visitors.owner_key(visitors.new_token())).folder(runs)


# ---------------------------------------------------------------- the store


def test_a_link_opens_its_piece_whole_and_only_its_piece(tmp_path):
    runs = tmp_path / "runs"
    alice = owner(runs)
    first, second = rendered(1, "Alice's waltz"), rendered(2)
    token = piece_shares.share_piece(alice, first)
    assert visitors.valid_token(token) and len(token) >= 43  # 32 random bytes, as the run shares
    got = piece_shares.open_shared_piece(token, runs)
    assert (got.piece.name, got.midi, got.audio, got.svg, got.musicxml, got.run) == (
        "Alice's waltz", first.midi, first.audio, first.svg, first.musicxml, "tiny-wavenet")
    assert piece_shares.share_piece(alice, first) == token  # shared again: the same link
    other = piece_shares.share_piece(alice, second)
    assert other != token and piece_shares.open_shared_piece(other, runs).midi == second.midi
    # The copy is one piece in a folder of its own: nothing of the session, nor the other share.
    copy = piece_shares.find_shared_piece(token, runs)
    assert sorted(p.name for p in copy.iterdir()) == ["meta.json", "piece.mid", "piece.musicxml", "piece.ogg",
                                                        "share.json"]
    assert token not in copy.name  # the folder is named by a hash: a listing gives no link away


@pytest.mark.parametrize("guess", ["", "x", "../../etc/passwd", "A" * 43, None, 42, "a/b" * 20])
def test_a_wrong_or_tampered_link_finds_nothing(tmp_path, guess):
    runs = tmp_path / "runs"
    token = piece_shares.share_piece(owner(runs), rendered(1))
    assert piece_shares.open_shared_piece(guess, runs) is None
    assert piece_shares.open_shared_piece(token[:-1] + ("A" if token[-1] != "A" else "B"), runs) is None


def test_a_copy_whose_token_was_changed_on_disk_is_no_share(tmp_path):
    runs = tmp_path / "runs"
    alice = owner(runs)
    token = piece_shares.share_piece(alice, rendered(1))
    copy = piece_shares.find_shared_piece(token, runs)
    (copy / piece_shares.SHARE).write_text(json.dumps({"token": visitors.new_token(), "piece": ""}))
    assert piece_shares.find_shared_piece(token, runs) is None
    assert piece_shares.shared_pieces(alice) == []


def test_stop_sharing_ends_the_link_at_once_and_only_that_one(tmp_path):
    runs = tmp_path / "runs"
    alice, bob = owner(runs), owner(runs)
    kept, stopped = rendered(1), rendered(2)
    keep_token, stop_token = piece_shares.share_piece(alice, kept), piece_shares.share_piece(alice, stopped)
    bobs = piece_shares.share_piece(bob, rendered(3))
    piece_shares.unshare_piece(bob, stop_token)  # not bob's: nothing happens
    assert piece_shares.open_shared_piece(stop_token, runs) is not None
    piece_shares.unshare_piece(alice, stop_token)
    assert piece_shares.open_shared_piece(stop_token, runs) is None
    assert piece_shares.token_of(alice, stopped) is None
    assert [s.token for s in piece_shares.shared_pieces(alice)] == [keep_token]
    assert piece_shares.open_shared_piece(bobs, runs) is not None
    assert not any(p.name.startswith(".gone") for p in (alice / piece_shares.SHARES).iterdir())  # deleted, not hidden
    piece_shares.unshare_piece(alice, stop_token)  # twice (two tabs): no error
    assert piece_shares.share_piece(alice, stopped) != stop_token  # shared again: a new link, the old one stays dead


def test_a_link_survives_a_restart_and_the_session_forgetting_its_piece(tmp_path):
    """Nothing of it is in memory; and the session keeps only its newest pieces."""
    runs = tmp_path / "runs"
    alice = owner(runs)
    saved = SavedSession(alice / ".session")
    first = rendered(1)
    saved.add_piece(first)
    token = piece_shares.share_piece(alice, saved.pieces()[0])
    for i in range(MAX_PIECES + 1):
        saved.add_piece(rendered(10 + i))
    assert first.midi not in [p.midi for p in saved.pieces()]
    import importlib

    importlib.reload(piece_shares)  # a new server process reads only the disk
    assert piece_shares.open_shared_piece(token, runs).midi == first.midi


def test_a_private_server_shares_from_its_runs_folder(tmp_path):
    runs = tmp_path / "runs"
    token = piece_shares.share_piece(runs, rendered(1))  # MUSEGEN_SINGLE_USER: the owner's folder is runs/
    assert piece_shares.open_shared_piece(token, runs).piece.name == "tune-1"
    from musegen.runs.library import list_runs

    assert list_runs(runs) == []  # the shares are no run


def test_shares_are_capped_and_count_in_the_disk_budget(tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    alice = owner(runs)
    monkeypatch.setattr(piece_shares, "MAX_SHARED_PIECES", 2)
    piece_shares.share_piece(alice, rendered(1))
    piece_shares.share_piece(alice, rendered(2))
    with pytest.raises(InputError) as refusal:
        piece_shares.share_piece(alice, rendered(3))
    assert refusal.value.message == msg("said.piece_shares_cap", n=2)
    bob = owner(runs)
    (bob / "ballast").parent.mkdir(parents=True, exist_ok=True)
    (bob / "ballast").write_bytes(b"x" * 1_000_000)
    with pytest.raises(InputError) as refusal:
        piece_shares.share_piece(bob, rendered(4), budget_mb=1)
    assert refusal.value.message == msg("said.no_room", mb=1)
    assert piece_shares.shared_pieces(bob) == []


# ---------------------------------------------------------------- in the app


def app() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)


def texts(at: AppTest) -> str:
    return " ".join(str(e.value) for kind in ("title", "markdown", "caption", "info", "success", "error", "code")
                    for e in at.get(kind))


def compose_and_share(at: AppTest) -> str:
    """Compose on Generate, share the piece shown; the link's token."""
    at.switch_page("pages/generate.py").run()
    at.button(key="gen-go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.get("code") or "?piece=" not in texts(at)  # nothing shared yet
    at.button(key="share-gen-0").click().run()
    assert not at.exception, [e.value for e in at.exception]
    link = next(str(e.value) for e in at.get("code") if "?piece=" in str(e.value))
    return link.split("?piece=")[1]


def test_homes_first_piece_can_be_shared_from_home(app_env):
    """A newcomer's first piece, made on Home, gets the same Share as Generate's, and its link opens."""
    at = app()
    at.run()
    at.button(key="home-generate").click().run()
    assert not at.exception, [e.value for e in at.exception]
    at.button(key="share-home").click().run()
    assert not at.exception, [e.value for e in at.exception]
    token = next(str(e.value) for e in at.get("code") if "?piece=" in str(e.value)).split("?piece=")[1]
    visitor = app()
    visitor.query_params["piece"] = token
    visitor.run()
    assert not visitor.exception and len(visitor.get("download_button")) >= 1


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_share_this_piece_then_a_fresh_session_opens_it_read_only_then_stop_sharing(app_env, lang):
    owner_at = app()
    owner_at.session_state["ui-lang"] = lang
    owner_at.run()
    token = compose_and_share(owner_at)
    made = owner_at.session_state["pieces"][0]
    name = made.piece.name
    title = piece_title(name, lang, made.settings.get("variations"))  # in words, as Generate titles it

    visitor = app()  # another browser: no cookie, no session, only the link
    visitor.session_state["ui-lang"] = lang
    visitor.query_params["piece"] = token
    visitor.run()
    assert not visitor.exception, [e.value for e in visitor.exception]
    assert visitor.title[0].value == title
    assert len(visitor.get("download_button")) >= 1  # MIDI at least (audio where FluidSynth is installed)
    assert not visitor.button and not visitor.get("file_uploader")  # read-only: no Compose, no Share, no Stop
    assert not visitor.sidebar.children or not visitor.sidebar.get("selectbox")  # not the app: no sidebar
    assert "gen-go" not in [b.key for b in visitor.button]
    if lang == "zh":
        from test_i18n import check_chinese

        check_chinese(visitor)

    owner_at.button(key="unshare-gen-0").click().run()
    assert not owner_at.exception, [e.value for e in owner_at.exception]
    assert "?piece=" not in texts(owner_at) and owner_at.button(key="share-gen-0")  # back to "Share this piece"
    assert owner_at.success and name in owner_at.success[0].value

    visitor.run()  # the page open before: its next run shows no music
    assert visitor.title[0].value == ("This link no longer works" if lang == "en" else "此链接已失效")
    assert not visitor.get("download_button") and not visitor.get("iframe") and not visitor.get("audio")
    fresh = app()
    fresh.query_params["piece"] = token
    fresh.run()
    assert not fresh.get("download_button") and "no longer works" in fresh.title[0].value


def test_a_private_server_shares_a_piece_too(app_env, monkeypatch):
    monkeypatch.setenv("MUSEGEN_SINGLE_USER", "1")
    at = app()
    at.run()
    token = compose_and_share(at)
    assert piece_shares.find_shared_piece(token, app_env).parent.parent == app_env
    visitor = app()
    visitor.query_params["piece"] = token
    visitor.run()
    made = at.session_state["pieces"][0]
    assert visitor.title[0].value == piece_title(made.piece.name, "en", made.settings.get("variations"))
    # The owner finds every share in one list, with its Stop sharing.
    at.run()
    assert any(e.proto.label.endswith("Pieces you share") for e in at.expander)
    at.button(key=f"unshare-list-{token[:12]}").click().run()
    assert piece_shares.find_shared_piece(token, app_env) is None


def test_the_link_is_the_apps_root_whichever_page_shares():
    """Home's address is the root itself (with or without its slash): the link once lost the host there."""
    from ui.piece_share import link_to

    for url in ("http://127.0.0.1:8501", "http://127.0.0.1:8501/", "http://127.0.0.1:8501/generate?x=1"):
        assert link_to("T", url) == "http://127.0.0.1:8501/?piece=T"
    assert link_to("T", "https://demo.example/musegen/generate") == "https://demo.example/musegen/?piece=T"
