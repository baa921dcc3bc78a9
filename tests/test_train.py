"""train(): the run bundle, the split, stop requests, the time budget, resume, reload."""
import threading
from pathlib import Path

import numpy as np
import pytest

from conftest import Loaded, tiny_config
from musegen.errors import InputError, ModelError
from musegen.messages import from_json, msg
from musegen.runs.bundle import zip_run
from musegen.runs.folder import Run
from musegen.runs.library import list_runs, rename_run
from musegen.train.fit import train


def test_a_run_bundle_holds_everything_to_reload(trained_run, pieces):
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
    learning = " Still learning when it stopped: train longer for better music." if s["best_epoch"] == 2 else ""
    assert s["stop_reason"] == f"Finished 2 epochs: kept epoch {s['best_epoch']} (val loss {s['val_loss']:.3f}).{learning}"
    assert s["augmentation"] is None and s["base"] is None  # transposition is off by default
    # The context in bars of the music it learnt from: the synthetic pieces are 8 bars of 4/4.
    bars = sum(len(p.bar_starts()) for p in pieces)
    assert data["tokens_per_bar"] == pytest.approx(sum(len(trained_run.tokenizer.encode(p)) for p in pieces) / bars, rel=1e-3)
    assert s["context_tokens"] == 9 and s["context_bars"] == pytest.approx(9 / data["tokens_per_bar"], abs=0.05)
    assert data["time_signature"] == [4, 4] and data["parts"] == [{"name": "", "program": 0, "is_drum": False}]
    # How often a bar comes back in the music it learnt, for the bar echo to aim at.
    from musegen.evaluate.repetition import passage_bar_repetition

    assert data["bars_repeated"] == pytest.approx(passage_bar_repetition(pieces), abs=1e-4)
    # … and a 4-bar phrase's rhythm: an 8-bar piece is one passage of two phrases.
    from musegen.evaluate.repetition import phrase_repetition

    phrases = [len(p.bar_starts()) // 4 for p in pieces]
    repeats = sum(phrase_repetition(p) * n for p, n in zip(pieces, phrases))
    assert data["phrases_repeated"] == pytest.approx(repeats / sum(phrases), abs=1e-4)
    # … and the share of its notes begun on a beat, for rhythm like its music: every piece counts once.
    from musegen.evaluate.rhythm import on_beat_share

    assert data["on_beat_share"] == pytest.approx(np.mean([on_beat_share(p) for p in pieces]), abs=1e-4)


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
    assert run.summary["augmentation"] is None  # no pitch block, and last-step targets


def test_a_stop_request_ends_training_and_keeps_the_checkpoint(tmp_path, pieces):
    stop = threading.Event()
    config = tiny_config()
    config.train.epochs = 50

    def progress(event):
        if event["event"] == "batch" and event["step"] == 2:
            stop.set()

    run = train(config, tmp_path / "stopped", pieces=Loaded(pieces), progress=progress, stop=stop)
    assert run.summary["stopped"] == "stop requested" and run.summary["epochs"] == 1
    assert run.summary["stop_reason"].startswith("Stopped on request in epoch 1: kept epoch 1 (val loss ")
    assert Run.load(tmp_path / "stopped").load_model() is not None


def test_a_stop_requested_mid_epoch_ends_training_within_a_batch(tmp_path, pieces):
    """Stop pressed in the middle of a later epoch: the batch under way ends it, the epoch goes no
    further, and what it learnt so far is kept."""
    stop, batches = threading.Event(), []
    config = tiny_config()
    config.train.epochs, config.train.steps_per_epoch, config.train.early_stopping = 50, 40, 0

    def progress(event):
        if event["event"] == "batch":
            batches.append((event["epoch"], event["step"]))
            if (event["epoch"], event["step"]) == (2, 10):
                stop.set()

    run = train(config, tmp_path / "mid-epoch", pieces=Loaded(pieces), progress=progress, stop=stop)
    assert len(batches[batches.index((2, 10)) + 1:]) <= 1  # at most the batch that was under way
    assert run.summary["stopped"] == "stop requested" and run.summary["epochs"] == 2


def test_time_budget(tmp_path, pieces):
    config = tiny_config()
    config.train.epochs, config.train.max_seconds = 1000, 2.0
    config.train.early_stopping = 0  # the budget, not early stopping, must end it
    loaded = Loaded(pieces)
    loaded.source = msg("said.uploads_label", n=len(pieces))  # a list of files: its label is a code
    run = train(config, tmp_path / "budget", pieces=loaded)
    assert run.summary["stopped"] == "time budget" and run.summary["epochs"] < 1000
    stop = run.summary["stop"]
    assert stop["code"] == "time_budget" and stop["budget_s"] == 2.0 and stop["epochs"] == run.summary["epochs"]
    assert run.data["source"] == f"{len(pieces)} uploaded files"  # English for the command line and files
    assert from_json(run.data["source_message"]) == loaded.source  # the label the app says in Chinese
    # It ends in the epoch the budget runs out in: at most one epoch (and its validation) late.
    elapsed = run.history["elapsed"]
    longest_epoch = max(np.diff([0.0, *elapsed]))
    assert elapsed[-1] <= 2.0 + longest_epoch + 0.5
    assert run.summary["stop_reason"].startswith(f"Time budget (2 s) reached in epoch {run.summary['epochs']}: kept epoch ")


def test_resume_continues_the_history(tmp_path, pieces, monkeypatch):
    import musegen.train.fit

    out = tmp_path / "resumed"
    train(tiny_config(), out, pieces=Loaded(pieces))
    with pytest.raises(ModelError) as refusal:
        train(tiny_config(), out, pieces=Loaded(pieces))
    assert refusal.value.message.code == "said.run_exists"
    config = tiny_config()
    config.train.epochs = 1
    config.train.seed = tiny_config().train.seed + 6  # a new seed must not choose new validation files
    split_seeds = []
    tokenize = musegen.train.fit.tokenize
    monkeypatch.setattr(musegen.train.fit, "tokenize", lambda *a, **k: split_seeds.append(a[3]) or tokenize(*a, **k))
    run = train(config, out, pieces=Loaded(pieces), resume=True)
    assert len(run.history["loss"]) == 3 and run.history["elapsed"] == sorted(run.history["elapsed"])
    assert split_seeds == [tiny_config().train.seed]


def test_an_interrupted_save_leaves_the_last_good_model(trained_run, monkeypatch, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(trained_run.path, copy)
    run = Run.load(copy)
    model = run.load_model()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(type(model), "save", crash)
    from musegen.runs.save import save_model

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
    shutil.copytree(trained_run.path, tmp_path / "lib" / ".half-built.building")  # a bundle being rebuilt
    assert [r.name for r in list_runs(tmp_path / "lib")] == ["my-bach-run"]


def test_a_damaged_bundle_is_a_clear_error(trained_run, tmp_path):
    import shutil

    copy = tmp_path / "damaged"
    shutil.copytree(trained_run.path, copy)
    (copy / "model.keras").write_bytes(b"not a zip")
    with pytest.raises(ModelError) as refusal:
        Run.load(copy).load_model()
    assert refusal.value.message.code == "said.model_unloadable"
    (copy / "tokenizer.json").unlink()
    with pytest.raises(ModelError) as refusal:
        Run.load(copy)
    assert refusal.value.message.code == "said.not_a_run"


# ---------------------------------------------------------------- early stopping, fine-tuning


def val_loss_of(run, pieces):
    """The saved model's loss on the run's validation windows, computed as fit computes val_loss."""
    import keras
    import numpy as np

    from musegen.data.dataset import make_windows, tf_dataset

    names = set(run.data["val_files"])
    seqs = [run.tokenizer.encode(p) for p in pieces if p.name in names]
    x, y, w = make_windows(seqs, run.config.data.window, run.config.data.stride, pad_id=run.tokenizer.pad_id)
    model = run.load_model()
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return float(np.asarray(model.evaluate(tf_dataset(x, y, w, run.config.train.batch_size, False, 0), verbose=0)))


def test_early_stopping_keeps_the_best_epoch(tmp_path, pieces):
    config = tiny_config()
    config.train.epochs, config.train.learning_rate, config.train.early_stopping = 30, 0.03, 2
    run = train(config, tmp_path / "early", pieces=Loaded(pieces))
    s, losses = run.summary, run.history["val_loss"]
    best = min(range(len(losses)), key=losses.__getitem__)
    assert s["stopped"] == "early stopping" and s["epochs"] == len(losses) == best + 3 < 30
    assert s["best_epoch"] == best + 1 and s["val_loss"] == pytest.approx(losses[best])
    assert s["stop_reason"] == (f"Validation loss did not improve for 2 epochs: stopped after epoch {best + 3}, "
                                f"kept epoch {best + 1} (val loss {losses[best]:.3f}).")
    assert val_loss_of(run, pieces) == pytest.approx(losses[best], rel=1e-4), "the saved model is the best epoch's"
    assert abs(losses[-1] - losses[best]) > 1e-3


def test_fine_tuning_starts_from_the_base_weights(trained_run, tmp_path):
    import numpy as np

    from conftest import make_piece

    other_music = [make_piece(i, bars=6) for i in range(20, 28)]
    config = tiny_config("lstm")  # the base's model wins: a fine-tuned run keeps its architecture
    config.data.window, config.train.epochs, config.train.learning_rate = 48, 1, 0.0
    config.train.base = str(trained_run.path)
    run = train(config, tmp_path / "tuned", pieces=Loaded(other_music))
    assert run.config.model == trained_run.config.model and run.config.tokenizer == trained_run.config.tokenizer
    assert run.config.data.window == 48 and run.config.train.base == str(trained_run.path)
    assert run.summary["base"] == str(trained_run.path) and run.tokenizer.vocab == trained_run.tokenizer.vocab
    assert set(run.data["train_files"]) <= {p.name for p in other_music}
    tuned, base = run.load_model().get_weights(), trained_run.load_model().get_weights()
    assert len(tuned) == len(base) and all(np.array_equal(a, b) for a, b in zip(tuned, base))

    config.train.base, config.train.learning_rate = "", 0.0  # the same, from scratch: other weights
    config.model = trained_run.config.model
    fresh = train(config, tmp_path / "fresh", pieces=Loaded(other_music)).load_model().get_weights()
    assert not all(np.array_equal(a, b) for a, b in zip(fresh, base))


def test_fine_tuning_refusals(trained_run, tmp_path, pieces):
    from conftest import make_piece

    config = tiny_config("lstm", inputs="scalar", targets="last")
    config.tokenizer.scheme, config.tokenizer.min_count = "notes", 2
    config.data.window, config.data.stride, config.train.epochs = 16, 4, 1
    article = train(config, tmp_path / "article", pieces=Loaded(pieces))

    higher = [make_piece(i) for i in range(10)]
    for piece in higher:
        piece.notes[:, 2] += 1  # a semitone up: note names the fitted vocabulary never saw
    tune = tiny_config()
    tune.train.base = str(article.path)
    with pytest.raises(ModelError) as refusal:
        train(tune, tmp_path / "tuned", pieces=Loaded(higher))
    assert refusal.value.message.code == "said.cannot_fine_tune"
    assert not (tmp_path / "tuned").exists()
    again = train(tune, tmp_path / "same-music", pieces=Loaded(pieces))  # its own music: covered
    assert again.config.data.window == 16, "a last-step model keeps the window it was built for"

    tune.train.base = str(trained_run.path)
    with pytest.raises(ModelError) as refusal:
        train(tune, trained_run.path, pieces=Loaded(pieces), resume=True)
    assert refusal.value.message.code == "said.from_or_resume"
    tune.train.base = str(tmp_path / "nowhere")
    with pytest.raises(ModelError) as refusal:
        train(tune, tmp_path / "x", pieces=Loaded(pieces))
    assert refusal.value.message.code in ("said.no_base", "said.no_base_bundled")


def test_a_seed_repeats_an_augmented_run(tmp_path, pieces):
    def losses(name, transpose):
        config = tiny_config()
        config.train.epochs, config.train.transpose = 2, transpose
        return train(config, tmp_path / name, pieces=Loaded(pieces)).history["loss"]

    first, again, plain = losses("a", 5), losses("b", 5), losses("c", 0)
    assert again == pytest.approx(first, rel=1e-5)
    assert abs(plain[1] - first[1]) > 1e-3, "the transposed windows are what the model trains on"



def test_an_interrupted_array_write_leaves_the_previous_file(tmp_path, monkeypatch):
    from musegen.runs.save import save_array

    path = save_array(tmp_path / "primers.npy", np.arange(5))

    def crash(file, array, allow_pickle=True):
        Path(file).write_bytes(b"half an array")
        raise OSError("disk full")

    monkeypatch.setattr(np, "save", crash)
    with pytest.raises(OSError):
        save_array(path, np.arange(9))
    monkeypatch.undo()
    assert np.load(path).tolist() == [0, 1, 2, 3, 4] and [p.name for p in tmp_path.iterdir()] == ["primers.npy"]


def test_a_run_deleted_while_listing_is_skipped(trained_run, tmp_path, monkeypatch):
    import shutil

    copy = Path(shutil.copytree(trained_run.path, tmp_path / "runs" / "gone"))
    shutil.copytree(trained_run.path, tmp_path / "runs" / "kept")
    load = Run.load

    def load_then_vanish(path):
        run = load(path)
        if Path(path).name == "gone":
            shutil.rmtree(copy)  # another session deletes it meanwhile
        return run

    monkeypatch.setattr(Run, "load", staticmethod(load_then_vanish))
    assert [r.name for r in list_runs(tmp_path / "runs")] == ["kept"]


def test_a_stop_asked_while_the_music_is_read_trains_nothing(tmp_path, pieces):
    from musegen.errors import StoppedEarly

    stop = threading.Event()
    stop.set()
    with pytest.raises(StoppedEarly, match="before training began"):
        train(tiny_config(), tmp_path / "never", pieces=Loaded(pieces), stop=stop)
    assert not (tmp_path / "never" / "model.keras").exists()


def test_a_time_budget_alone_trains_until_it_ends(tmp_path, pieces):
    """epochs 0: no epoch count, so the budget (or early stopping) ends training, not a default of 20."""
    config = tiny_config()
    config.train.epochs, config.train.max_seconds, config.train.steps_per_epoch = 0, 3.0, 1
    config.train.early_stopping = 0
    events = []
    run = train(config, tmp_path / "open", pieces=Loaded(pieces), progress=events.append)
    assert run.summary["stopped"] == "time budget"
    assert run.summary["epochs"] > 2  # one step an epoch: many epochs fit in 3 s past the model's building
    assert {e["epochs"] for e in events if e["event"] in ("batch", "epoch")} == {0}  # no count to show
    said = [e["message"] for e in events if e["event"] == "status"]
    assert said.index(msg("said.preparing")) < said.index(msg("said.building"))  # each step shown as it happens
    with pytest.raises(InputError) as refusal:
        config.train.max_seconds = 0.0
        config.check()
    assert refusal.value.message.code == "said.epochs_or_budget"


def test_a_fine_tune_says_where_it_starts_against_chance(trained_run, tmp_path, pieces):
    config = tiny_config()
    config.train.base, config.train.epochs = str(trained_run.path), 1
    events = []
    run = train(config, tmp_path / "tuned", pieces=Loaded(pieces), progress=events.append)
    start, chance = run.summary["start_val_loss"], run.summary["chance_loss"]
    assert chance == pytest.approx(np.log(len(run.tokenizer)), abs=1e-3)
    # The same music and split as the base's: it starts where the base ended, below a uniform guess.
    assert start == pytest.approx(trained_run.summary["val_loss"], abs=0.05) and start < chance
    said = [e for e in events if e.get("start")]
    assert said and said[0]["message"] == msg("said.start_loss", name=trained_run.name, loss=f"{start:.2f}",
                                              chance=f"{chance:.2f}")


def test_a_new_run_is_named_for_its_music_model_and_time_never_like_a_bundled_one(monkeypatch, tmp_path):
    import time as clock

    from musegen.studio.run_library import new_run_path

    monkeypatch.setenv("MUSEGEN_RUNS", str(tmp_path))
    monkeypatch.setattr(clock, "localtime", lambda *a: clock.struct_time((2026, 12, 6, 9, 4, 0, 6, 340, 0)))
    assert new_run_path("bach", "wavenet").name == "wavenet-on-bach-2026-12-06-09h04"  # not "bach-wavenet…"
    assert new_run_path("My Jigs.zip", "lstm").name == "lstm-on-my-jigs-2026-12-06-09h04"
    base = "/app/assets/models/base"
    assert new_run_path("jigs.mid", "wavenet", base=base).name == "base-tuned-on-jigs-2026-12-06-09h04"
    assert new_run_path("上传的 4 个文件", "wavenet", base=base, lang="zh").name == "base-微调-上传的-4-个文件-2026-12-06-09h04"


def test_the_command_line_names_a_run_as_the_app_does(monkeypatch, tmp_path):
    """`musegen train` without --out: the app's name, in runs/ beside the person (not
    "jigs-lstm-20261206-090400", which read like a bundled model), numbered when this minute's is taken."""
    import time as clock

    from musegen.cli.train import default_out

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(clock, "localtime", lambda *a: clock.struct_time((2026, 12, 6, 9, 4, 0, 6, 340, 0)))
    config = tiny_config("lstm")
    config.data.dataset = "/music/My Jigs.zip"
    assert default_out(config, None) == Path("runs/lstm-on-my-jigs-2026-12-06-09h04")
    (tmp_path / "runs" / "lstm-on-my-jigs-2026-12-06-09h04").mkdir(parents=True)
    assert default_out(config, None) == Path("runs/lstm-on-my-jigs-2026-12-06-09h04-2")
    config.data.dataset = "bach"
    assert default_out(config, "assets/models/base") == Path("runs/base-tuned-on-bach-2026-12-06-09h04")
