"""Issue 24: a demo strangers cannot take down. Settings each in range that together ask for hours
of work, run folders damaged in ways that reached the user as "musegen: unexpected …", inputs
accepted without a word, and training workers that ran the app's script again.

Each case makes its own small input and expects a clear refusal (one line, exit code 1, no
traceback) or a clear word, in seconds.
"""
from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import symusic

from app_fixtures import bundled_runs  # noqa: F401 (fixture)
from conftest import musegen, refused
from musegen import config as settings
from musegen.config import SampleConfig
from musegen.errors import InputError, ModelError
from musegen.messages import msg

ROOT = Path(__file__).resolve().parent.parent


def generate(run, *flags, out):
    return musegen("generate", run, "--out", out, *flags)


# ------------------------------------------------------------------ A. the work a request implies


@pytest.mark.parametrize("flags, words", [
    (["--variations", 8, "--length", 20000], "8 variations of 20,000 tokens are 160,000 tokens"),
    (["--variations", 8, "--seconds", 600], "lower the seconds to 75 or ask for fewer variations"),
    (["--variations", 8, "--bars", 512], "lower the bars to 64"),
])
def test_variations_share_one_budget_of_music(tmp_path, trained_run, flags, words):
    """--variations 8 --length 20000 ran past 180 s (WaveNet) and 200 s (LSTM): each setting was
    in its range, their product was not bounded."""
    refused(generate(trained_run.path, *flags, out=tmp_path / "out.mid"), words, "more than one request may write")
    assert not (tmp_path / "out.mid").exists()
    SampleConfig(variations=1, length=20_000).check()  # one long piece stays allowed
    SampleConfig(variations=8, length=2_500).check()


def test_seconds_or_bars_stop_at_the_token_budget_with_a_word(trained_run, monkeypatch):
    """A piece asked for in seconds runs until its music is long enough: a model that writes many
    tokens a beat would go on far past the budget. It stops there, and says so."""
    from musegen.generate.sample import Composer

    monkeypatch.setitem(settings.REQUEST_BUDGET, "length", 300)
    composition = Composer(trained_run).compose(SampleConfig(seconds=300, tempo=400, variations=2, seed=1))
    assert all(len(ids) <= 150 for ids in composition.ids)
    assert msg("said.budget_stop", n="150") in composition.remarks


def three_days_midi() -> bytes:
    """36 bytes: one note held for three days (1 tick per quarter, 120 BPM)."""
    from test_hostile import vlq

    track = b"\x00\x90\x3c\x40" + vlq(3 * 86400 * 2) + b"\x80\x3c\x00" + b"\x00\xff\x2f\x00"
    return b"MThd" + struct.pack(">IHHH", 6, 0, 1, 1) + b"MTrk" + struct.pack(">I", len(track)) + track


def test_a_render_is_never_longer_than_ten_minutes():
    """render --max-seconds 1e9 of a note held three days had FluidSynth write 3 GB in 56 s."""
    from musegen.render.audio import MAX_RENDER_SECONDS, _cap_midi, music_seconds

    data = three_days_midi()
    assert music_seconds(data) == pytest.approx(3 * 86400)
    capped, seconds = _cap_midi(data, max_seconds=1e9)
    assert seconds == MAX_RENDER_SECONDS == 600
    assert symusic.Score.from_midi(capped).to("second").end() == pytest.approx(600, abs=0.01)


@pytest.mark.parametrize("value", ["1e-9", "0", "nan", "-5"])
def test_render_of_almost_nothing_is_refused(tmp_path, value):
    """--max-seconds 1e-9 wrote a 48-byte WAV and exited 0."""
    (tmp_path / "days.mid").write_bytes(three_days_midi())
    out = tmp_path / "out.wav"
    refused(musegen("render", tmp_path / "days.mid", "--out", out, "--max-seconds", value),
            "max seconds must be at least 1", "up to 10 minutes")
    assert not out.exists()


# ------------------------------------------------------------------ B. one line, never "unexpected"


