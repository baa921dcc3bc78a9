"""Every page of the Streamlit app through streamlit.testing (no browser): widgets set, buttons
clicked, the elements and messages a person would see."""
from __future__ import annotations

import dataclasses
import io
import json
import re
import time
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_fixtures import bundled_runs  # noqa: F401 (fixture)
from conftest import Loaded, make_piece, tiny_config
from musegen.render import audio, rendering
from musegen.serve import jobs
from musegen.studio import presets, run_library, steering
from musegen.messages import msg, option
from musegen.render.midi import piece_to_midi_bytes
from musegen.render.words import piece_title
from musegen.runs.folder import Run

ROOT = Path(__file__).resolve().parent.parent
HAS_AUDIO = audio.check_audio() is None


@pytest.fixture(autouse=True)
def env(monkeypatch, tmp_path, bundled_runs):  # noqa: F811
    runs = tmp_path / "runs"
    monkeypatch.setenv("MUSEGEN_RUNS", str(runs))
    monkeypatch.setenv("MUSEGEN_BUNDLED_DIR", str(bundled_runs))
    for var in AppLimitsEnv:
        monkeypatch.delenv(var, raising=False)
    return runs


AppLimitsEnv = ("MUSEGEN_MAX_UPLOAD_MB", "MUSEGEN_MAX_TRAINING_MINUTES", "MUSEGEN_MAX_CONCURRENT_TRAININGS")


def open_app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def midi(i: int) -> bytes:
    return piece_to_midi_bytes(make_piece(i, bars=12))


def texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)


def wait_until(at: AppTest, done, timeout: float = 150.0) -> AppTest:
    """Rerun (as the fragment's run_every would) until `done(at)`."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if done(at):
            return at
        time.sleep(0.5)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    raise AssertionError("timed out: " + texts(at.markdown)[-500:])


def players(at: AppTest) -> list[str]:
    """The pages of the audio-with-playhead frames (musegen.render.playhead) on screen."""
    return [e.proto.srcdoc for e in at.get("iframe") if "data:audio/ogg;base64," in e.proto.srcdoc]


def scores(at: AppTest) -> list:
    """Engraved score pages on screen: at reading size (an image in a sideways-scrolling frame) or
    fitted to the width (st.image)."""
    return [e for e in at.get("html") if "data:image/svg+xml" in e.proto.body] + list(at.get("image"))


def rolls(at: AppTest) -> int:
    """Piano rolls on screen: the playhead's (with audio) or plotly's (without)."""
    return len(players(at)) + len(at.get("plotly_chart"))


def upload(at: AppTest, files) -> AppTest:
    at.radio(key="ds-source").set_value("Upload files").run()
    at.file_uploader(key="ds-upload").set_value([(name, data, "application/octet-stream") for name, data in files])
    return at.run()


# ---------------------------------------------------------------- home


def test_home_generates_a_piece_with_the_bundled_model():
    at = open_app()
    assert "musegen" in at.title[0].value
    assert "tiny-wavenet" in texts(at.caption)
    at.button(key="home-generate").click().run()
    assert not at.exception and not at.error
    assert rolls(at) == 1, "no piano roll"
    assert len(players(at)) == (1 if HAS_AUDIO else 0)  # the audio plays inside the roll's frame
    assert "A new piece by" in texts(at.success)
    assert len(at.session_state["pieces"]) == 1


def test_home_without_any_model_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("MUSEGEN_BUNDLED_DIR", str(tmp_path / "none"))
    at = open_app()
    assert "No pretrained model" in texts(at.info)
    assert all(b.key != "home-generate" for b in at.button)


def test_without_audio_the_rest_still_works(monkeypatch):
    monkeypatch.setattr(audio, "_fluidsynth", lambda: None)
    at = open_app()
    assert "No audio on this machine" in texts(at.sidebar.warning)
    at.button(key="home-generate").click().run()
    assert not at.error and at.get("plotly_chart") and not at.get("audio")
    assert "No audio" in texts(at.caption)
    at.switch_page("pages/generate.py").run()
    at.button(key="gen-go").click().run()
    labels = [b.proto.label for b in at.get("download_button")]
    assert any("MIDI" in x for x in labels) and any("MusicXML" in x for x in labels)
    assert not any("Audio" in x for x in labels)


# ---------------------------------------------------------------- dataset


def test_dataset_upload_report_histograms_cutoff_and_preview():
    at = open_app("pages/dataset.py")
    upload(at, [("a.mid", midi(0)), ("b.mid", midi(1)), ("notes.mid", b"these are not notes")])
    assert not at.error, texts(at.error)
    assert "Limits:" in texts(at.caption) and "50 MB per upload" in texts(at.caption)
    # The totals in one line (five metrics filled a phone's screen), the details in the report.
    assert not at.metric and "**3 files**: 2 read, 1 skipped · **" in texts(at.markdown)
    assert "notes.mid" in texts(at.warning)
    assert len(at.get("plotly_chart")) >= 4  # pitches, durations, token counts, piano roll
    assert len(at.get("audio")) == (1 if HAS_AUDIO else 0)
    assert at.dataframe, "no per-file report"
    before = texts(at.markdown)
    assert "would be dropped" in before
    at.slider(key="ds-cutoff").set_value(1).run()
    assert "**0** of" in texts(at.markdown)
    assert at.session_state["dataset"]["result"].summary()["parsed"] == 2  # what Train will use


def report_table(at: AppTest) -> dict:
    """The Dataset page's per-file report, by file name."""
    table = next(d.value for d in at.dataframe if "file" in d.value.columns)
    return {row["file"]: row for row in table.to_dict("records")}


def test_the_per_file_report_says_what_each_file_was_read_as():
    """A student checks their jig was read as 6/8, in G, at its tempo; a skipped file has none."""
    jig = make_piece(0, bars=12)
    jig.time_signatures, jig.key_sharps, jig.tempo = [(0.0, 6, 8)], 1, 132.0
    at = open_app("pages/dataset.py")
    upload(at, [("jig.mid", piece_to_midi_bytes(jig)), ("notes.mid", b"these are not notes")])
    rows = report_table(at)
    assert {k: rows["jig.mid"][k] for k in ("metre", "key", "tempo (bpm)")} == \
        {"metre": "6/8", "key": "G major / E minor", "tempo (bpm)": "132"}
    assert {k: rows["notes.mid"][k] for k in ("metre", "key", "tempo (bpm)")} == \
        {"metre": "—", "key": "—", "tempo (bpm)": "—"}


