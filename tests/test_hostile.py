"""Issue 9, item 6: no input can crash, hang or flood the `musegen` command.

Every case makes its own hostile input in tmp_path, runs the CLI as a user would (a subprocess with
a timeout) and expects a clean refusal: exit code 1, one line on stderr starting "musegen: " that
names the problem, never a traceback, and nothing half-written.
"""
import json
import os
import shutil
import struct
import subprocess

import numpy as np
import pytest
import symusic

from conftest import make_piece, musegen, refused
from musegen.render.audio import _cap_midi, audio_stats, check_audio
from musegen.errors import InputError
from musegen.render.midi import piece_to_midi_bytes, write_midi
from musegen.music.readers import read_file_bytes


@pytest.fixture
def folder(tmp_path):
    """A tiny dataset: two short pieces."""
    path = tmp_path / "midi"
    for i in range(2):
        write_midi(make_piece(i, bars=2), path / f"piece-{i}.mid")
    return path


# ------------------------------------------------------------------ 1. training settings


@pytest.mark.parametrize("flag, value, message", [
    ("--window", 0, "window must be between 2 and"),
    ("--batch-size", 0, "batch size must be between 1 and"),
    ("--dilation-depth", 0, "dilation depth must be between 1 and"),
    ("--stride", 0, "stride must be between 1 and"),
    ("--val-fraction", 2, "val fraction must be between 0 and 0.9"),
    ("--lr", -1, "learning rate must be between"),
    ("--lr", "nan", "learning rate must be a number"),
    ("--epochs", -1, "epochs must be between 0 and"),
])
def test_training_settings_are_refused_before_anything_is_written(tmp_path, folder, flag, value, message):
    out = tmp_path / "run"
    refused(musegen("train", "--dataset", folder, "--out", out, flag, value), message, f"(got {value}")
    assert not out.exists(), "no half-written run folder"


def test_no_epochs_and_no_budget_is_refused(tmp_path, folder):
    out = tmp_path / "run"
    refused(musegen("train", "--dataset", folder, "--out", out, "--epochs", 0), "a number of epochs or a time budget")
    assert not out.exists()


def test_training_ranges_are_in_help_and_a_config_file_is_checked_too(tmp_path, folder):
    help_text = " ".join(musegen("train", "--help").stdout.split())
    for shown in ("tokens per training window (default 512); 2–16,384", "unless --config sets it); 0–1", "until the budget or early stopping); 0–100,000",
                  "share of files held out (default 0.1); 0–0.9"):
        assert shown in help_text
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"data": {"window": "abc"}}))
    refused(musegen("train", "--config", config, "--dataset", folder, "--out", tmp_path / "run"),
            "window must be a number")
    config.write_text("{not json")
    refused(musegen("train", "--config", config, "--dataset", folder), "is not a RunConfig JSON file")
    refused(musegen("train", "--config", tmp_path / "missing.json"), "Cannot find", "no such file or directory")
    assert not (tmp_path / "run").exists()


# ------------------------------------------------------------------ 2. a damaged run folder


def edit_config(key, value):
    def damage(run):
        config = json.loads((run / "config.json").read_text())
        section, name = key.split(".")
        config[section][name] = value
        (run / "config.json").write_text(json.dumps(config))
    return damage


def write(name, data):
    return lambda run: (run / name).write_bytes(data(run) if callable(data) else data)


def object_primers(run):
    np.save(run / "primers.npy", np.array([[1, "x"]], dtype=object), allow_pickle=True)