def test_a_negative_seed_is_refused_in_words(tmp_path, trained_run):
    refused(generate(trained_run.path, "--seed", -1, out=tmp_path / "out.mid"),
            "seed must be between 0 and 4,294,967,295 (got -1)")


def nested(depth: int = 100_000) -> str:
    return "[" * depth + "]" * depth


def edit_json(name, change):
    def damage(run):
        data = json.loads((run / name).read_text())
        change(data)
        (run / name).write_text(json.dumps(data))
    return damage


def set_in(section, key, value):
    def change(data):
        (data[section] if section else data)[key] = value
    return change


def huge_primers_header(run):
    """primers.npy's header says 10^12 values; the file is 8 kB (NumPy tried to allocate 3.64 TiB)."""
    raw = (run / "primers.npy").read_bytes()
    length = int.from_bytes(raw[8:10], "little")
    header = raw[10:10 + length].decode("latin1")
    start, end = header.index("'shape': (") + len("'shape': ("), header.index(")")
    claimed = header[:start] + "1000000000000, 1" + header[end:]
    claimed = claimed.rstrip(" \n").ljust(length - 1) + "\n"
    assert len(claimed) == length
    (run / "primers.npy").write_bytes(raw[:10] + claimed.encode("latin1") + raw[10 + length:])


def weights(change):
    def damage(run):
        with np.load(run / "weights.npz") as npz:
            arrays = {key: npz[key] for key in npz.files}
        change(arrays)
        np.savez(run / "weights.npz", **arrays)
    return damage


def lying_npz(run):
    """weights.npz whose embedding member (a valid zip entry) claims 10^12 × 16 values in 64 bytes."""
    import io
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (10**12, 16)})
    with zipfile.ZipFile(run / "weights.npz", "a") as npz:
        kept = {info.filename: npz.read(info) for info in npz.infolist() if info.filename != "embedding:0.npy"}
    with zipfile.ZipFile(run / "weights.npz", "w") as npz:
        for name, data in kept.items():
            npz.writestr(name, data)
        npz.writestr("embedding:0.npy", header.getvalue() + bytes(64))


def shrink(arrays):
    for key in arrays:
        arrays[key] = arrays[key][..., :1]


def poison(arrays):
    arrays["logits:1"] = np.full_like(arrays["logits:1"], np.nan)