def test_dataset_refuses_bad_uploads_with_a_message():
    at = open_app("pages/dataset.py")
    upload(at, [("song.mid", b"just some text, not MIDI")])
    assert at.error and "No usable music" in at.error[0].value
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("a.mid", b"nope")
        zf.writestr("b.mid", b"")
        zf.writestr("readme.txt", b"hello")
    upload(at, [("bad.zip", buffer.getvalue())])
    assert at.error and "No usable music" in at.error[0].value
    assert "Choose a dataset" in texts(at.info)


def test_dataset_builtin_list():
    at = open_app("pages/dataset.py")
    names = at.selectbox(key="ds-builtin").options
    assert any("Bach chorales" in n for n in names)


# ---------------------------------------------------------------- train


def test_train_quick_run_to_the_end_then_rename_and_delete(env):
    at = open_app("pages/dataset.py")
    upload(at, [(f"t{i}.mid", midi(i)) for i in range(3)])
    at.switch_page("pages/train.py").run()
    assert "3 uploaded files" in texts(at.markdown)
    assert at.selectbox(key="tr-preset").value.startswith("Quick test")
    for box in at.number_input:
        assert box.proto.help, f"{box.label} has no help"
    at.selectbox(key="tr-kind").set_value("lstm").run()
    at.button(key="tr-start").click().run()
    job_id = at.session_state["job"]
    assert at.query_params["job"] == [job_id] or at.query_params["job"] == job_id
    wait_until(at, lambda a: "Training finished." in texts(a.success))
    assert at.get("plotly_chart")
    job = jobs.get(job_id)
    # A visitor's run goes to their own folder, under the hash of their cookie's token.
    assert job.owner and job.run_path.parent == env / "visitors" / job.owner
    # Named for a person: the model, the music it learnt, when; never like a bundled "bach-lstm".
    assert re.fullmatch(r"lstm-on-3-uploaded-files-\d{4}-\d\d-\d\d-\d\dh\d\d", job.run_path.name), job.run_path.name
    assert (job.run_path / "model.keras").is_file()
    assert job.config.train.max_seconds == 60.0  # the quick preset's budget (under the app's cap)
    labels = [e.label for e in at.expander]
    assert any(job.run_path.name in x for x in labels)

    # The run library: rename, then delete.
    name = job.run_path.name  # each library row's widgets are keyed by its run's name
    at.text_input(key=f"lib-name-{name}").set_value("my-lstm")
    at.button(key=f"lib-rename-{name}").click().run()
    mine = job.run_path.parent
    assert (mine / "my-lstm").is_dir() and not job.run_path.exists()
    at.button(key="lib-delete-my-lstm").click().run()
    assert "for good" in texts(at.warning)
    at.button(key="lib-yes-my-lstm").click().run()
    assert not (mine / "my-lstm").exists()
    # Bundled runs are read-only: no rename or delete for them.
    assert "Bundled with the app: read-only." in texts(at.caption)


def test_train_fine_tunes_a_bundled_model_on_uploaded_pieces(env):
    at = open_app("pages/dataset.py")
    upload(at, [(f"t{i}.mid", midi(i)) for i in range(4)])
    at.switch_page("pages/train.py").run()
    assert "bars of this music" in texts(at.caption)  # what the model will hear, in bars
    at.selectbox(key="tr-base").set_value("tiny-wavenet").run()
    assert not [w for w in at.selectbox if w.key == "tr-kind"]  # the base's model, not a choice
    assert "tiny-wavenet" in texts(at.markdown)
    at.button(key="tr-start").click().run()
    job = jobs.get(at.session_state["job"])
    wait_until(at, lambda a: "Training finished." in texts(a.success))
    assert job.config.train.base.endswith("tiny-wavenet") and job.config.train.learning_rate == 3e-4
    assert job.config.model.residual_channels == 16  # the tiny base's size, not the preset's
    job = jobs.get(job.id)
    assert job.state == "finished", (job.state, job.error, job.message)
    assert job.run_path.name.startswith("tiny-wavenet-tuned-on-4-uploaded-files-")  # the base, then the music
    run = Run.load(job.run_path)
    assert run.summary["base"].endswith("tiny-wavenet") and run.summary["stop_reason"]
    assert run.summary["stop_reason"] in texts(at.caption)  # the run library says how it ended
    assert (f"Fine-tuning started at validation loss {run.summary['start_val_loss']:.2f} (a uniform guess would be "
            f"{run.summary['chance_loss']:.2f}); now" in texts(at.caption))


def test_train_waits_in_the_queue_and_can_be_stopped(tmp_path, pieces):
    config = tiny_config("wavenet")
    # No early stopping: the blocker must still be training when the page opens.
    config = dataclasses.replace(config, train=dataclasses.replace(config.train, epochs=500, early_stopping=0))
    blocker = jobs.submit(config, tmp_path / "blocker", pieces=Loaded(pieces))
    try:
        at = open_app("pages/train.py")
        assert "busy" in texts(at.caption)
        # Listed among other trainings, but not by name, and with no Watch button: not this visitor's.
        assert "Another visitor’s training" in texts(at.markdown) and "blocker" not in texts(at.markdown)
        assert not [b for b in at.button if b.key == f"tr-watch-{blocker}"]
        at.button(key="tr-start").click().run()
        assert "Waiting in the queue" in texts(at.info) and "place **1**" in texts(at.info)
        mine = at.session_state["job"]
        stop = [b for b in at.button if b.key == f"tr-stop-{mine}"][0]
        stop.click().run()
        assert jobs.get(mine).state == "stopped"
        wait_until(at, lambda a: "Stopped before it started." in texts(a.success), timeout=10)
    finally:
        jobs.stop(blocker)
        jobs.registry().wait(blocker, timeout=120)