DAMAGES = {
    "window is text": (edit_config("data.window", "abc"), "window must be a number (got 'abc')"),
    "negative epochs": (edit_config("train.epochs", -5), "epochs must be between 0 and"),
    "a list for a number": (edit_config("model.dilation_depth", [1, 2]), "dilation depth must be a number"),
    "a list for the config": (write("config.json", b"[1, 2]"), "must be a JSON object"),
    "config not text": (write("config.json", b"\xff\xfe\x00garbage"), "config.json"),
    "tokenizer mistyped": (write("tokenizer.json", b'{"config": {"min_pitch": "abc"}, "vocab": []}'), "tokenizer.json"),
    "weights truncated": (write("weights.npz", lambda run: (run / "weights.npz").read_bytes()[:500]), "weights.npz"),
    "weights swapped": (write("weights.npz", lambda run: (run / "model.keras").read_bytes()), "weights file"),
    "object primers": (object_primers, "primers.npy holds Python objects"),
    "primers truncated": (write("primers.npy", lambda run: (run / "primers.npy").read_bytes()[:100]), "primers.npy"),
    "primers not tokens": (lambda run: np.save(run / "primers.npy", np.full((2, 8), 10**6)), "primers.npy"),
    "history not json": (write("history.json", b"{oops"), "history.json"),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_run_gives_one_message(tmp_path, trained_run, damage):
    run = shutil.copytree(trained_run.path, tmp_path / "run")
    spoil, message = DAMAGES[damage]
    spoil(run)
    refused(musegen("generate", run, "--length", 10, "--out", tmp_path / "out.mid"), message)
    assert not (tmp_path / "out.mid").exists()


def test_weights_that_do_not_fit_the_model_are_one_line(tmp_path, trained_run):
    """Weights of the wrong shapes are named as such, layer and shapes (issue 24: they were an
    "unexpected IndexError")."""
    run = shutil.copytree(trained_run.path, tmp_path / "run")
    with np.load(run / "weights.npz") as npz:
        shrunk = {key: npz[key][..., :1] for key in npz.files}
    np.savez(run / "weights.npz", **shrunk)
    refused(musegen("generate", run, "--length", 10, "--out", tmp_path / "out.mid"),
            "run: weights.npz does not fit the model in config.json (layer embedding holds")


def test_a_truncated_model_file_without_numpy_weights_is_one_message(tmp_path, trained_run):
    run = shutil.copytree(trained_run.path, tmp_path / "run")
    (run / "weights.npz").unlink()  # as a run saved before weights.npz existed: model.keras is read
    (run / "model.keras").write_bytes((run / "model.keras").read_bytes()[:300])
    refused(musegen("generate", run, "--length", 10, "--out", tmp_path / "out.mid", timeout=120),
            "the model file could not be loaded")


# ------------------------------------------------------------------ 3. an absurd tempo


def fast_midi() -> bytes:
    """A tempo of 1 microsecond per beat: 60,000,000 BPM."""
    score = symusic.Score.from_midi(piece_to_midi_bytes(make_piece(0, bars=2)))
    score.tempos = [symusic.Tempo(0, qpm=60_000_000.0)]
    data = score.dumps_midi()
    assert symusic.Score.from_midi(data).tempos[0].mspq == 1
    return bytes(data)


def test_a_tempo_of_one_microsecond_per_beat_is_refused(tmp_path, trained_run):
    with pytest.raises(InputError) as err:
        read_file_bytes("fast.mid", fast_midi())
    assert str(err.value.reason) == "tempo 60,000,000 BPM is outside 10–1000 BPM"
    (tmp_path / "fast").mkdir()
    (tmp_path / "fast" / "fast.mid").write_bytes(fast_midi())
    refused(musegen("train", "--dataset", tmp_path / "fast", "--out", tmp_path / "run"),
            "No usable music", "60,000,000 BPM is outside 10–1000 BPM")
    refused(musegen("generate", trained_run.path, "--primer", tmp_path / "fast" / "fast.mid",
                    "--out", tmp_path / "out.mid"), "fast.mid: tempo 60,000,000 BPM is outside 10–1000 BPM")
    assert not (tmp_path / "run").exists() and not (tmp_path / "out.mid").exists()


# ------------------------------------------------------------------ 4. rendering a file that claims days


def vlq(n: int) -> bytes:
    out = [n & 0x7F]
    while n := n >> 7:
        out.append(0x80 | (n & 0x7F))
    return bytes(reversed(out))


def days_midi(meta: bytes) -> bytes:
    """About 40 bytes: one half-second note, then `meta` ten days later (1 tick per quarter, 120 BPM)."""
    track = b"\x00\x90\x3c\x40" + b"\x01\x80\x3c\x00" + vlq(10 * 86400 * 2) + meta + b"\x00\xff\x2f\x00"
    return b"MThd" + struct.pack(">IHHH", 6, 0, 1, 1) + b"MTrk" + struct.pack(">I", len(track)) + track


TEMPO_10_DAYS_IN = b"\xff\x51\x03\x07\xa1\x20"
MARKER_10_DAYS_IN = b"\xff\x06\x01x"


@pytest.mark.parametrize("meta", [TEMPO_10_DAYS_IN, MARKER_10_DAYS_IN], ids=["tempo", "marker"])
def test_the_music_ends_at_its_last_note_not_at_a_late_meta_event(meta):
    data = days_midi(meta)
    assert len(data) < 60 and symusic.Score.from_midi(data).to("second").end() > 8 * 86400
    capped, seconds = _cap_midi(data, max_seconds=10**7)
    assert seconds == pytest.approx(0.5)
    assert symusic.Score.from_midi(capped).to("second").end() == pytest.approx(0.5, abs=0.01)


@pytest.mark.skipif(check_audio() is not None, reason="FluidSynth or a soundfont is missing")
@pytest.mark.parametrize("meta, suffix", [(TEMPO_10_DAYS_IN, "wav"), (MARKER_10_DAYS_IN, "ogg")], ids=["tempo", "marker"])
def test_render_of_a_file_that_claims_ten_days_writes_seconds(tmp_path, meta, suffix):
    (tmp_path / "days.mid").write_bytes(days_midi(meta))
    out = tmp_path / f"days.{suffix}"
    result = musegen("render", tmp_path / "days.mid", "--out", out, "--max-seconds", 10**7)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert out.stat().st_size < 1_000_000 and audio_stats(out)["seconds"] < 5


# ------------------------------------------------------------------ 5. the operating system says no


def read_only(path):
    """Make `path` unwritable even for root (chattr +i); returns the undo, or skips the test."""
    if os.geteuid() != 0:
        path.chmod(0o555)
        return lambda: path.chmod(0o755)
    if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0:
        return lambda: subprocess.run(["chattr", "-i", str(path)], check=True)
    pytest.skip("cannot make a folder read-only here (root without chattr +i)")


def test_resume_into_a_read_only_run_fails_before_training(tmp_path, trained_run, folder):
    run = shutil.copytree(trained_run.path, tmp_path / "run")
    undo = read_only(run)
    try:
        result = musegen("train", "--resume", "--out", run, "--epochs", 1, "--dataset", folder)
    finally:
        undo()
    refused(result, f"Cannot write {run}: permission denied")
    assert json.loads((run / "history.json").read_text()) == json.loads((trained_run.path / "history.json").read_text())


def test_outputs_that_cannot_be_written_fail_first(tmp_path, trained_run, folder):
    locked = tmp_path / "locked"
    locked.mkdir()
    undo = read_only(locked)
    try:
        new_run = musegen("train", "--dataset", folder, "--out", locked / "run")
        piece = musegen("generate", trained_run.path, "--length", 10, "--out", locked / "out.mid")
    finally:
        undo()
    refused(new_run, "Cannot write", "permission denied")
    refused(piece, f"Cannot write {locked / 'out.mid'}: permission denied")
    (tmp_path / "a-file").write_text("")
    refused(musegen("train", "--dataset", folder, "--out", tmp_path / "a-file" / "run"), "is not a folder")
    refused(musegen("train", "--dataset", folder, "--out", trained_run.path), "already holds a run")


def test_outputs_that_are_not_regular_files_are_refused_never_replaced(tmp_path, trained_run, folder):
    """`generate --out /dev/full` (as root) once replaced the device with a file and exited 0: a
    target that exists and is not a regular file (a device, a pipe, a folder) is refused, in one line,
    by every output flag and by the atomic write beneath them. A pipe stands in for the device here."""
    import stat

    from musegen.files import atomic_write

    pipe, dest = tmp_path / "pipe", tmp_path / "a-folder"
    os.mkfifo(pipe)
    dest.mkdir()
    midi = folder / "piece-0.mid"
    for target in (pipe, dest):
        for flag in ("--out", "--musicxml", "--audio"):
            name = target if flag == "--out" else tmp_path / f"ok{flag[1:]}.mid"
            extra = [flag, target] if flag != "--out" else []
            refused(musegen("generate", trained_run.path, "--length", 10, "--out", name, *extra),
                    f"Cannot write {target}", "not a regular file")
        refused(musegen("render", midi, "--out", target), f"Cannot write {target}", "not a regular file")
        with pytest.raises(InputError, match="not a regular file"):
            atomic_write(target, b"x")
    assert stat.S_ISFIFO(os.stat(pipe).st_mode) and dest.is_dir() and not any(dest.iterdir())


# ------------------------------------------------------------------ 6. file names that drive the terminal


def test_file_names_are_never_printed_raw(tmp_path, trained_run):
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "\x1b[2Jevil.mid").write_bytes(b"MThd\x00")
    (evil / "new\nline.mid").write_bytes(b"junk")
    for env in ({}, {"MUSEGEN_PROGRESS": "1"}):  # the progress bar shows each name as it is read
        result = musegen("train", "--dataset", evil, "--out", tmp_path / "run", **env)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert "\x1b[2J" not in result.stderr and "new\nline" not in result.stderr
        assert "\\x1b[2Jevil.mid" in result.stderr and "new\\nline.mid" in result.stderr
    refused(musegen("train", "--dataset", evil, "--out", tmp_path / "run"), "No usable music", "\\x1b[2Jevil.mid")
    refused(musegen("generate", trained_run.path, "--primer", evil / "\x1b[2Jevil.mid", "--out", tmp_path / "o.mid"),
            "\\x1b[2Jevil.mid: truncated or corrupt MIDI")
