"""Issue 24: a demo strangers cannot take down. Everything a visitor stores (runs, imports, uploads,
kept sessions) counts against the disk budget for all visitors, and room is never made with
another visitor's work: their new work is refused instead, in words. A share ends everywhere when
its owner ends it, and only owners download a run's bundle."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_fixtures import app_env, bundled_runs  # noqa: F401 (fixtures)
from conftest import Loaded, make_piece, musegen, refused, tiny_config
from musegen.serve import disk, jobs, visitors
from musegen.serve.job import Job
from musegen.studio import run_library
from musegen.config import AppLimits, DataConfig, Limits
from musegen.errors import InputError, ModelError
from musegen.messages import msg
from musegen.render.midi import piece_to_midi_bytes
from musegen.runs.library import list_runs
from musegen.runs.bundle import import_run, zip_run
from musegen.serve.saved_session import SavedSession
from musegen.music.sources import load_pieces


def visitor(runs, key):
    folder = runs / "visitors" / key
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def ballast(folder, name, mb: float, used: float | None = None):
    """A stand-in run of `mb` MB, last used at time `used` (None: never used since it was made)."""
    run = folder / name
    run.mkdir(parents=True)
    (run / "model.keras").write_bytes(b"x" * int(mb * 1_000_000))
    if used is not None:
        disk.touch(run)
        os.utime(run / disk.USED, (used, used))
    return run


# ---------------------------------------------------------------- 1. disk budgets


def test_imports_are_refused_past_the_visitor_s_cap_or_the_disk_budget(tmp_path, trained_run):
    bundle = tmp_path / "tiny.zip"
    bundle.write_bytes(zip_run(trained_run.path))
    runs = tmp_path / "runs"
    alice, bob, carol = (visitor(runs, key) for key in ("alice", "bob", "carol"))
    limits = AppLimits(max_runs_per_visitor=3, max_runs_mb=2)
    for _ in range(3):
        import_run(bundle, alice, limits=limits)
    with pytest.raises(InputError) as refusal:
        import_run(bundle, alice, limits=limits)
    assert refusal.value.message == msg("said.runs_cap", n=3)
    refused(musegen("import", bundle, "--runs", alice, MUSEGEN_MAX_RUNS_PER_VISITOR="3"), "You have 3 runs")

    ballast(bob, "big", 2 - disk.stored(alice) / 1e6)  # bob's run fills what is left of the budget
    with pytest.raises(InputError) as refusal:
        import_run(bundle, carol, limits=limits)
    assert refusal.value.message == msg("said.no_room", mb=2)
    assert len(list_runs(alice)) == 3 and not any(carol.iterdir())  # nothing half-imported either
    assert import_run(bundle, runs, limits=limits).parent == runs  # the server's own runs: not a visitor's budget


def test_a_training_makes_room_only_with_its_own_visitor_s_runs_and_is_refused_when_others_fill_it(tmp_path):
    """Past the budget, a training's end once deleted the runs unused the longest of *any* visitor:
    another visitor's only run went, with no notice to them."""
    runs = tmp_path / "runs"
    alice, bob = visitor(runs, "alice"), visitor(runs, "bob")
    bobs = ballast(bob, "only", 0.6, used=1_000)  # unused the longest of all
    old = ballast(alice, "old", 0.3, used=2_000)
    new = ballast(alice, "new", 0.3)
    reg = jobs.Registry(AppLimits(max_runs_mb=1), samples=False)
    notice = reg._evict_old_runs(Job("id-new", "new", tiny_config(), new, owner="alice", run_path=new))
    assert bobs.exists() and not old.exists() and new.exists()
    assert notice == [msg("said.disk_full", mb="1", n=1)]

    ballast(bob, "more", 0.5)  # now past the budget because of bob: alice's new work waits, bob keeps his
    with pytest.raises(InputError) as refusal:
        reg.submit(tiny_config(), alice / "next", pieces=Loaded([make_piece(0)]), owner="alice")
    assert refusal.value.message.code == "said.no_room"
    assert reg.list_jobs() == [] and bobs.exists() and new.exists()


