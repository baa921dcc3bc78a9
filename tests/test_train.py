"""train(): the run bundle, the split, stop requests, the time budget, resume, reload."""
import threading

import pytest

from conftest import Loaded, tiny_config
from musegen.errors import ModelError
from musegen.runs import Run, list_runs, rename_run, zip_run
from musegen.train import train


def test_a_run_bundle_holds_everything_to_reload(trained_run):
    files = {p.name for p in trained_run.path.iterdir()}
    assert {"config.json", "tokenizer.json", "model.keras", "history.json", "data.json", "primers.npy", "summary.json"} <= files
    s = trained_run.summary
    assert s["epochs"] == 2 and s["params"] > 0 and s["val_loss"] > 0 and s["receptive_field"] == 9
    data = trained_run.data
    assert data["train_files"] and data["val_files"] and not set(data["train_files"]) & set(data["val_files"])
    history = trained_run.history
    assert len(history["loss"]) == 2 and history["loss"][1] < history["loss"][0]
    model = Run.load(trained_run.path).load_model()
    assert model.count_params() == s["params"]


@pytest.mark.parametrize("kind", ["lstm", "simple-wavenet"])
def test_each_model_trains_through_train(tmp_path, pieces, kind):
    events = []
    run = train(tiny_config(kind), tmp_path / kind, pieces=Loaded(pieces), progress=events.append)
    assert run.history["loss"][-1] < run.history["loss"][0]
    batches = [e for e in events if e["event"] == "batch"]
    assert batches and {"loss", "eta", "elapsed", "step", "steps", "epoch"} <= set(batches[-1])
    assert [e["epoch"] for e in events if e["event"] == "epoch"] == [1, 2]


def test_the_articles_setup_trains(tmp_path, pieces):
    config = tiny_config("lstm", inputs="scalar", targets="last")
    config.tokenizer.scheme, config.tokenizer.min_count = "notes", 2
    config.data.window, config.data.stride = 16, 1
    run = train(config, tmp_path / "article", pieces=Loaded(pieces))
    assert run.tokenizer.config.scheme == "notes" and run.summary["val_accuracy"] is not None


def test_a_stop_request_ends_training_and_keeps_the_checkpoint(tmp_path, pieces):
    stop = threading.Event()
    config = tiny_config()
    config.train.epochs = 50

    def progress(event):
        if event["event"] == "batch" and event["step"] == 2:
            stop.set()

    run = train(config, tmp_path / "stopped", pieces=Loaded(pieces), progress=progress, stop=stop)
    assert run.summary["stopped"] == "stop requested" and run.summary["epochs"] == 1
    assert Run.load(tmp_path / "stopped").load_model() is not None


def test_time_budget(tmp_path, pieces):
    config = tiny_config()
    config.train.epochs, config.train.max_seconds = 1000, 2.0
    run = train(config, tmp_path / "budget", pieces=Loaded(pieces))
    assert run.summary["stopped"] == "time budget" and run.summary["epochs"] < 1000


def test_resume_continues_the_history(tmp_path, pieces):
    out = tmp_path / "resumed"
    train(tiny_config(), out, pieces=Loaded(pieces))
    with pytest.raises(ModelError, match="already holds a run"):
        train(tiny_config(), out, pieces=Loaded(pieces))
    config = tiny_config()
    config.train.epochs = 1
    run = train(config, out, pieces=Loaded(pieces), resume=True)
    assert len(run.history["loss"]) == 3 and run.history["elapsed"] == sorted(run.history["elapsed"])


def test_an_interrupted_save_leaves_the_last_good_model(trained_run, monkeypatch, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(trained_run.path, copy)
    run = Run.load(copy)
    model = run.load_model()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(type(model), "save", crash)
    from musegen.runs import save_model

    with pytest.raises(KeyboardInterrupt):
        save_model(model, copy / "model.keras")
    assert Run.load(copy).load_model().count_params() == model.count_params()


def test_library_operations(trained_run, tmp_path):
    import shutil
    import zipfile
    import io

    copy = tmp_path / "lib" / "a"
    shutil.copytree(trained_run.path, copy)
    renamed = rename_run(copy, "my bach run!")
    assert renamed.name == "my-bach-run" and [r.name for r in list_runs(tmp_path / "lib")] == ["my-bach-run"]
    names = zipfile.ZipFile(io.BytesIO(zip_run(renamed))).namelist()
    assert "my-bach-run/model.keras" in names
    (tmp_path / "lib" / "broken").mkdir()
    (tmp_path / "lib" / "broken" / "config.json").write_text("{}")
    assert len(list_runs(tmp_path / "lib")) == 1


def test_a_damaged_bundle_is_a_clear_error(trained_run, tmp_path):
    import shutil

    copy = tmp_path / "damaged"
    shutil.copytree(trained_run.path, copy)
    (copy / "model.keras").write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="could not be loaded"):
        Run.load(copy).load_model()
    (copy / "tokenizer.json").unlink()
    with pytest.raises(ModelError, match="not a finished musegen run"):
        Run.load(copy)