def panel_of(message, progress: dict | None = None, stopping: bool = False) -> AppTest:
    """The Train page's panel for a running training that last said ``message``."""
    def script(message, progress, stopping):
        import time
        from pathlib import Path

        from conftest import tiny_config
        from musegen.serve.job import Job
        from ui import training

        job = Job(id="j1", name="tune", config=tiny_config(), out=Path("/nowhere"), state="running",
                  started=time.time() - 35, message=message, progress=progress or {}, stopping=stopping)
        training.panel(job, "tr")

    at = AppTest.from_function(script, args=(message, progress, stopping), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_before_the_first_batch_the_panel_shows_the_steps_not_an_empty_chart():
    """Up to a minute and a half before the first batch: the steps done, the one under way (the
    worker's words, the time so far), those to come; no chart and no bar at nought."""
    at = panel_of(msg("said.building"))
    steps = texts(at.markdown)
    assert ":green[:material/check_circle:] Read the music" in steps
    assert ":green[:material/check_circle:] Turn it into tokens" in steps
    assert "**Build the model**" in steps and ":gray[:material/radio_button_unchecked: Compile it" in steps
    assert "Building the model… · 35 s so far" in texts(at.caption)
    assert not at.get("plotly_chart") and not at.get("progress")

    at = panel_of(msg("said.windows", n=38))
    assert "**Compile it and train the first batch" in texts(at.markdown)
    assert "Training on 38 windows…" in texts(at.caption) and not at.get("progress")

    # The first batch: the bar and the chart take over.
    at = panel_of(msg("said.batch", epoch=1, epochs=2, step=1, steps=4),
                  {"event": "batch", "epoch": 1, "epochs": 2, "step": 1, "steps": 4, "elapsed": 40.0})
    assert at.get("progress") and "Read the music" not in texts(at.markdown)


def test_a_training_stopping_says_so_and_offers_no_second_stop():
    batch = {"event": "batch", "epoch": 2, "epochs": 5, "step": 3, "steps": 9, "elapsed": 40.0}
    running = panel_of(msg("said.batch", epoch=2, epochs=5, step=3, steps=9), batch)
    assert running.button(key="tr-stop-j1").label.endswith("Stop") and not running.button(key="tr-stop-j1").disabled
    at = panel_of(msg("said.stopping"), batch, stopping=True)
    assert at.get("progress")[0].proto.text.startswith("Stopping…")
    assert at.button(key="tr-stop-j1").label == "Stopping…" and at.button(key="tr-stop-j1").disabled


def test_a_stranger_cannot_watch_a_training_from_its_address(tmp_path, pieces):
    job_id = jobs.submit(tiny_config("wavenet"), tmp_path / "theirs", pieces=Loaded(pieces), owner="someone-else")
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.query_params["job"] = job_id
        at.run()
        at.switch_page("pages/train.py").run()
        assert "job" not in at.session_state and "theirs" not in texts(at.subheader)
    finally:
        jobs.stop(job_id)
        jobs.registry().wait(job_id, timeout=120)


def test_a_reload_finds_the_training_again(tmp_path, pieces, monkeypatch):
    monkeypatch.setenv("MUSEGEN_SINGLE_USER", "1")  # a private server: the training is this person's
    job_id = jobs.submit(tiny_config("wavenet"), tmp_path / "reloaded", pieces=Loaded(pieces))
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.query_params["job"] = job_id
        at.run()
        at.switch_page("pages/train.py").run()
        assert at.session_state["job"] == job_id
        assert "reloaded" in texts(at.subheader)
    finally:
        jobs.stop(job_id)
        jobs.registry().wait(job_id, timeout=120)


def test_an_ended_training_is_shown_again_in_a_new_tab_until_put_away(tmp_path, pieces, monkeypatch):
    """A new tab (no job in the address) finds the visitor's newest training after it ended: its
    chart and Generate with it; New training puts it away for good, reloads included."""
    monkeypatch.setenv("MUSEGEN_SINGLE_USER", "1")
    job_id = jobs.submit(tiny_config("wavenet"), tmp_path / "ended", pieces=Loaded(pieces))
    jobs.registry().wait(job_id, timeout=120)
    at = open_app("pages/train.py")  # the new tab
    assert at.session_state["job"] == job_id and "ended" in texts(at.subheader)
    assert at.get("plotly_chart") and "Generate with it" in str([e.proto for e in at.get("page_link")])
    at.button(key=f"tr-dismiss-{job_id}").click().run()
    assert "job" not in at.session_state
    again = open_app("pages/train.py")  # and a reload after it was put away
    assert "job" not in again.session_state and "ended" not in texts(again.subheader)


# ---------------------------------------------------------------- generate


def test_generate_compose_score_audio_downloads_and_session_list():
    at = open_app("pages/generate.py")
    assert at.selectbox(key="gen-run").value.endswith("tiny-wavenet")
    assert at.segmented_control(key="gen-variations-n").value == 1 and not at.checkbox(key="gen-lock").value
    at.slider(key="gen-temperature").set_value(1.2)
    at.slider(key="gen-topp").set_value(0.9)
    at.slider(key="gen-seconds").set_value(10)
    at.selectbox(key="gen-instrument").set_value("Violin")
    at.button(key="gen-go").click().run()
    assert not at.error, texts(at.error)
    assert rolls(at) == 1 and scores(at), "piano roll or score missing"
    assert "Variations" not in texts(at.subheader)  # one piece: shown in full at once
    assert len(players(at)) == (1 if HAS_AUDIO else 0)
    assert len(at.get("audio")) == (1 if HAS_AUDIO else 0)  # its entry in the session list
    labels = [b.proto.label for b in at.get("download_button")]
    assert sum(any(k in x for x in labels) for k in ("MIDI", "(ogg)", "(wav)", "MusicXML")) == (4 if HAS_AUDIO else 2)
    made = at.session_state["pieces"][-1]
    assert "seed" in rendering.download_name(made) and rendering.download_name(made).endswith(made.piece.name[-6:])
    if HAS_AUDIO:
        assert rendering.wav_of(made)[:4] == b"RIFF"  # the WAV download, rendered when asked for
    piece = at.session_state["pieces"][-1]
    assert piece.piece.program == 40 and piece.settings["temperature"] == 1.2
    at.selectbox(key="gen-run").set_value(at.selectbox(key="gen-run").options[1]).run()
    at.button(key="gen-go").click().run()
    assert len(at.session_state["pieces"]) == 2
    assert "This session's pieces" in texts(at.subheader)


def test_generate_variations_side_by_side_then_keep_one():
    at = open_app("pages/generate.py")
    at.slider(key="gen-seconds").set_value(10)
    at.segmented_control(key="gen-variations-n").set_value(2).run()
    at.button(key="gen-go").click().run()
    assert not at.error and not at.exception, texts(at.error)
    variations = at.session_state["gen-variations"]
    assert len(variations) == 2
    first, second = (v.piece.notes for v in variations)
    assert first.shape != second.shape or (first != second).any(), "two variations, the same music"
    assert variations[0].settings["seed"] == variations[1].settings["seed"] == at.number_input(key="gen-seed").value
    assert "Variations" in texts(at.subheader)
    assert rolls(at) == 2 and len(players(at)) == (2 if HAS_AUDIO else 0)
    keep = [b for b in at.button if b.key and b.key.startswith("gen-keep-")]
    assert [b.proto.label.endswith("Keep this one") for b in keep] == [True, True]
    assert not at.session_state["pieces"] and not scores(at)  # nothing kept yet, no score yet

    at.button(key="gen-keep-1").click().run()
    kept = at.session_state["pieces"]
    assert len(kept) == 1 and kept[0] is variations[1]
    assert at.session_state["gen-current"] == 0
    assert piece_title(kept[0].piece.name, variations=kept[0].settings["variations"]) in texts(at.subheader)  # shown in full below, in words: score, downloads
    assert scores(at) and kept[0].musicxml
    assert any("MIDI" in b.proto.label for b in at.get("download_button"))
    assert "variation 2 of 2" in texts(at.caption)
    assert at.button(key="gen-keep-1").disabled and not at.button(key="gen-keep-0").disabled
    assert rolls(at) == 3  # the two variations and the kept one in full

    at.button(key="gen-keep-0").click().run()  # keep the other too: it is now the one in full
    assert at.session_state["pieces"][1] is variations[0] and at.session_state["gen-current"] == 1
    assert "Kept · show it" in at.button(key="gen-keep-1").proto.label
    at.button(key="gen-keep-1").click().run()  # back to the first kept, not kept twice
    assert len(at.session_state["pieces"]) == 2 and at.session_state["gen-current"] == 0


def test_generate_draws_a_new_seed_each_time_unless_locked():
    at = open_app("pages/generate.py")
    at.slider(key="gen-seconds").set_value(5)
    seeds = []
    for _ in range(2):
        at.button(key="gen-go").click().run()
        used = at.session_state["pieces"][-1].settings["seed"]
        assert at.number_input(key="gen-seed").value == used  # the box shows the seed used
        seeds.append(used)
    assert seeds[0] != seeds[1]

    at.checkbox(key="gen-lock").check().run()
    at.button(key="gen-go").click().run()
    at.button(key="gen-go").click().run()
    a, b = at.session_state["pieces"][-2:]
    assert a.settings["seed"] == b.settings["seed"] == seeds[1]
    assert (a.piece.notes == b.piece.notes).all() and a.piece.notes.shape == b.piece.notes.shape

    # Typing a seed locks it: that seed is the one used.
    at.checkbox(key="gen-lock").uncheck().run()
    at.number_input(key="gen-seed").set_value(1234).run()
    assert at.checkbox(key="gen-lock").value
    at.button(key="gen-go").click().run()
    assert at.session_state["pieces"][-1].settings["seed"] == 1234


def test_generate_continues_an_uploaded_midi_and_refuses_a_bad_one():
    at = open_app("pages/generate.py")
    at.radio(key="gen-primer").set_value("My MIDI file (continue it)").run()
    assert at.button(key="gen-go").disabled
    at.file_uploader(key="gen-upload").set_value(("x.mid", b"not midi", "audio/midi"))
    at.run()
    assert at.error
    at.file_uploader(key="gen-upload").set_value(("x.mid", midi(4), "audio/midi"))
    at.run()
    assert not at.error and "lead into the new music" in texts(at.caption)
    at.button(key="gen-go").click().run()
    assert not at.error and at.session_state["pieces"][-1].settings["primer"] == "your MIDI"


def test_a_reload_keeps_the_midi_file_generate_continues(monkeypatch):
    """The uploader comes back empty after a reload: the file is kept with the session, so that
    My MIDI file stays usable, and without one the page says why Compose waits."""
    monkeypatch.setenv("MUSEGEN_SINGLE_USER", "1")
    at = open_app("pages/generate.py")
    at.radio(key="gen-primer").set_value("My MIDI file (continue it)").run()
    assert at.button(key="gen-go").disabled and "Compose waits" in texts(at.caption)
    at.file_uploader(key="gen-upload").set_value(("old.mid", midi(3), "audio/midi")).run()
    at.file_uploader(key="gen-upload").set_value(None).run()  # removed: forgotten
    assert at.button(key="gen-go").disabled
    at.file_uploader(key="gen-upload").set_value(("mine.mid", midi(4), "audio/midi")).run()

    again = open_app("pages/generate.py")  # the reload
    assert again.radio(key="gen-primer").value == "My MIDI file (continue it)"
    assert not again.button(key="gen-go").disabled and "mine.mid" in texts(again.caption)
    assert "Still here from before the reload" in texts(again.caption)  # the uploader looks empty; the file is not
    again.button(key="gen-go").click().run()
    assert not again.error and again.session_state["pieces"][-1].settings["primer"] == "your MIDI"


def test_a_reload_keeps_the_variations_not_kept_yet(monkeypatch):
    monkeypatch.setenv("MUSEGEN_SINGLE_USER", "1")
    at = open_app("pages/generate.py")
    at.slider(key="gen-seconds").set_value(5)
    at.segmented_control(key="gen-variations-n").set_value(2).run()
    at.button(key="gen-go").click().run()
    at.button(key="gen-keep-1").click().run()
    made = [v.midi for v in at.session_state["gen-variations"]]

    again = open_app("pages/generate.py")  # the reload
    assert [v.midi for v in again.session_state["gen-variations"]] == made
    assert len(again.session_state["pieces"]) == 1  # the one kept, not kept twice
    assert "Keep this one" in again.button(key="gen-keep-0").label and "Kept" in again.button(key="gen-keep-1").label


def test_a_style_sets_metre_tempo_instrument_form_and_the_model_it_suits(monkeypatch, tmp_path,
                                                                        bundled_runs):  # noqa: F811
    """A waltz from the first screen: 3/4 from nothing, its tempo, piano, AABA, made with the folk
    model where the library has it, and the caption names the model; back to the model's own."""
    import shutil

    bundled = tmp_path / "bundled"
    shutil.copytree(bundled_runs / "tiny-wavenet", bundled / "tiny-wavenet")
    shutil.copytree(bundled_runs / "tiny-wavenet", bundled / "folk-wavenet")
    monkeypatch.setenv("MUSEGEN_BUNDLED_DIR", str(bundled))
    at = open_app("pages/generate.py")
    signature = at.selectbox(key="gen-time-signature")
    assert signature.disabled and "start from nothing" in signature.proto.help  # shown, with its reason
    at.selectbox(key="gen-style").set_value("waltz").run()
    assert at.radio(key="gen-primer").value == "Nothing" and at.selectbox(key="gen-time-signature").value == "3/4"
    assert at.slider(key="gen-tempo").value == 150 and at.selectbox(key="gen-form").value == "AABA"
    assert at.selectbox(key="gen-instrument").value == "Acoustic grand piano"
    assert at.selectbox(key="gen-run").value.endswith("folk-wavenet") and "`folk-wavenet` model" in texts(at.caption)
    at.slider(key="gen-seconds").set_value(10)
    at.button(key="gen-go").click().run()
    assert not at.error and not at.exception, texts(at.error)
    made = at.session_state["pieces"][-1]
    assert made.piece.time_signature == (3, 4), (made.piece.time_signatures[:5], {k: v for k, v in made.settings.items() if k not in ("steering",)})
    at.selectbox(key="gen-style").set_value("model").run()
    assert at.slider(key="gen-tempo").value == 0 and at.selectbox(key="gen-form").value == "free"


def test_generate_in_a_form_then_write_some_bars_again():
    """Form on the first screen reaches the model and is said under the piece; then bars 1-2 of the
    kept piece are written again: a new piece beside it, those bars marked. (Form and rewriting
    themselves are tested with real weights in test_form.py and test_span.py: the tiny model here
    writes noise.)"""
    at = open_app("pages/generate.py")
    at.radio(key="gen-primer").set_value("Nothing")
    at.selectbox(key="gen-form").set_value("AABA").run()
    at.segmented_control(key="gen-repeats").set_value("exact")
    at.segmented_control(key="gen-phrase-bars").set_value(2)
    at.segmented_control(key="gen-unit").set_value("bars").run()
    at.slider(key="gen-bars").set_value(8)
    # A seed of its own: with a random one the tiny model's noise once came out as a piece of one
    # bar (1 run in 4 full suites), with no bars 1-2 to write again.
    at.number_input(key="gen-seed").set_value(1234)
    at.button(key="gen-go").click().run()
    assert not at.error and not at.exception, texts(at.error)
    made = at.session_state["pieces"][-1]
    assert msg("said.form_rule", form="AABA", bars=2, repeats=msg("said.repeats_exact")) in made.settings["steering"]
    assert "form AABA in 2-bar phrases, repeats exact" in texts(at.caption)

    at.select_slider(key="gen-rw-bars-0").set_value((1, 2))
    at.button(key="gen-rw-0").click().run()
    assert not at.error and not at.exception, texts(at.error)
    new = at.session_state["pieces"][-1]
    assert len(at.session_state["pieces"]) == 2 and new.settings["rewritten"] == [1, 2]
    starts = new.piece.bar_starts()
    assert new.piece.rewritten == (starts[0], starts[2]) and "bars 1–2 written again" in texts(at.caption)

    at.session_state["gen-current"] = 0  # back to the piece in the form: one more A
    at.run()
    at.button(key="gen-more-go-0").click().run()
    assert not at.error and not at.exception, texts(at.error)
    longer = at.session_state["pieces"][-1]
    assert len(at.session_state["pieces"]) == 3 and longer.settings["added"] == "A"
    assert longer.piece.duration_quarters > made.piece.duration_quarters and "one more section A" in texts(at.caption)


def test_generate_steers_key_range_and_a_continuations_metre():
    """The Steer expander reaches the model: a strict key and a range hold for every note; a 3/4
    upload in four flats goes on in 3/4, in its key signature, and opens with the user's bars."""
    import numpy as np

    from musegen.music.piece import PITCH, Part, Piece

    at = open_app("pages/generate.py")
    at.slider(key="gen-seconds").set_value(10)
    at.selectbox(key="gen-key").set_value("E").run()
    at.selectbox(key="gen-scale").set_value("major")
    at.slider(key="gen-key-strength").set_value(1.0)
    at.select_slider(key="gen-range").set_value(("C3", "C6"))
    at.button(key="gen-go").click().run()
    assert not at.error and not at.exception, texts(at.error)
    made = at.session_state["pieces"][-1]
    pitches = made.piece.notes[:, PITCH].astype(int)
    assert len(pitches) and set(pitches % 12) <= {4, 6, 8, 9, 11, 1, 3} and 48 <= pitches.min() <= pitches.max() <= 84
    assert msg("said.key", tonic="E", scale=option("scale", "major")) in made.settings["steering"]
    assert "key E major" in texts(at.caption)

    waltz = Piece("waltz", np.array([(bar * 3 + beat, 1, 65 + 2 * beat - 12 * hand, 80, hand) for bar in range(6)
                                     for beat in range(3) for hand in (0, 1)], float), tempo=92,
                  parts=[Part("Right"), Part("Left")], time_signatures=[(0.0, 3, 4)], key_sharps=-4)
    at.radio(key="gen-primer").set_value("My MIDI file (continue it)").run()
    at.file_uploader(key="gen-upload").set_value(("waltz.mid", piece_to_midi_bytes(waltz), "audio/midi"))
    at.run()
    at.selectbox(key="gen-key").set_value(steering.FREE)
    at.slider(key="gen-primer-bars").set_value(2)
    at.segmented_control(key="gen-unit").set_value("bars").run()
    at.slider(key="gen-bars").set_value(6)
    at.button(key="gen-go").click().run()
    assert not at.error and not at.exception, texts(at.error)
    out = at.session_state["pieces"][-1].piece
    assert out.time_signature == (3, 4) and out.key_sharps == -4 and out.takeover == 6.0
    assert "continued" in out.name


def test_generate_follows_typed_chords_and_says_a_bad_chord_losing_nothing():
    """Chords typed in Steer reach the model and are said under the piece (how well music follows
    them is measured with real weights in test_accompany.py: the tiny model here writes noise); a
    chord it cannot read is said at once and again by Compose, in the visitor's language, the text
    and the pieces left as they were."""
    at = open_app("pages/generate.py")
    at.radio(key="gen-primer").set_value("Nothing")
    at.segmented_control(key="gen-unit").set_value("bars").run()
    at.slider(key="gen-bars").set_value(4)
    at.text_input(key="gen-chords").input("C G Am F").run()
    at.slider(key="gen-chord-strength").set_value(1.0)
    at.button(key="gen-go").click().run()
    assert not at.error and not at.exception, texts(at.error)
    made = at.session_state["pieces"][-1]
    assert msg("said.chords_rule", chords="C | G | Am | F", strength="1") in made.settings["steering"]
    assert "chords C | G | Am | F (strength 1)" in texts(at.caption)

    at.text_input(key="gen-chords").input("C Xq Am").run()
    assert "“Xq” is not a chord this can read" in texts(at.error)  # said under the field, before Compose
    at.button(key="gen-go").click().run()
    assert "“Xq” is not a chord this can read" in texts(at.error)
    assert len(at.session_state["pieces"]) == 1 and at.text_input(key="gen-chords").value == "C Xq Am"
    assert at.session_state["gen-current"] == 0  # the piece made before is still shown

    at.session_state["ui-lang"] = "zh"
    at.run()
    assert "无法识别和弦“Xq”" in texts(at.error)


def test_generate_accompanies_an_uploaded_melody_then_writes_one_part_again(monkeypatch, duet_bundled):
    """Bring a melody, get the band: a duet uploaded, its melody kept, the model writes the rest
    around it (the melody comes out note for note), given and new parts marked on the roll and the
    score; then the new part is written again, the melody kept; then, on a piece composed, the
    other parts written around its top part."""
    monkeypatch.setenv("MUSEGEN_BUNDLED_DIR", str(duet_bundled))
    at = open_app("pages/generate.py")
    at.selectbox(key="gen-run").set_value(str(duet_bundled / "tiny-duet")).run()
    at.radio(key="gen-primer").set_value("My music (write parts around it)").run()
    assert at.slider(key="gen-topp").value == 0.7 and at.selectbox(key="gen-key").value == "auto"  # measured
    assert at.button(key="gen-go").disabled and "Compose waits for the music to accompany" in texts(at.caption)
    at.file_uploader(key="gen-upload").set_value(("duet.mid", duet_midi(2), "audio/midi")).run()
    assert "2 parts" in texts(at.caption) and not at.button(key="gen-go").disabled
    keep = next(m for m in at.multiselect if m.key.startswith("gen-acc-keep-"))
    assert keep.value == [0] and keep.options == ["Melody", "Chords"]
    keep.set_value([]).run()  # nothing kept: Compose says why it waits
    assert at.button(key="gen-go").disabled and "Choose at least one part" in at.button(key="gen-go").proto.help
    next(m for m in at.multiselect if m.key.startswith("gen-acc-keep-")).set_value([0]).run()
    at.text_input(key="gen-chords").input("auto").run()  # the chords the melody suggests: not a typo
    assert not at.error, texts(at.error)
    at.button(key="gen-go").click().run()
    assert not at.error and not at.exception, texts(at.error)
    made = at.session_state["pieces"][-1]
    assert any(str(m).startswith("chords ") for m in made.settings["steering"])  # found, and said
    duet = dataset_piece(duet_midi(2))
    assert made.settings["given_parts"] == [1] and made.piece.given_parts == (0,)
    assert same_notes(made.piece.part_notes(0), duet.part_notes(0)) and len(made.piece.part_notes(1))
    assert "given: Melody" in texts(at.caption)
    marks = players(at)[-1] if HAS_AUDIO else json.dumps([t.name for t in at.get("plotly_chart")[-1].figure.data])
    assert "Melody (given)" in marks and "Chords (new)" in marks
    assert "<part-name>Melody (given)</part-name>" in made.musicxml

    at.selectbox(key="gen-pa-0").set_value(1)
    at.button(key="gen-pa-go-0").click().run()
    assert not at.error and not at.exception, texts(at.error)
    again = at.session_state["pieces"][-1]
    assert len(at.session_state["pieces"]) == 2 and again.piece.given_parts == (0,)
    assert same_notes(again.piece.part_notes(0), made.piece.part_notes(0))
    assert not same_notes(again.piece.part_notes(1), made.piece.part_notes(1))

    at.radio(key="gen-primer").set_value("Nothing").run()
    assert at.slider(key="gen-topp").value != 0.7  # the page's own settings back
    at.slider(key="gen-seconds").set_value(5)
    at.button(key="gen-go").click().run()
    solo = at.session_state["pieces"][-1]
    assert next(m for m in at.multiselect if m.key == "gen-acc-keep-kept-2").value == [0]
    at.button(key="gen-around-go-2").click().run()  # its top part kept, the model's other part around it
    assert not at.error and not at.exception, texts(at.error)
    band = at.session_state["pieces"][-1]
    assert len(band.piece.parts) == 2 and band.piece.given_parts == (0,)
    origin = solo.piece.bar_starts()[0]
    assert same_notes(band.piece.part_notes(0), solo.piece.part_notes(0) - [origin, 0, 0, 0, 0])


def dataset_piece(data: bytes):
    from musegen.music.readers import read_file_bytes

    return read_file_bytes("x.mid", data)


def same_notes(a, b) -> bool:
    """The same notes, in any order (start, duration, pitch, velocity)."""
    import numpy as np

    order = lambda n: n[np.lexsort(n[:, :3].T[::-1])][:, :4]  # noqa: E731
    return len(a) == len(b) and np.allclose(order(a), order(b))


# ---------------------------------------------------------------- compare


def test_compare_curves_table_and_side_by_side(monkeypatch, tmp_path):
    monkeypatch.setattr(run_library, "PROJECT_ROOT", tmp_path)  # no study results here
    at = open_app("pages/compare.py")
    assert len(at.multiselect(key="cmp-runs").value) == 2
    assert at.get("plotly_chart") and at.dataframe
    assert "The study's answer" not in texts(at.subheader)
    # The plain answer: the tiny bundled runs trained two epochs, too short to crown either.
    assert "The answer" in texts(at.subheader)
    assert "too short to judge" in texts(at.warning) and texts(at.info).startswith("Too early to tell")
    at.slider(key="cmp-seconds").set_value(5)
    at.button(key="cmp-go").click().run()
    assert not at.error, texts(at.error)
    assert len(players(at)) == (2 if HAS_AUDIO else 0)
    table = at.dataframe[0].value
    assert table["generation tokens/s"].notna().all() and set(table["model"]) == {"wavenet", "lstm"}
    losses = table.set_index("run")["best val loss"]  # the runs' own, like for like: what the answer compares
    assert abs(gap_in(texts(at.info)) - abs(losses["tiny-lstm"] - losses["tiny-wavenet"])) <= 0.001


def measured_alike(monkeypatch, losses: dict) -> None:
    """The Compare page as when its runs' own losses are not like for like (the bundled Bach pair:
    other windows), and measuring them alike gives `losses` (and accuracies of 0.6)."""
    from musegen.evaluate import verdict
    from ui import server

    monkeypatch.setattr(verdict, "recorded_mismatch", lambda runs: msg("verdict.mismatch_pieces"))
    monkeypatch.setattr(server, "measured_alike",
                        lambda paths, stamps, runs: {name: {"loss": loss, "accuracy": 0.6} for name, loss in losses.items()})


def gap_in(headline: str) -> float:
    """The margin a Compare headline states: its first number with three decimals."""
    import re

    return float(re.search(r"\d+\.\d{3}", headline).group())


def test_compare_headline_numbers_are_the_tables(monkeypatch):
    """The answer's margin is the difference of the losses the table shows beside it: the ones it
    measured alike, said with their source, not the runs' own (which disagreed with it)."""
    measured_alike(monkeypatch, {"tiny-wavenet": 1.234, "tiny-lstm": 1.365})
    at = open_app("pages/compare.py")
    table = at.dataframe[0].value.set_index("run")
    losses = table[run_library.MEASURED_LOSS]
    assert gap_in(at.info[0].value) == round(losses["tiny-lstm"] - losses["tiny-wavenet"], 3) == 0.131
    assert "best val loss" not in table.columns
    source = texts(at.markdown)
    assert "The loss column is what the answer compares: each model measured alike" in source
    assert "one run of each model" in source and "validated on different pieces" in source
    assert "surprise" in texts(at.caption) and "nats per token" in texts(at.caption)
    assert "None" not in table.to_string() and "generation tokens/s" not in table.columns  # not measured yet


def test_compare_bundled_pair_shows_the_figures_its_answer_measured(monkeypatch):
    """The bundled Bach pair recorded their losses on windows of other lengths (the WaveNet 0.94, the
    LSTM 0.84), and the answer measures both again on the same chorales (the WaveNet wins): the
    table, the evidence and the run picker show only what it measured, so no number beside the
    answer says the opposite; the runs' own figures wait in a details panel that says what they are."""
    monkeypatch.setenv("MUSEGEN_BUNDLED_DIR", str(ROOT / "assets" / "models"))
    at = open_app("pages/compare.py")
    table = at.dataframe[0].value.set_index("run")
    assert list(table.index) == ["bach-wavenet", "bach-lstm"]
    assert "best val loss" not in table.columns and "val accuracy" not in table.columns
    losses, accuracies = table[run_library.MEASURED_LOSS], table[run_library.MEASURED_ACCURACY]
    assert losses["bach-wavenet"] < losses["bach-lstm"] and accuracies["bach-wavenet"] > accuracies["bach-lstm"]
    assert "the WaveNet predicts held-out music better" in at.info[0].value
    assert gap_in(at.info[0].value) == round(losses["bach-lstm"] - losses["bach-wavenet"], 3)
    evidence = texts(next(e for e in at.expander if e.label == "Why: the evidence").markdown)
    for name in ("bach-wavenet", "bach-lstm"):
        assert f"measured on the same pieces {losses[name]:.3f}, validation accuracy {accuracies[name]:.1%}" in evidence
    assert not [o for o in at.multiselect(key="cmp-runs").options if "error on music" in o]  # no 0.94 in the picker
    assert "measured while it trained on its own validation music" in texts(at.caption)  # the curves
    own = next(e for e in at.expander if e.label.startswith("Each run's own figures"))
    assert "on its own validation music" in own.label
    recorded = own.dataframe[0].value.set_index("run")
    assert recorded["best val loss"].to_dict() == {"bach-wavenet": 0.942, "bach-lstm": 0.841}
    assert recorded["validation window (tokens)"].to_dict() == {"bach-wavenet": 512, "bach-lstm": 1024}
    assert "windows of different lengths (512 and 1024 tokens)" in texts(own.caption)


def test_compare_shows_the_study_headline_when_present(monkeypatch, tmp_path):
    (tmp_path / "docs" / "study").mkdir(parents=True)
    (tmp_path / "docs" / "study" / "results.json").write_text(json.dumps(
        {"headline": [{"model": "wavenet", "val_loss": 1.2}, {"model": "lstm", "val_loss": 1.4}]}))
    monkeypatch.setattr(run_library, "PROJECT_ROOT", tmp_path)
    at = open_app("pages/compare.py")
    assert "The study's answer" in texts(at.subheader)
    assert "docs/study.md" in texts(at.caption)
    assert list(at.dataframe[-1].value["model"]) == ["wavenet", "lstm"]
    assert list(at.dataframe[-1].value["held-out loss (mean ± sd)"]) == ["1.200", "1.400"]


def test_compare_study_table_reads_as_words(monkeypatch):
    """The real study's headline: a few readable columns, each mean with its spread, no raw names."""
    at = open_app("pages/compare.py")
    study = at.dataframe[-1].value
    assert "held-out loss (mean ± sd)" in study.columns and "1.178 ± 0.066" in list(study["held-out loss (mean ± sd)"])
    assert not [c for c in study.columns if "_" in c]  # vocab_sd, params_sd, val_nll: gone
    assert "75 s" in texts(at.caption)


def test_compare_trains_both_with_identical_settings(monkeypatch):
    at = open_app("pages/compare.py")
    at.button(key="cmp-train").click().run()
    ids = at.session_state["cmp-jobs"]
    try:
        a, b = (jobs.get(i) for i in ids)
        assert (a.config.model.kind, b.config.model.kind) == ("wavenet", "lstm")
        assert a.config.data == b.config.data and a.config.train == b.config.train
        assert "Waiting: place 1" in texts(at.caption) or b.state != "queued"
    finally:
        for i in ids:
            jobs.stop(i)
        for i in ids:
            jobs.registry().wait(i, timeout=120)


def test_scores_engrave_in_every_script_thread():
    """Streamlit runs each script run in a new thread; verovio must find its fonts in all of them."""
    import threading

    from musegen.render.midi import piece_to_musicxml, score_svg

    xml, out = piece_to_musicxml(make_piece(0)), []
    for _ in range(3):
        thread = threading.Thread(target=lambda: out.append(score_svg(xml)[0]))
        thread.start()
        thread.join()
    assert len(out) == 3 and all(svg.lstrip().startswith(("<svg", "<?xml")) for svg in out)


def test_a_reload_keeps_the_uploaded_dataset_the_settings_and_the_pieces(monkeypatch):
    """A reload is a new session: the music chosen (an upload too), the page settings and the pieces
    composed come back (a private server here: AppTest cannot carry the visitor's cookie; the
    browser test covers the cookie)."""
    monkeypatch.setenv("MUSEGEN_SINGLE_USER", "1")
    at = open_app("pages/dataset.py")
    upload(at, [(f"t{i}.mid", midi(i)) for i in range(3)])
    at.switch_page("pages/generate.py").run()
    at.slider(key="gen-temperature").set_value(1.1)
    at.slider(key="gen-seconds").set_value(8)
    at.button(key="gen-go").click().run()
    assert not at.error, texts(at.error)
    made = at.session_state["pieces"][-1]

    again = open_app("pages/train.py")  # the reload
    assert "3 uploaded files" in texts(again.markdown)  # the Train page trains on the upload, not on Bach
    again.switch_page("pages/generate.py").run()
    assert again.slider(key="gen-temperature").value == 1.1 and again.slider(key="gen-seconds").value == 8
    back = again.session_state["pieces"]
    assert len(back) == 1 and back[0].midi == made.midi and back[0].settings["temperature"] == 1.1
    assert (back[0].audio is not None) == HAS_AUDIO  # the score is engraved again when shown


def test_a_reload_that_opens_another_page_keeps_every_page_s_settings(monkeypatch):
    """Each page says which settings it keeps (its KEPT): a reload straight into another page, which
    changes and writes its own, must not drop those of a page it did not draw."""
    monkeypatch.setenv("MUSEGEN_SINGLE_USER", "1")
    at = open_app("pages/generate.py")
    at.slider(key="gen-temperature").set_value(1.1).run()

    again = open_app("pages/train.py")  # a reload into Train, which writes its own setting
    sizes = list(presets.PRESETS)
    again.selectbox(key="tr-preset").set_value(sizes[-1]).run()
    assert not again.exception, [e.value for e in again.exception]

    third = open_app("pages/generate.py")  # and another, into Generate
    assert third.slider(key="gen-temperature").value == 1.1
    third.switch_page("pages/train.py").run()
    assert third.selectbox(key="tr-preset").value == sizes[-1]


def test_a_downloaded_run_imports_back_into_the_library(bundled_runs):  # noqa: F811
    from musegen.runs.bundle import zip_run

    at = open_app("pages/train.py")
    at.file_uploader(key="lib-import").set_value([("tiny-wavenet.zip", zip_run(bundled_runs / "tiny-wavenet"),
                                                   "application/zip")]).run()
    assert "Imported as **tiny-wavenet**" in texts(at.success), texts(at.error)
    assert any(e.label.startswith("tiny-wavenet —") and "(bundled)" not in e.label for e in at.expander)
    at.file_uploader(key="lib-import").set_value([("junk.zip", b"PK\x03\x04 not a zip", "application/zip")]).run()
    assert at.error and "Traceback" not in texts(at.error)


def duet_piece(i: int):
    """A melody over chords in two parts (the chords below middle C in the second)."""
    from musegen.music.piece import PART, PITCH, Part, Piece

    piece = make_piece(i, bars=12)
    notes = piece.notes.copy()
    notes[:, PART] = notes[:, PITCH] < 60
    return Piece(piece.name, notes, piece.tempo, parts=[Part("Melody"), Part("Chords")])


def duet_midi(i: int) -> bytes:
    return piece_to_midi_bytes(duet_piece(i))


@pytest.fixture(scope="module")
def duet_bundled(tmp_path_factory, bundled_runs):  # noqa: F811
    """The bundled stand-ins and a tiny model that learnt two parts (the others learnt one: around a
    given part they write no second one)."""
    import shutil

    from musegen.train.fit import train

    root = tmp_path_factory.mktemp("duet-bundled")
    shutil.copytree(bundled_runs, root, dirs_exist_ok=True)
    train(tiny_config("wavenet"), root / "tiny-duet", pieces=Loaded([duet_piece(i) for i in range(10)]))
    return root


def test_train_starts_a_small_set_from_the_base_and_names_a_start_that_cannot_help(monkeypatch, tmp_path,
                                                                                   bundled_runs):  # noqa: F811
    import shutil

    bundled = tmp_path / "bundled"
    shutil.copytree(bundled_runs, bundled)
    shutil.copytree(bundled_runs / "tiny-wavenet", bundled / run_library.BASE_RUN)  # a base that saw one and two parts
    data = json.loads((bundled / run_library.BASE_RUN / "data.json").read_text())
    (bundled / run_library.BASE_RUN / "data.json").write_text(json.dumps({**data, "part_counts": {"1": 5, "2": 5}}))
    monkeypatch.setenv("MUSEGEN_BUNDLED_DIR", str(bundled))
    at = open_app("pages/dataset.py")
    upload(at, [(f"duet{i}.mid", duet_midi(i)) for i in range(4)])
    at.switch_page("pages/train.py").run()
    assert at.selectbox(key="tr-base").value == run_library.BASE_RUN  # a small set starts from the base
    assert "already knows harmony, metre and parts in every layout" in texts(at.caption)
    assert not at.warning
    at.selectbox(key="tr-base").set_value("tiny-wavenet").run()  # learnt one part only
    assert "tiny-wavenet has only learnt music in 1 part, and most of your pieces have 2" in texts(at.warning)
