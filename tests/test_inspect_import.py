"""Issue 10, items 4 and 5 on the command line: the per-file report when music is read (`train`,
`inspect`), and run bundles imported from a .zip (`musegen import`, runs.bundle.import_run).

The data is made here: a folder of good MIDI files with bad ones among them, and bundles zipped from
the session's tiny trained run, then damaged in one way each.
"""
import hashlib
import io
import json
import zipfile

import pytest

from conftest import make_piece, musegen, refused, tiny_config
from musegen.errors import InputError, ModelError
from musegen.render.midi import piece_to_midi_bytes
from musegen.runs.bundle import MANIFEST, import_run, zip_run
from musegen.runs.folder import Run
from musegen.music.report import FileReport, LoadResult

BAD = {  # file → what its line must say
    "empty.mid": "empty.mid: empty file",
    "garbage.mid": "garbage.mid: not a MIDI file",
    "readme.txt": "readme.txt: not a MIDI or score file (.txt)",
}
ESCAPED = "evil\x1b[2Jname.mid"  # a name that would clear the screen if printed raw


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """Six good MIDI files, an empty one, garbage under a .mid name, a text file, a hostile name."""
    folder = tmp_path_factory.mktemp("mixed") / "music"
    folder.mkdir()
    for i in range(6):
        (folder / f"good-{i:02d}.mid").write_bytes(piece_to_midi_bytes(make_piece(i, bars=4)))
    (folder / "empty.mid").write_bytes(b"")
    (folder / "garbage.mid").write_bytes(bytes(range(256)) * 4)
    (folder / "readme.txt").write_text("not music")
    (folder / ESCAPED).write_bytes(b"MThd")
    return folder


# ------------------------------------------------------------------ the per-file report


