"""The `musegen` command end to end, as a user runs it: real files in, MIDI, MusicXML and audio out."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import tiny_config
from musegen.render.audio import audio_stats, check_audio
from musegen.render.midi import write_midi
from musegen.music.readers import read_file_bytes

ROOT = Path(__file__).resolve().parent.parent


def musegen(*args, check=True):
    result = subprocess.run([sys.executable, "-m", "musegen", *map(str, args)], capture_output=True, text=True, timeout=600)
    if check and result.returncode:
        raise AssertionError(result.stderr)
    return result


def test_help_for_every_command():
    assert "train" in musegen("--help").stdout
    for command in ("datasets", "train", "generate", "render"):
        assert "--json" in musegen(command, "--help").stdout
    train_help = musegen("train", "--help").stdout
    for flag in ("--from RUN", "--transpose SEMITONES", "--jitter, --no-jitter", "--early-stopping EPOCHS"):
        assert flag in train_help


def test_datasets_lists_the_builtins():
    rows = json.loads(musegen("datasets", "--json").stdout)["datasets"]
    names = {r["name"]: r["files"] for r in rows}
    assert {"bach", "folk", "palestrina"} <= set(names) and names["bach"] > 300


def test_errors_are_one_line_and_non_zero(tmp_path):
    result = musegen("train", "--dataset", tmp_path / "nowhere", "--out", tmp_path / "run", check=False)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and result.stderr.startswith("musegen: ")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "broken.mid").write_bytes(b"MThd\x00\x00")
    result = musegen("train", "--dataset", tmp_path / "empty", "--out", tmp_path / "run", check=False)
    assert result.returncode == 1 and "No usable music" in result.stderr
    result = musegen("generate", tmp_path / "not-a-run", check=False)
    assert result.returncode == 1 and "not a finished musegen run" in result.stderr


def test_train_without_out_names_the_run_as_the_app_does(tmp_path, pieces):
    """No --out: runs/<model>-on-<music>-<date> beside the person, never "<music>-<model>-…" like the
    bundled bach-wavenet; --out still names it exactly."""
    import re

    folder = tmp_path / "My Jigs"
    for piece in pieces:
        write_midi(piece, folder / f"{piece.name}.mid")
    config = tmp_path / "tiny.json"
    config.write_text(tiny_config().to_json())
    result = subprocess.run([sys.executable, "-m", "musegen", "train", "--config", str(config), "--dataset", str(folder),
                             "--epochs", "1", "--json"], capture_output=True, text=True, timeout=600, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})  # this checkout's musegen, from another folder
    assert result.returncode == 0, result.stderr
    run = json.loads(result.stdout)["run"]
    assert re.fullmatch(r"runs/wavenet-on-my-jigs-\d{4}-\d\d-\d\d-\d\dh\d\d", run), run
    assert (tmp_path / run / "model.keras").is_file()


def test_train_then_generate_from_a_folder_of_midi(tmp_path, pieces):
    folder = tmp_path / "midi"
    for piece in pieces:
        write_midi(piece, folder / f"{piece.name}.mid")
    config = tmp_path / "tiny.json"
    config.write_text(tiny_config().to_json())
    run = tmp_path / "run"
    summary = json.loads(musegen("train", "--config", config, "--dataset", folder, "--epochs", 2, "--out", run, "--json").stdout)
    assert summary["run"] == str(run) and summary["params"] > 0 and 0 < summary["val_accuracy"] <= 1
    assert {"val_loss", "seconds", "receptive_field"} <= set(summary)
    assert summary["stop_reason"].startswith("Finished 2 epochs: kept epoch ") and summary["base"] is None
    assert summary["context_tokens"] == summary["receptive_field"] and summary["context_bars"] > 0

    args = ["generate", run, "--length", 120, "--temperature", 0.9, "--top-p", 0.95, "--seed", 7, "--json",
            "--out", tmp_path / "piece.mid", "--musicxml", tmp_path / "piece.musicxml"]
    if not check_audio():
        args += ["--audio", tmp_path / "piece.ogg"]
    first = json.loads(musegen(*args).stdout)
    midi_1 = (tmp_path / "piece.mid").read_bytes()
    again = json.loads(musegen(*args).stdout)
    assert first["tokens"] == again["tokens"] == 120 and first["tokens_per_s"] > 0
    assert (tmp_path / "piece.mid").read_bytes() == midi_1, "same seed, same music"
    assert read_file_bytes("piece.mid", midi_1).n_notes > 10
    assert "<score-partwise" in (tmp_path / "piece.musicxml").read_text()
    if not check_audio():
        stats = audio_stats(tmp_path / "piece.ogg")
        assert stats["seconds"] > 1 and stats["rms"] > 0.001

    variations = json.loads(musegen("generate", run, "--seconds", 5, "--variations", 2, "--primer", folder / "synthetic-00.mid",
                                    "--instrument", "violin", "--out", tmp_path / "v.mid", "--json").stdout)
    assert [o["midi"] for o in variations["outputs"]] == [str(tmp_path / "v-1.mid"), str(tmp_path / "v-2.mid")]


@pytest.mark.skipif(check_audio() is not None, reason="FluidSynth or a soundfont is missing")
def test_render(tmp_path, pieces):
    write_midi(pieces[0], tmp_path / "a.mid")
    out = json.loads(musegen("render", tmp_path / "a.mid", "--out", tmp_path / "a.wav", "--json").stdout)
    assert audio_stats(out["audio"])["rms"] > 0.001


def test_fine_tune_a_run_on_other_music(tmp_path, trained_run):
    from conftest import make_piece

    folder = tmp_path / "midi"
    for i in range(30, 36):
        piece = make_piece(i, bars=4)
        write_midi(piece, folder / f"{piece.name}.mid")
    out = tmp_path / "tuned"
    result = musegen("train", "--from", trained_run.path, "--dataset", folder, "--epochs", 1, "--window", 64,
                     "--batch-size", 8, "--no-jitter", "--transpose", 3, "--out", out)
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("Finished 1 epoch: kept epoch 1 (val loss ")
    config = json.loads((out / "config.json").read_text())
    assert config["train"]["base"] == str(trained_run.path) and config["train"]["learning_rate"] == 3e-4
    assert config["train"]["transpose"] == 3 and config["data"]["window"] == 64
    assert config["model"] == json.loads((trained_run.path / "config.json").read_text())["model"]

    for extra, message in ((["--model", "lstm"], "leave out --model"), (["--resume"], "either --from or --resume")):
        refused = musegen("train", "--from", trained_run.path, "--out", out, *extra, check=False)
        assert refused.returncode == 1 and message in refused.stderr
    refused = musegen("train", "--from", tmp_path / "nowhere", "--dataset", folder, check=False)
    assert refused.returncode == 1 and "No run to fine-tune from" in refused.stderr
    assert "files read" not in refused.stderr, "a missing base fails before the music is read"