DAMAGES = {
    "config nested 100,000 deep": (lambda run: (run / "config.json").write_text('{"data": ' + nested() + "}"),
                                   "config.json is nested too deeply"),
    "16 layers over 3": (edit_json("config.json", set_in("model", "dilation_depth", 16)),
                         "weights.npz does not fit the model in config.json (it has no layer residual_2)"),
    "16 stacks over 1": (edit_json("config.json", set_in("model", "stacks", 16)),
                         "weights.npz does not fit the model in config.json"),
    "time signature 0/0": (edit_json("data.json", set_in(None, "time_signature", [0, 0])),
                           "data.json: time signature '[0, 0]' is not a time signature"),
    "time signature text": (edit_json("data.json", set_in(None, "time_signature", "4/4")),
                            "data.json: time signature '4/4' is not a time signature"),
    "parts not instruments": (edit_json("data.json", set_in(None, "parts", [{"program": "piano"}])),
                              "data.json: parts must be a list of instruments"),
    "primers claim 10^12 values": (huge_primers_header, "primers.npy is not a readable NumPy file: its header claims "
                                                        "1,000,000,000,000 values"),
    "weights of the wrong shapes": (weights(shrink), "layer embedding holds"),
    "weights that claim 10^12 values": (lying_npz, "the weights file could not be read (embedding:0.npy: its header "
                                                   "claims 16,000,000,000,000 values"),
    "weights of NaN": (weights(poison), "the weights hold NaN or infinite values (layer logits)"),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_run_is_one_clear_line(tmp_path, trained_run, damage):
    run = shutil.copytree(trained_run.path, tmp_path / "run")
    spoil, message = DAMAGES[damage]
    spoil(run)
    line = refused(generate(run, "--length", 10, out=tmp_path / "out.mid"), message)
    assert "unexpected" not in line and "MUSEGEN_DEBUG" not in line
    assert not (tmp_path / "out.mid").exists()


def test_resume_and_config_nested_100000_deep_are_one_line(tmp_path, trained_run):
    run = shutil.copytree(trained_run.path, tmp_path / "run")
    (run / "config.json").write_text(nested())
    refused(musegen("train", "--resume", "--out", run, "--epochs", 1, "--dataset", tmp_path),
            "config.json is nested too deeply")
    (tmp_path / "deep.json").write_text('{"model": ' + nested() + "}")
    refused(musegen("train", "--config", tmp_path / "deep.json", "--out", tmp_path / "new"),
            "is not a RunConfig JSON file (it is nested too deeply)")
    assert not (tmp_path / "new").exists()


def test_render_of_a_midi_with_division_zero_is_refused(tmp_path):
    track = b"\x00\x90\x3c\x40\x01\x80\x3c\x00\x00\xff\x2f\x00"
    (tmp_path / "zero.mid").write_bytes(b"MThd" + struct.pack(">IHHH", 6, 0, 1, 0) + b"MTrk"
                                        + struct.pack(">I", len(track)) + track)
    refused(musegen("render", tmp_path / "zero.mid", "--out", tmp_path / "zero.wav"),
            "header gives 0 ticks per quarter note")
    assert not (tmp_path / "zero.wav").exists()


def test_a_model_too_big_for_memory_is_refused_before_it_is_built(tmp_path, trained_run):
    from musegen.models.build import MAX_PARAMETERS, check_size, parameter_count
    from musegen.runs.folder import Run

    config = tmp_path / "big.json"
    config.write_text(json.dumps({"model": {"residual_channels": 4096, "skip_channels": 4096, "stacks": 16,
                                            "dilation_depth": 16}}))
    refused(musegen("train", "--config", config, "--dataset", tmp_path, "--out", tmp_path / "run"),
            "This model would have 25,", "parameters, more than the 100,000,000")
    assert not (tmp_path / "run").exists()
    run = Run.load(trained_run.path)  # the count is Keras's own, and a real model passes
    assert parameter_count(run.config.model, len(run.tokenizer), run.config.data.window) == run.summary["params"]
    check_size(run.config.model, len(run.tokenizer), run.config.data.window)
    assert MAX_PARAMETERS == 100_000_000


def test_tensorflow_out_of_memory_is_one_line(monkeypatch, capsys, tmp_path):
    """What remains (a model that fits, batches that do not): TensorFlow's ResourceExhaustedError
    is said in words, by the CLI and by a training worker."""
    from musegen import cli
    from musegen.cli import generate
    from musegen.errors import OUT_OF_MEMORY, out_of_memory

    class ResourceExhaustedError(RuntimeError):  # tensorflow.errors' name, without importing TensorFlow
        pass

    class Subclass(ResourceExhaustedError):
        pass

    def exhausted(args):
        raise Subclass("OOM when allocating tensor with shape[4096,16384,4096]")

    monkeypatch.setattr(generate, "cmd_render", exhausted)
    assert cli.main(["render", str(tmp_path / "x.mid"), "--out", str(tmp_path / "x.wav")]) == 1
    assert capsys.readouterr().err.strip() == f"musegen: {OUT_OF_MEMORY}"
    assert out_of_memory(Subclass()) and not out_of_memory(MemoryError()) and not out_of_memory(ValueError())


def test_an_import_with_nan_weights_is_refused(tmp_path, trained_run):
    from musegen.runs.bundle import import_run, zip_run

    run = shutil.copytree(trained_run.path, tmp_path / "run")
    weights(poison)(run)
    with pytest.raises(ModelError, match=r"is not a usable run: run: the weights hold NaN or infinite values") as refusal:
        import_run(zip_run(run), tmp_path / "runs")
    said = refusal.value.message  # the English above, as a code with the reason inside it
    assert said.code == "said.not_usable_run" and said.values["error"].values["error"].code == "said.weights_nan"
    assert not any((tmp_path / "runs").iterdir())


# ------------------------------------------------------------------ C. accepted without a word


@pytest.mark.parametrize("primer, words", [("/etc/passwd", "passwd: not a MIDI or score file"),
                                           ("rnadom", "Primer file not found: rnadom (--primer takes random, none")])
def test_a_primer_that_is_not_music_is_refused(tmp_path, trained_run, primer, words):
    """--primer /etc/passwd or a misspelt name composed from nothing and said nothing."""
    refused(generate(trained_run.path, "--primer", primer, "--length", 10, out=tmp_path / "out.mid"), words)
    assert not (tmp_path / "out.mid").exists()
    from musegen.generate.sample import Composer

    with pytest.raises(InputError) as refusal:
        Composer(trained_run).compose(SampleConfig(primer="rnadom", length=10))
    assert refusal.value.message.code == "said.bad_primer" and refusal.value.message.values == {"primer": "'rnadom'"}


def test_a_strict_key_with_no_note_in_the_range_is_refused(tmp_path, trained_run):
    """A key lock of C major in C#4-C#4 wrote a MIDI file without a note."""
    refused(generate(trained_run.path, "--key", "C major", "--key-strength", 1, "--pitch-range", "C#4-C#4",
                     out=tmp_path / "out.mid"),
            "No note of C major lies between C#4 and C#4: widen the range, or make the key lock less strict.")
    assert not (tmp_path / "out.mid").exists()
    ok = generate(trained_run.path, "--key", "D major", "--key-strength", 1, "--pitch-range", "C#4-C#4", "--length", 10,
                  out=tmp_path / "ok.mid")  # C# is in D major; a soft key lock is never refused
    assert ok.returncode == 0, ok.stderr


def test_in_the_app_a_run_deleted_while_chosen_is_said_not_replaced(monkeypatch, tmp_path, bundled_runs):  # noqa: F811
    """Deleting a run (its owner in another tab, the operator, the disk budget) while someone has it
    chosen switched their next Compose to another model without a word."""
    from streamlit.testing.v1 import AppTest

    runs = tmp_path / "runs"
    monkeypatch.setenv("MUSEGEN_RUNS", str(runs))
    monkeypatch.setenv("MUSEGEN_BUNDLED_DIR", str(bundled_runs))
    monkeypatch.delenv("MUSEGEN_SINGLE_USER", raising=False)
    run = shutil.copytree(bundled_runs / "tiny-wavenet", runs / "club-tune")  # the server's own: everyone's
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.switch_page("pages/generate.py").run()
    at.selectbox(key="gen-run").set_value(str(run)).run()
    shutil.rmtree(run)
    at.button(key="gen-go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "club-tune** is no longer in the library: it was deleted" in " ".join(str(e.value) for e in at.error)
    assert at.session_state["pieces"] == []  # nothing composed, with it or with another model in its place


# ------------------------------------------------------------------ D. workers never run the app's script


SCRIPT = '''
import os, sys
sys.path.insert(0, {helpers!r})
with open({marker!r}, "a") as f:  # a side effect of running this script, as app.py makes visitor folders
    f.write(f"{{__name__}} {{os.getpid()}}\\n")

if __name__ == "__main__":
    import quick_worker
    from musegen.serve import jobs, worker
    from musegen.config import AppLimits, RunConfig

    worker.main = quick_worker.main  # the job's process runs this at once instead of a training
    registry = jobs.Registry(AppLimits(), samples=False)
    job = registry.wait(registry.submit(RunConfig(), {out!r}), timeout=60)
    print(job.state, job.error or job.message)
'''

QUICK_WORKER = '''
def main(config, staging, pieces, events, stop, samples, resume=False):
    events.put(("end", ("failed", "quick worker ran")))
    events.close()
    events.join_thread()
'''


def test_a_training_worker_never_runs_the_caller_s_main_script(tmp_path):
    """Every training worker ran app.py again (spawn imports the parent's __main__, which under
    Streamlit is the page's script): an empty visitor folder and a thousand warnings per job."""
    helpers = tmp_path / "helpers"
    helpers.mkdir()
    (helpers / "quick_worker.py").write_text(QUICK_WORKER)
    marker = tmp_path / "ran.txt"
    script = tmp_path / "app_like.py"
    script.write_text(SCRIPT.format(helpers=str(helpers), marker=str(marker), out=str(tmp_path / "runs" / "job")))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "quick worker ran" in result.stdout, result.stdout + result.stderr  # the job's process did start
    assert marker.read_text().split()[::2] == ["__main__"], marker.read_text()  # the script ran once: here


# ------------------------------------------------------------------ E. the smaller list


def test_wrong_operator_passwords_make_the_next_try_wait():
    """30 guesses took 20 s: after three wrong ones each makes the next wait twice as long."""
    from musegen.serve.visitors import PasswordGate

    now = [1000.0]
    gate = PasswordGate(free=3, first=2.0, most=600.0, clock=lambda: now[0])
    env = {"MUSEGEN_OPERATOR_PASSWORD": "right"}
    assert [gate.attempt("guess", env) for _ in range(3)] == [False, False, False]  # typos cost nothing
    assert gate.wait() == 2.0 and gate.attempt("right", env) is None  # not even the right one is heard now
    now[0] += 2.0
    assert gate.attempt("guess", env) is False and gate.wait() == 4.0
    guesses, waited = 4, 6.0
    while guesses < 30:  # a guesser who waits each time
        wait = gate.wait()
        now[0] += wait
        waited += wait
        assert gate.attempt("guess", env) is False
        guesses += 1
    assert waited > 3 * 3600 and gate.wait() == 600.0
    now[0] += 600.0
    assert gate.attempt("right", env) is True and gate.wait() == 0.0  # the operator's password clears it


def test_a_killed_write_s_leftovers_are_cleared_when_runs_are_listed(tmp_path, trained_run):
    """A worker killed while it saved left .model.keras.*.tmp.keras in the run (as big as the model,
    in the disk budget, never read). Listing clears it; a write that may still be going on is left."""
    import os
    import time

    from musegen.runs.library import LEFTOVER_SECONDS, list_runs

    run = shutil.copytree(trained_run.path, tmp_path / "runs" / "tune")
    old, fresh = run / ".model.keras.k3x9ab.tmp.keras", run / ".weights.npz.q1w2e3.tmp.npz"
    old.write_bytes(b"half a model")
    fresh.write_bytes(b"being written")
    then = time.time() - LEFTOVER_SECONDS - 1
    os.utime(old, (then, then))
    assert [r.path for r in list_runs(tmp_path / "runs")] == [run]
    assert not old.exists() and fresh.exists()


QUICK_DEATH = '''
import os, shutil
from pathlib import Path


def main(config, staging, pieces, events, stop, samples, resume=False):
    """A training killed while it saved: its checkpoint written, a temporary file beside it."""
    shutil.copytree(config.data.dataset, staging, dirs_exist_ok=True)
    (Path(staging) / ".model.keras.k3x9ab.tmp.keras").write_bytes(b"half a model")
    os._exit(9)
'''


def test_a_job_whose_worker_died_keeps_its_checkpoint_without_leftovers(tmp_path, trained_run, monkeypatch):
    from musegen.serve import jobs, worker
    from musegen.config import AppLimits, RunConfig, replace

    (tmp_path / "quick_death.py").write_text(QUICK_DEATH)
    monkeypatch.syspath_prepend(str(tmp_path))  # the spawned worker is given this path too
    import quick_death

    monkeypatch.setattr(worker, "main", quick_death.main)
    config = RunConfig()
    config.data = replace(config.data, dataset=str(trained_run.path))
    registry = jobs.Registry(AppLimits(), samples=False)
    job = registry.wait(registry.submit(config, tmp_path / "runs" / "tune"), timeout=60)
    assert job.state == "interrupted", job.error or job.message
    assert job.run_path is not None and (job.run_path / "model.keras").is_file()
    assert not list(job.run_path.glob(".*.tmp*"))