def test_train_lists_skipped_files_with_reasons_and_json_carries_the_report(tmp_path, mixed):
    config = tmp_path / "tiny.json"
    config.write_text(tiny_config().to_json())
    common = ["train", "--config", config, "--dataset", mixed, "--epochs", 1, "--window", 16, "--stride", 8]

    text = musegen(*common, "--out", tmp_path / "run-a")
    assert text.returncode == 0, text.stderr
    lines = text.stderr.splitlines()
    assert "6 files read, 4 skipped:" in lines
    for line in BAD.values():
        assert any(x.startswith("  " + line) for x in lines), text.stderr
    assert "\x1b" not in text.stderr and "  evil\\x1b[2Jname.mid: " in text.stderr, "names are escaped"
    assert "more (see --json" not in text.stderr

    result = musegen(*common, "--out", tmp_path / "run-b", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", "--json: nothing on the terminal but the JSON"
    summary = json.loads(result.stdout)
    assert summary["files"] == {**summary["files"], "files": 10, "parsed": 6, "skipped": 4}
    report = {r["name"]: r for r in summary["report"]}
    assert set(report) == {f"good-{i:02d}.mid" for i in range(6)} | set(BAD) | {ESCAPED}
    for row in report.values():
        assert set(row) >= {"name", "status", "reason", "notes", "seconds"}
        if row["name"].startswith("good"):
            assert row["status"] == "parsed" and row["reason"] == "" and row["notes"] > 0 and row["seconds"] > 0
        else:
            assert row["status"] == "skipped" and row["reason"] and row["notes"] == 0
    for name, line in BAD.items():
        assert f"{name}: {report[name]['reason']}".startswith(line)


def test_a_long_list_of_skipped_files_is_cut_short(capsys):
    report = [FileReport(f"junk-{i:02d}.txt", "skipped", "not a MIDI or score file (.txt)") for i in range(27)]
    report.append(FileReport("a.mid", "parsed", "", 10, 5.0))
    from musegen.cli.data import SKIPPED_SHOWN, say_files

    say_files(LoadResult([], report, "test"))
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "1 files read, 27 skipped:"
    assert lines[1:-1] == [f"  junk-{i:02d}.txt: not a MIDI or score file (.txt)" for i in range(SKIPPED_SHOWN)]
    assert lines[-1] == "  … and 7 more (see --json or musegen inspect)"


def test_inspect_a_folder(mixed):
    text = musegen("inspect", mixed)
    assert text.returncode == 0, text.stderr
    out = text.stdout
    assert f"{mixed}: 10 files, 6 parsed, 4 skipped" in out
    for label in ("Music: ", " notes, ", " minutes", "Pitch range: ", "Time signatures: 4/4 in 6 of 6 pieces",
                  "Tempo: 100 BPM in 6 of 6 pieces", "Parts per piece: 1 in 6 of 6 pieces", "Skipped:"):
        assert label in out, out
    for line in BAD.values():
        assert "  " + line in out
    assert "\x1b" not in out and "evil\\x1b[2Jname.mid" in out

    listed = musegen("inspect", mixed, "--files").stdout
    assert "  good-00.mid: " in listed and " notes, " in listed and "  empty.mid: skipped: empty file" in listed
    assert ", 4/4, C major / A minor, 100 bpm" in listed, listed  # what each file was read as

    result = json.loads(musegen("inspect", mixed, "--json").stdout)
    assert (result["files"], result["parsed"], result["skipped"]) == (10, 6, 4)
    stats = result["stats"]
    assert stats["pieces"] == 6 and stats["notes"] == result["notes"] > 0 and stats["minutes"] > 0
    low, high = stats["pitch_range"]["lowest"], stats["pitch_range"]["highest"]
    assert 30 < low < high < 100 and stats["pitch_range"]["lowest_name"][-1].isdigit()
    assert stats["time_signatures"] == [{"time_signature": "4/4", "pieces": 6}]
    assert stats["tempo"]["most_common"] == [{"bpm": 100, "pieces": 6}] and stats["tempo"]["median"] == 100
    assert stats["parts_per_piece"] == {"1": 6}
    rows = {r["name"]: r for r in result["report"]}
    assert len(rows) == 10 and rows["empty.mid"] == {**rows["empty.mid"], "status": "skipped", "reason": "empty file"}
    assert rows["good-00.mid"]["status"] == "parsed" and rows["good-00.mid"]["notes"] > 0
    assert {k: rows["good-00.mid"][k] for k in ("metre", "tempo")} == {"metre": "4/4", "tempo": 100}
    assert rows["empty.mid"]["metre"] == "" and rows["empty.mid"]["tempo"] is None

    assert "inspect" in musegen("--help").stdout
    assert "--files" in musegen("inspect", "--help").stdout


def test_inspect_refuses_what_holds_no_music(tmp_path):
    refused(musegen("inspect", tmp_path / "nowhere"), "does not exist")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.mid").write_bytes(b"")
    refused(musegen("inspect", tmp_path / "junk"), "No usable music", "a.mid: empty file")


# ------------------------------------------------------------------ importing a run bundle


def rezip(bundle: bytes, change=None, extra=(), drop=(), manifest=True) -> bytes:
    """The bundle's files, some changed (name → bytes) or dropped, members added, the manifest kept
    as it was (manifest=True), rebuilt for the new files ("fresh") or left out (False)."""
    src = zipfile.ZipFile(io.BytesIO(bundle))
    files = {name: src.read(name) for name in src.namelist()}
    top = next(iter(files)).split("/")[0]
    for name, data in (change or {}).items():
        files[f"{top}/{name}"] = data
    for name in drop:
        files.pop(f"{top}/{name}")
    if manifest == "fresh":
        listed = {n.split("/")[1]: {"bytes": len(d), "sha256": hashlib.sha256(d).hexdigest()}
                  for n, d in files.items() if not n.endswith(MANIFEST)}
        files[f"{top}/{MANIFEST}"] = json.dumps({"format": "musegen-run-bundle", "version": 1, "name": top,
                                                 "files": listed}).encode()
    elif not manifest:
        files.pop(f"{top}/{MANIFEST}")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        for name, data in extra:
            zf.writestr(name, data)
    return out.getvalue()


@pytest.fixture(scope="module")
def bundle(trained_run) -> bytes:
    return zip_run(trained_run.path)


def test_round_trip_zip_then_import_then_generate(tmp_path, trained_run, bundle):
    names = zipfile.ZipFile(io.BytesIO(bundle)).namelist()
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(bundle)).read(f"tiny-wavenet/{MANIFEST}"))
    assert f"tiny-wavenet/{MANIFEST}" in names and set(manifest["files"]) == {n.split("/")[1] for n in names} - {MANIFEST}
    for name, entry in manifest["files"].items():
        data = (trained_run.path / name).read_bytes()
        assert entry == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    root = tmp_path / "runs"
    path = import_run(bundle, root)
    assert path == root / "tiny-wavenet"
    run = Run.load(path)
    assert run.config.to_json() == trained_run.config.to_json() and run.summary == trained_run.summary
    assert run.tokenizer.to_json() == trained_run.tokenizer.to_json()
    for name in manifest["files"]:
        assert (path / name).read_bytes() == (trained_run.path / name).read_bytes()
    assert sorted(p.name for p in root.iterdir()) == ["tiny-wavenet"], "no work folder left behind"

    (tmp_path / "run.zip").write_bytes(bundle)
    again = json.loads(musegen("import", tmp_path / "run.zip", "--runs", root, "--json").stdout)
    assert again["run"] == str(root / "tiny-wavenet-2") and again["params"] == trained_run.summary["params"]
    said = musegen("import", tmp_path / "run.zip", "--runs", root, "--name", "My run!")
    assert said.returncode == 0 and f"Imported run.zip as {root / 'My-run'}" in said.stderr
    assert sorted(p.name for p in root.iterdir()) == ["My-run", "tiny-wavenet", "tiny-wavenet-2"], "nothing replaced"

    made = json.loads(musegen("generate", root / "tiny-wavenet-2", "--length", 60, "--seed", 5,
                              "--out", tmp_path / "g.mid", "--json").stdout)
    assert made["tokens"] == 60 and (tmp_path / "g.mid").stat().st_size > 0