def test_refused_uploads_are_not_kept_and_uploads_count_in_the_budget(tmp_path):
    runs = tmp_path / "runs"
    alice, bob = visitor(runs, "alice"), visitor(runs, "bob")
    good = piece_to_midi_bytes(make_piece(0, bars=4))
    files = [("song.mid", good)] + [(f"huge-{i}.mid", b"MThd" + bytes(200_000)) for i in range(3)]
    result = load_pieces(files, DataConfig(limits=Limits(max_file_bytes=100_000)), cache_dir=False)
    assert len(result.pieces) == 1 and all(str(r.reason).startswith("too large") for r in result.skipped)

    session = SavedSession(alice / ".session", budget_mb=1)
    session.save_dataset("4 uploaded file(s)", files=files, report=result.report)
    assert disk.size_of(alice / ".session" / "uploads") == len(good)  # the three refused ones are not on disk
    assert [name for name, _ in session.dataset()["files"]] == ["song.mid"]

    ballast(bob, "run", 1)  # another visitor's work fills the budget: alice's next upload does not fit
    with pytest.raises(InputError) as refusal:
        session.save_dataset("b.mid", files=[("b.mid", good * 2)], report=[])
    assert refusal.value.message.code == "said.no_room"
    assert [name for name, _ in session.dataset()["files"]] == ["song.mid"]  # her chosen music stays
    session.save_dataset("Bach chorales", name="bach")  # what frees room is never refused
    assert session.dataset()["name"] == "bach" and not (alice / ".session" / "uploads").exists()


# ---------------------------------------------------------------- 4. sharing


def test_a_share_ends_everywhere_when_its_owner_ends_it_and_only_owners_download(tmp_path, monkeypatch, trained_run):
    """Stop sharing once left the run in the library of whoever had opened its link (kept there as a
    path, never checked again), to compose with and to download whole."""
    runs = tmp_path / "runs"
    monkeypatch.setenv("MUSEGEN_RUNS", str(runs))
    monkeypatch.setenv("MUSEGEN_BUNDLED_DIR", str(tmp_path / "no-bundled-runs"))
    alice, bob = (visitors.Visitor(visitors.owner_key(visitors.new_token())) for _ in range(2))
    run = Path(shutil.copytree(trained_run.path, alice.folder(runs) / "alices-tune"))
    token = visitors.share(run)
    assert visitors.open_share(bob, token, runs) == run
    assert [e.path for e in run_library.library(bob)] == [run]
    assert run_library.may_download(alice, run) and not run_library.may_download(bob, run)
    assert run_library.bundle_for(alice, run)[:2] == b"PK"
    with pytest.raises(ModelError) as refusal:
        run_library.bundle_for(bob, run)
    assert refusal.value.message == msg("said.not_owner", name="alices-tune")

    run = run.rename(run.with_name("renamed"))  # a share follows its run
    assert [e.path for e in run_library.library(bob)] == [run]
    visitors.unshare(run)
    assert visitors.shared_with(bob, runs) == ([], [run])  # where it was, for a word to bob; then forgotten
    assert run_library.library(bob) == [] and visitors.shared_with(bob, runs) == ([], [])
    visitors.share(run)  # shared again: a new link, which bob has not opened
    assert run_library.library(bob) == []


def test_in_the_app_a_shared_run_has_no_download_and_composing_after_its_share_ended_says_so(app_env, bundled_runs):  # noqa: F811
    alice = visitors.Visitor(visitors.owner_key(visitors.new_token()))
    run = shutil.copytree(bundled_runs / "tiny-wavenet", alice.folder(app_env) / "alices-tune")
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=180)
    at.query_params["shared"] = visitors.share(run)
    at.run()
    at.switch_page("pages/train.py").run()
    assert any(e.label.startswith("alices-tune") for e in at.expander)
    assert len(at.get("download_button")) == 2  # the two bundled runs' bundles; none for a run lent by a share

    at.switch_page("pages/generate.py").run()
    at.selectbox(key="gen-run").set_value(str(run)).run()
    visitors.unshare(run)
    at.button(key="gen-go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "alices-tune** is no longer shared with you" in " ".join(str(e.value) for e in at.error)
    assert at.session_state["pieces"] == []  # nothing composed, with it or with another model in its place
    assert at.selectbox(key="gen-run").value != str(run)