def test_zip_run_holds_only_bundle_files_and_an_old_zip_still_imports(tmp_path, trained_run, bundle):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(trained_run.path, copy)
    (copy / "shared.json").write_text('{"token": "abc"}')  # a share link stays on its server
    (copy / "notes.txt").write_text("mine")
    assert {n.split("/")[1] for n in zipfile.ZipFile(io.BytesIO(zip_run(copy))).namelist()} == \
        {n.split("/")[1] for n in zipfile.ZipFile(io.BytesIO(bundle)).namelist()}

    old = rezip(bundle, manifest=False, extra=[("tiny-wavenet/shared.json", b'{"token": "abc"}')])  # before manifests
    path = import_run(old, tmp_path / "runs")
    assert Run.load(path).summary == trained_run.summary and not (path / "shared.json").exists()


def bad_bundles(bundle: bytes) -> dict:
    config = zipfile.ZipFile(io.BytesIO(bundle)).read("tiny-wavenet/config.json")
    assert b'"seed": 3' in config
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:  # 250 MB of zeros in about 250 kB
        with zf.open("run/model.keras", "w", force_zip64=True) as member:
            for _ in range(250):
                member.write(bytes(1_000_000))
    return {
        "traversal": (rezip(bundle, extra=[("../evil", b"x")]), ["unsafe path", "'../evil'"]),
        "absolute": (rezip(bundle, extra=[("/etc/evil", b"x")]), ["unsafe path"]),
        "unknown": (rezip(bundle, extra=[("tiny-wavenet/evil.py", b"import os")]), ["evil.py", "not a run bundle file"]),
        "truncated": (bundle[: len(bundle) // 2], ["not a readable zip file"]),
        "hash": (rezip(bundle, change={"config.json": config.replace(b'"seed": 3', b'"seed": 4')}),
                 ["config.json does not match its manifest"]),
        "missing": (rezip(bundle, drop=["weights.npz"]), ["incomplete", "weights.npz"]),
        "too large": (bomb.getvalue(), ["unpacks to 250 MB", "at most 200 MB"]),
        "two folders": (rezip(bundle, extra=[("other/summary.json", b"{}")]), ["more than one folder"]),
        "damaged run": (rezip(bundle, change={"config.json": b'{"data": {"window": 0}}'}, manifest="fresh"),
                        ["not a usable run", "config.json", "window"]),
        "foreign weights": (rezip(bundle, change={"config.json": config.replace(b'"residual_channels": 16',
                                                                                   b'"residual_channels": 24')},
                                  manifest="fresh"), ["not a usable run", "weights.npz does not fit"]),
    }


def test_hostile_bundles_are_refused_in_one_line_leaving_nothing(tmp_path, bundle):
    root = tmp_path / "runs"
    for case, (data, words) in bad_bundles(bundle).items():
        path = tmp_path / f"{case.replace(' ', '-')}.zip"
        path.write_bytes(data)
        line = refused(musegen("import", path, "--runs", root, timeout=120), *words)
        assert path.name in line, line
        assert not root.exists() or list(root.iterdir()) == [], f"{case}: left {list(root.iterdir())}"
    refused(musegen("import", tmp_path / "nowhere.zip", "--runs", root), "Cannot find")
    (tmp_path / "not-a-zip.zip").write_bytes(b"hello")
    refused(musegen("import", tmp_path / "not-a-zip.zip", "--runs", root), "not a readable zip file")


def test_import_run_limits_and_errors_in_process(tmp_path, bundle):
    root = tmp_path / "runs"
    with pytest.raises(InputError) as refusal:
        import_run(bundle, root, max_bytes=1000)
    assert refusal.value.message.code == "said.bundle_too_big"
    big = tmp_path / "big.zip"
    big.write_bytes(bundle)
    with pytest.raises(InputError) as refusal:
        import_run(big, root, max_bytes=len(bundle) - 1)
    assert refusal.value.message.code == "said.bundle_too_big" and refusal.value.message.values["label"] == "big.zip"
    with pytest.raises(ModelError) as refusal:
        import_run(bad_bundles(bundle)["foreign weights"][0], root)
    said = refusal.value.message
    assert said.code == "said.not_usable_run"
    assert said.values["error"].code == "said.about" and said.values["error"].values["error"].code.startswith("said.w_")
    with pytest.raises(InputError) as refusal:
        import_run(bundle, root, name="///")
    assert refusal.value.message.code == "said.name_needed"
    assert not root.exists() or list(root.iterdir()) == []
