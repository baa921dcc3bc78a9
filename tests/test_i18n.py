"""The interface in English and 简体中文 (musegen.text): every key in both catalogues with the same
placeholders, every page rendered in Chinese without English left over, English unchanged, and the
language following the browser until the visitor picks one."""
from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_fixtures import bundled_runs  # noqa: F401 (fixture)
from conftest import make_piece
from musegen import text
from musegen.messages import Message
from musegen.render.midi import piece_to_midi_bytes

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["pages/dataset.py", "pages/train.py", "pages/generate.py", "pages/compare.py"]


@pytest.fixture(autouse=True)
def env(monkeypatch, tmp_path, bundled_runs):  # noqa: F811
    runs = tmp_path / "runs"
    monkeypatch.setenv("MUSEGEN_RUNS", str(runs))
    monkeypatch.setenv("MUSEGEN_BUNDLED_DIR", str(bundled_runs))
    for var in ("MUSEGEN_MAX_UPLOAD_MB", "MUSEGEN_MAX_TRAINING_MINUTES", "MUSEGEN_MAX_CONCURRENT_TRAININGS"):
        monkeypatch.delenv(var, raising=False)
    return runs


# ---------------------------------------------------------------- the catalogue


def test_every_key_in_both_languages_with_the_same_placeholders():
    en, zh = text.CATALOGUE["en"], text.CATALOGUE["zh"]
    assert set(text.CATALOGUE) == set(text.LANGUAGES)
    assert sorted(set(en) - set(zh)) == [], "missing in 简体中文"
    assert sorted(set(zh) - set(en)) == [], "missing in English"
    for key in en:
        assert text.fields(en[key]) == text.fields(zh[key]), key


def test_lookup_fills_placeholders_and_falls_back():
    assert text.t("side.pieces", "en", n=3) == "**This session:** 3 pieces composed"
    assert text.t("side.pieces", "zh", n=3) == "**本次会话**：已创作 3 首"
    assert text.t("side.pieces", "fr", n=3) == text.t("side.pieces", "en", n=3)  # an unknown language: English
    assert text.option("scale", "dorian", "zh") == "多利亚调式"
    assert text.option("scale", "lydian", "zh") == "lydian"  # a value the catalogue does not know: as it is


@pytest.mark.parametrize("locale, lang", [("zh-CN", "zh"), ("zh-Hans-SG", "zh"), ("zh_TW", "zh"), ("zh", "zh"),
                                          ("en-US", "en"), ("de-DE", "en"), ("", "en"), (None, "en")])
def test_browser_locale_picks_the_language(locale, lang):
    assert text.language_of(locale) == lang


def test_every_catalogue_code_renders_in_both_languages():
    """Every entry said as a Message in each language, each placeholder filled (a number suits {n},
    {mb:,}, {name} and {loss:.3f}): nothing is left to read back from English."""
    for code, english in text.EN.items():
        values = {name: 7 for name in text.fields(english)}
        for lang in text.LANGUAGES:
            said = Message(code, values).said(lang)
            assert said.strip() and not re.search(r"\{\w*[:}]", said), (code, lang)


def test_text_py_reads_no_sentence_back():
    """The catalogues and their lookup only: no patterns over messages (issue 22)."""
    source = (ROOT / "musegen" / "text.py").read_text(encoding="utf-8")
    assert not any(hasattr(text, name) for name in ("SENTENCES", "PHRASES", "said", "recognise"))
    assert re.findall(r"\bre\.(\w+)\(", source) == ["sub", "sub"]  # tidy: typesetting Chinese said from the catalogue


# ---------------------------------------------------------------- musegen's own messages, said in Chinese


def library_codes() -> set[str]:
    """Every catalogue code the library says through msg(...): the first argument of each call, both
    codes of a conditional one (msg("said.x" if n != 1 else "said.x_1", n=n))."""
    import ast

    def named(node) -> set[str]:  # a code made at run time (f"opt.scale.{mode}") is not one of these
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return {node.value}
        return named(node.body) | named(node.orelse) if isinstance(node, ast.IfExp) else set()

    codes = set()
    for path in sorted((ROOT / "musegen").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "msg" \
                    and node.args:
                codes |= named(node.args[0])
    return codes


def test_every_code_the_library_says_renders_in_both_languages():
    from musegen.messages import msg

    assert str(msg("said.exit_status", code=3)) == "exit status 3"  # a value may be called code
    codes = library_codes()
    assert len(codes) > 5 and all(code in text.EN for code in codes), sorted(codes - set(text.EN))
    for code in sorted(codes):
        values = {name: 7 for name in text.fields(text.EN[code])}  # a number suits {n}, {mb:,} and {name}
        english, chinese = text.t(code, "en", **values), text.t(code, "zh", **values)
        assert not re.search(r"\{\w*[:}]", english + chinese), code  # every field filled
        assert code in text.ZH and chinese != english, code


def library_messages() -> list:
    """Sentences musegen's library really writes (made by calling it, so a reworded message fails
    here rather than turning up in English on a Chinese page)."""
    import io
    import zipfile

    import numpy as np

    from musegen.render import audio
    from musegen.models import engine, build as models
    from musegen import errors
    from musegen.serve.job import Job
    from musegen.serve.publish import _ending
    from musegen.generate import remarks, steer
    from musegen.config import DataConfig, ModelConfig, TokenizerConfig, TrainConfig
    from musegen.errors import MusegenError
    from musegen.runs.bundle import import_run
    from musegen.music.sources import load_pieces
    from musegen.tokens.registry import make_tokenizer
    from musegen.messages import stop_message
    from musegen.train.runfolder import stop_code

    def refusal(work):
        """What work() refuses with (its Message): a refusal that stopped happening fails here, not
        drops out unseen."""
        with pytest.raises(MusegenError) as err:
            work()
        return err.value.message

    said = []
    history = {"loss": [3.0, 2.0, 2.5, 2.6], "val_loss": [3.1, 2.2, 2.4, 2.5]}
    learning = {"loss": [3.0, 2.0], "val_loss": [3.1, 2.2]}
    budget = TrainConfig(early_stopping=2, max_seconds=300)
    for stopped in ("early stopping", "time budget", "stop requested", "interrupted", "finished"):
        said += [stop_message(stop_code(stopped, history, "val_loss", budget)),
                 stop_message(stop_code(stopped, learning, "loss", budget))]
    for stopped in ("finished", "stop requested", "time budget", "early stopping", "other"):
        said.append(_ending(Job("x", "x", None, Path("x"), stopped_by=stopped)))
    said += [Job("x", "x", None, Path("x")).message, audio.INSTALL_FLUIDSYNTH, audio.INSTALL_SOUNDFONT]
    tok = make_tokenizer(TokenizerConfig())
    rules = [steer.KeyLock(tok, steer.parse_scale("D minor"), 0.95), steer.PitchRange(tok, 48, 84),
             steer.KeyLock(tok, steer.parse_scale("F# dorian"), 1), steer.RepetitionGuard(), steer.BarEcho(tok, 1.5)]
    said += [remarks.rule_message(rule) for rule in rules]
    said += [remarks.collapse_message([5] * 40), remarks.collapse_message(list(range(10)) + [1, 2, 3, 4] * 10)]
    said += [remarks.stopped_at_budget(5000), errors.OUT_OF_MEMORY]  # issue 24: work bounded, memory said in words
    small = ModelConfig(kind="lstm", embedding_dim=2, lstm_units=1, lstm_layers=1, lstm_dense=1)
    nan = {name: [np.full(shape, np.nan, np.float32) for shape in shapes]
           for name, shapes in models.weight_shapes(small, 4, 8).items()}
    for refused in (lambda: steer.check_notes_left(tok, [steer.KeyLock(tok, steer.parse_scale("C major"), 1),
                                                         steer.PitchRange(tok, 61, 61)]),
                    lambda: engine.check_weights(nan, small, 4, 8),
                    lambda: models.check_size(ModelConfig(residual_channels=4096, stacks=16, dilation_depth=16), 100, 8)):
        said.append(refusal(refused))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("a.mid", b"nope")
        zf.writestr("b.mid", b"")
        zf.writestr("c/../../d.mid", b"MThd")
        zf.writestr("readme.txt", b"hello")
    for files in ([("song.mid", b"not MIDI")], [("bad.zip", buffer.getvalue())], [("broken.zip", b"PK no")], []):
        said.append(refusal(lambda files=files: load_pieces(files, DataConfig(), cache_dir=False)))
    empty = io.BytesIO()
    zipfile.ZipFile(empty, "w").close()
    for bundle, limit in ((b"not a zip", 10_000), (empty.getvalue(), 10_000), (b"x" * 200, 100)):
        said.append(refusal(lambda bundle=bundle, limit=limit: import_run(bundle, Path("/nonexistent-runs"),
                                                                            max_bytes=limit)))
    return said


def test_the_library_s_sentences_are_said_in_chinese():
    messages = library_messages()
    assert len(messages) > 25
    for message in messages:
        assert isinstance(message, Message), message  # a code, said from the catalogue
        chinese = message.said("zh")
        assert english_left([chinese], allowed={"sudo", "apt-get", "install", "fluid-soundfont-gm",
                                                "soundfont"}) == [], (message, chinese)


def test_a_new_run_keeps_a_stop_code_the_app_says_in_chinese(bundled_runs):  # noqa: F811
    from musegen.messages import run_ending, stop_message
    from musegen.runs.folder import Run

    run = Run.load(bundled_runs / "tiny-wavenet")
    summary = run.summary
    assert summary["stop"]["code"] == "finished" and summary["stop"]["epochs"] == summary["epochs"]
    assert run_ending(summary) == stop_message(summary["stop"]) and str(run_ending(summary)) == summary["stop_reason"]
    older = {k: v for k, v in summary.items() if k != "stop"}  # a run trained before the code was kept
    assert run_ending(older, run.config.train) == stop_message(summary["stop"])  # from its numbers, not its English


def test_the_bundled_runs_say_how_they_ended_in_chinese():
    """The shipped models were trained before the stop code: their summaries' numbers give it."""
    from musegen.messages import Message, run_ending
    from musegen.runs.folder import Run

    for path in sorted((ROOT / "assets" / "models").glob("*/summary.json")):
        run = Run.load(path.parent)
        said = run_ending(run.summary, run.config.train)
        assert isinstance(said, Message) and str(said) == run.summary["stop_reason"], path
        assert english_left([said.said("zh")]) == [], said.said("zh")


@pytest.fixture
def zh(monkeypatch):
    """The app's words, as a Chinese visitor's page says them."""
    from types import SimpleNamespace

    from ui import figures, language, piece

    monkeypatch.setattr(language, "_last_lang", ["zh"])  # outside a script run, lang() answers this
    return SimpleNamespace(say=language.say, error_text=language.error_text, source_name=language.source_name,
                           short_warning=piece.short_warning, cell_text=figures.cell_text)


def test_text_older_versions_stored_is_shown_as_it_was_stored(zh, tmp_path):
    """An old job row, an old run's summary and upload label: their English, in either language."""
    from musegen.config import RunConfig
    from musegen.messages import run_ending
    from musegen.serve.job import Job
    from musegen.serve.jobstore import JobStore

    row = Job("old", "old-run", RunConfig(), tmp_path / "old-run", state="failed").row()
    row |= {"message": "Training failed.", "error": "Out of memory: lower the batch size."}  # before codes
    JobStore(tmp_path / "jobs.sqlite").save(row)
    [row] = JobStore(tmp_path / "jobs.sqlite").load()
    old = Job.from_row(row)
    assert zh.say(old.message) == "Training failed." and zh.error_text(old.error) == "Out of memory: lower the batch size."
    summary = {"stopped": "finished", "epochs": 3, "stop_reason": "Finished 3 epochs, as an old version said it."}
    assert run_ending(summary) == summary["stop_reason"]
    assert zh.source_name("4 uploaded file(s)") == "4 uploaded file(s)" and zh.source_name("bach") == "巴赫众赞歌"
    from types import SimpleNamespace

    from musegen.messages import msg, to_json
    from musegen.studio.run_library import dataset_source

    older, newer = {"source": "4 uploaded file(s)"}, {"source": "4 uploaded file(s)",
                                                      "source_message": to_json(msg("said.uploads_label", n=4))}
    assert dataset_source(SimpleNamespace(data=older)) == "4 uploaded file(s)"  # data.json before codes
    assert dataset_source(SimpleNamespace(data=newer)) == msg("said.uploads_label", n=4)
    one = {"source_message": to_json(msg("said.uploads_label", n=1))}  # kept before the singular had its entry
    assert str(dataset_source(SimpleNamespace(data=one))) == "1 uploaded file"
    assert zh.short_warning("The output fell into a loop: …") == "The output fell into a loop: …"


def test_what_the_app_says_from_codes(zh):
    from musegen.errors import InputError
    from musegen.generate.remarks import collapse_message
    from musegen.messages import msg

    assert zh.say(msg("said.uploads_label", n=4)) == zh.source_name(msg("said.uploads_label", n=4)) == "上传的 4 个文件"
    assert zh.error_text(InputError(msg("said.empty", name="a.mid"))) == msg("said.empty", name="a.mid").said("zh")
    assert zh.short_warning(collapse_message([5] * 40)) == "输出塌缩了"
    assert zh.cell_text(msg("said.n_tokens", n=1024)) == "1024 个词元"


def test_an_unknown_error_keeps_its_detail_behind_a_chinese_lead_in(zh):
    assert zh.error_text(OSError("Something nobody foresaw (errno 5).")) == "出错了：Something nobody foresaw (errno 5)."


def test_chords_durations_and_ticks_in_plain_words():
    from musegen.render import plots, words

    assert words.token_name("0.3.7.10") == "Cm7 (C E♭ G B♭)" and words.token_name("E-5") == "E♭5"
    assert words.token_name("4.8.11", "zh") == "E（E G♯ B）" and words.token_name("9", "zh") == "A（八度叠加）"
    assert words.duration_words(1.5) == "dotted quarter" and words.duration_words(0.521) == "≈ eighth note"
    assert words.duration_words(1.25, "zh") == "1¼ 拍"
    fig = plots.token_counts({"a": 1200, "b": 40, "c": 3}, cutoff=50, lang="zh")
    assert list(fig.layout.yaxis.ticktext) == ["1", "10", "100", "1,000"]  # no stray 2s and 5s


# ---------------------------------------------------------------- the pages in Chinese

# Words a Chinese page keeps in Latin letters: names of products, models, formats, units and people.
ALLOWED = {"musegen", "wavenet", "lstm", "midi", "musicxml", "bpm", "ogg", "wav", "top-k", "top-p", "adam",
           "abc", "humdrum", "general", "dropout", "english", "language", "corpus", "make", "models",
           "docs", "study", "ryan's", "mammoth", "collection", "tiny-wavenet", "tiny-lstm", "synthetic",
           "riemenschneider", "simple-wavenet", "verovio", "fluidsynth",
           "aaba", "abab", "aabb", "ababcb"}  # forms' section letters


def visible(at: AppTest) -> list[str]:
    """The texts a person reads: titles, headers, markdown, captions, notices, labels and help,
    table headers and the words on charts."""
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success", "error",
                 "toast"):
        out += [str(e.value) for e in at.get(kind)]
    for kind in ("button", "download_button", "checkbox", "toggle", "radio", "selectbox", "multiselect", "slider",
                 "select_slider", "number_input", "text_input", "text_area", "segmented_control", "file_uploader"):
        for e in at.get(kind):
            proto = getattr(e, "proto", None)
            out += [getattr(proto, "label", "") or "", getattr(proto, "help", "") or ""]
    for e in at.get("expander"):
        out.append(e.proto.label)
    for e in at.get("metric"):
        out.append(e.proto.label)
    for kind in ("radio", "selectbox", "segmented_control"):  # the options as shown (format_func applied)
        for e in at.get(kind):
            out += [o if isinstance(o, str) else getattr(o, "content", "") for o in getattr(e.proto, "options", [])]
    for e in at.dataframe:
        out += [str(c) for c in e.value.columns]
    for e in at.get("plotly_chart"):
        out += chart_words(json.loads(e.proto.spec))
    return [t for t in out if t]


def chart_words(spec: dict) -> list[str]:
    """A plotly figure's visible words: its title, axis and subplot titles, notes, legend and hover
    labels (plotly's %{…} fields and tags left out)."""
    layout, words = spec.get("layout", {}), []
    words.append(str((layout.get("title") or {}).get("text") or ""))
    for name, axis in layout.items():
        if name.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
            words.append(str((axis.get("title") or {}).get("text") or ""))
            words += [str(t) for t in axis.get("ticktext") or []]
    words += [str(a.get("text", "")) for a in layout.get("annotations", [])]
    for trace in spec.get("data", []):
        words.append(str(trace.get("name") or ""))
        hover = re.sub(r"%\{[^}]*\}|<[^>]*>", " ", str(trace.get("hovertemplate") or ""))
        words.append(hover)
        if isinstance(trace.get("x"), list) and all(isinstance(x, str) for x in trace["x"]):
            words += trace["x"]  # category labels: the durations
    return words


def english_left(texts: list[str], allowed=()) -> list[str]:
    """Latin words of 4+ letters not in ALLOWED (icons, code spans, file names and numbers removed)."""
    left = []
    for t in texts:
        t = re.sub(r":material/[a-z_]+:", " ", t)
        t = re.sub(r":(red|orange|yellow|green|blue|violet|gray|grey|rainbow|primary)\[", " ", t)  # colour, not words
        t = re.sub(r"`[^`]*`", " ", t)
        t = re.sub(r"\S+\.(mid|midi|zip|xml|mxl|musicxml|krn|abc|txt)\b", " ", t)
        for word in re.findall(r"[A-Za-z0-9][A-Za-z0-9'’-]*", t):
            w = word.lower().strip("'’-")
            if len(w) >= 4 and not re.search(r"\d", w) and w not in ALLOWED and w not in allowed:
                left.append(word)
    return left


def open_zh(page: str | None = None, **session) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.session_state["ui-lang"] = "zh"
    for k, v in session.items():
        at.session_state[k] = v
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def check_chinese(at: AppTest, names=()) -> list[str]:
    """Everything on screen is Chinese: the pages' own text, and what musegen's library says
    through them (errors, a training's progress, how it ended, notes under a piece, charts);
    ``names``: words a person gave (a file's name, shown in a piece's title)."""
    assert not at.exception, [e.value for e in at.exception]
    texts = visible(at)
    assert english_left(texts, names) == []
    assert english_left(table_cells(at)) == []
    return texts


def table_cells(at: AppTest) -> list[str]:
    """The text in the tables' cells, but for the names people gave (a run's, a file's): a model's
    kind, a dataset, a missing value ("None") are translated too."""
    named = {text.option("column", c, "zh") for c in ("run", "file", "name")}
    return [str(v) for e in at.dataframe for c in e.value.columns if c not in named for v in e.value[c]]


def test_home_in_chinese():
    at = open_zh()
    assert at.title[0].value.endswith("musegen")
    assert at.subheader[0].value == "马上试听"
    check_chinese(at)
    at.button(key="home-generate").click().run()
    texts = check_chinese(at)
    assert any("新曲" in t for t in texts)


def upload_zh(at: AppTest, files) -> AppTest:
    at.radio(key="ds-source").set_value("上传文件").run()  # shown translated; the value stays "Upload files"
    at.file_uploader(key="ds-upload").set_value([(name, data, "audio/midi") for name, data in files])
    return at.run()


def midi(i: int) -> bytes:
    return piece_to_midi_bytes(make_piece(i, bars=12))


def test_dataset_in_chinese():
    at = open_zh("pages/dataset.py")
    assert at.title[0].value.endswith("数据集")
    texts = check_chinese(at)
    assert "350 个文件" in " ".join(texts)  # the 371 chorales, and why they are 350 files
    upload_zh(at, [(f"piece{i}.mid", midi(i)) for i in range(3)] + [("notes.mid", b"these are not notes")])
    texts = check_chinese(at)  # the skipped file's reason, the per-file table, the charts
    joined = " ".join(texts)
    assert "上传的 4 个文件" in joined and "开头没有 MIDI 文件头" in joined
    assert "**4 个文件**：读取 3 个，跳过 1 个 · **" in joined  # the totals, in one line
    assert "八分音符" in joined or "四分音符" in joined  # durations in words, not "0.5 q"
    assert at.session_state["ds-source"] == "Upload files"


def test_bad_uploads_are_refused_in_chinese():
    at = open_zh("pages/dataset.py")
    upload_zh(at, [("song.mid", b"just some text, not MIDI")])
    assert "没有可用的音乐" in at.error[0].value
    check_chinese(at)
    upload_zh(at, [("broken.zip", b"PK not really a zip")])
    assert "不是可读取的 zip 文件" in at.error[0].value


def test_train_in_chinese():
    at = open_zh("pages/train.py")
    assert at.title[0].value.endswith("训练")
    texts = check_chinese(at)
    assert "开始训练" in " ".join(texts)


def test_a_training_speaks_chinese_from_start_to_end():
    """Its progress, the chart, how it ended and the run it made: musegen.serve.jobs and musegen.train.fit
    write English, the page says it in Chinese."""
    from musegen.serve import jobs

    at = open_zh("pages/dataset.py")
    upload_zh(at, [(f"t{i}.mid", midi(i)) for i in range(4)])
    at.switch_page("pages/train.py").run()
    at.selectbox(key="tr-base").set_value("tiny-wavenet").run()
    at.button(key="tr-start").click().run()
    job_id = at.session_state["job"]
    deadline = time.time() + 150
    while jobs.get(job_id).active and time.time() < deadline:
        check_chinese(at)  # queued, reading, training: each message in Chinese
        time.sleep(0.5)
        at.run()
    at.run()
    assert jobs.get(job_id).state == "finished", jobs.get(job_id).message
    texts = check_chinese(at)
    assert "训练完成。" in " ".join(texts) and any("保留第" in t for t in texts)


def test_generate_in_chinese():
    at = open_zh("pages/generate.py")
    assert at.title[0].value.endswith("生成")
    check_chinese(at)
    at.selectbox(key="gen-key").set_value("D")
    at.select_slider(key="gen-range").set_value(("C3", "C6"))
    at.segmented_control(key="gen-variations-n").set_value(2).run()
    at.button(key="gen-go").click().run()
    check_chinese(at)
    at.button(key="gen-keep-0").click().run()
    texts = check_chinese(at)  # the steering under the piece too: "调性 D 大调 · 音域 C3–C6 · 防止重复"
    joined = " ".join(texts)
    assert "种子" in joined and "音域 C3–C6" in joined and "防止重复" in joined
    at.selectbox(key="gen-style").set_value("jig").run()  # a style, and the model it is best made with
    assert "吉格舞曲：6/8" in " ".join(check_chinese(at))
    at.radio(key="gen-primer").set_value("My MIDI file (continue it)").run()
    assert "请上传" in " ".join(check_chinese(at))  # why Compose waits


def test_accompaniment_and_chords_in_chinese():
    """Bring a melody, get the band, in Chinese: the choices, the parts kept and written, the chords
    typed and a chord it cannot read, said in Chinese."""
    at = open_zh("pages/generate.py")
    at.radio(key="gen-primer").set_value("My music (write parts around it)").run()
    assert "请上传一个 MIDI 或 MusicXML 文件" in " ".join(check_chinese(at))
    at.file_uploader(key="gen-upload").set_value(("tune.mid", midi(1), "audio/midi")).run()
    texts = " ".join(check_chinese(at))
    assert "要保留的声部" in texts and "synthetic-01担任" in texts  # the part as the file names it
    at.text_input(key="gen-chords").input("C大 G大 A小 F大").run()
    at.button(key="gen-go").click().run()
    texts = " ".join(check_chinese(at, names=("tune",)))  # the file's name, in the piece's title
    assert "给定声部：synthetic-01" in texts and "和弦 C大 | G大 | A小 | F大" in texts
    at.text_input(key="gen-chords").input("C Xq").run()
    assert "无法识别和弦“Xq”" in " ".join(check_chinese(at, names=("tune",)))


def test_compare_in_chinese():
    at = open_zh("pages/compare.py")
    assert at.title[0].value.endswith("比较")
    texts = check_chinese(at)  # the plain answer too (musegen/evaluate/verdict.py speaks through the catalogue)
    assert "结论" in texts and "太早" in " ".join(texts)  # the tiny runs: too early to tell


def test_compare_headline_numbers_are_the_tables_in_chinese(monkeypatch):
    from musegen.evaluate import verdict
    from musegen.messages import msg
    from ui import server

    monkeypatch.setattr(verdict, "recorded_mismatch", lambda runs: msg("verdict.mismatch_pieces"))
    monkeypatch.setattr(server, "measured_alike", lambda paths, stamps, runs: {"tiny-wavenet": {"loss": 1.234, "accuracy": 0.6},
                                                                               "tiny-lstm": {"loss": 1.365, "accuracy": 0.5}})
    at = open_zh("pages/compare.py")
    texts = check_chinese(at)
    table = at.dataframe[0].value.set_index("训练结果")
    losses = table["留出损失（同等条件重测）"]
    gap = float(re.search(r"\d+\.\d{3}", at.info[0].value).group())
    assert gap == round(losses["tiny-lstm"] - losses["tiny-wavenet"], 3) == 0.131
    joined = " ".join(texts)
    assert "表中的损失列就是结论所比较的数字" in joined and "每种模型各一次训练" in joined
    assert "意外程度" in joined and "None" not in table.to_string()
    assert list(table["留出准确率（同等条件重测）"]) == [0.6, 0.5] and "验证准确率" not in table.columns
    own = next(e for e in at.expander if e.label.startswith("各训练结果自己的数字"))
    assert "验证准确率" in own.dataframe[0].value.columns and "不同的乐曲上验证" in " ".join(str(c.value) for c in own.caption)
    study = at.dataframe[-1].value
    assert "留出损失（均值 ± 标准差）" in study.columns and not [c for c in study.columns if "_" in c]


# ---------------------------------------------------------------- English unchanged, the selector


HEDGED_PLURAL = re.compile(r"[A-Za-z]\(s\)")  # "piece(s)": English says "1 piece" and "3 pieces"


def test_the_english_catalogue_hedges_no_plural():
    assert [key for key, value in text.EN.items() if HEDGED_PLURAL.search(value)] == []
    for key in [k for k in text.EN if k + "_1" in text.EN]:  # every counted entry has both forms in Chinese too
        assert text.ZH[key] == text.ZH[key + "_1"], key


def test_one_word_for_a_token_in_chinese():
    """"词元" on every page, never "token" on one and "词元" on another."""
    said = {key: re.sub(r"\{[^}]*\}", "", value) for key, value in text.ZH.items()}
    assert [key for key, value in said.items() if re.search("token", value, re.IGNORECASE)] == []


def test_the_model_picker_says_the_loss_in_a_musician_s_words():
    shown = {}
    for lang in ("en", "zh"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
        at.session_state["ui-lang"] = lang
        at.run().switch_page("pages/generate.py").run()
        box = at.selectbox(key="gen-run")
        shown[lang] = list(box.options)  # as shown (format_func applied)
    assert all("error on music it never heard: " in o and "(lower is better)" in o for o in shown["en"]), shown
    assert all("在没听过的音乐上的误差" in o and "越低越好" in o for o in shown["zh"]), shown
    assert not [o for o in shown["en"] + shown["zh"] if "val loss" in o]


def test_english_pages_say_plurals_right():
    """A zip of ten jigs: "10 uploaded files", the limits in whole words, no "(s)" anywhere."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(10):
            z.writestr(f"jig{i}.mid", midi(i))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page("pages/dataset.py").run()
    at.radio(key="ds-source").set_value("Upload files").run()
    at.file_uploader(key="ds-upload").set_value([("jigs.zip", buf.getvalue(), "application/zip")])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    texts = visible(at) + [str(m.value) for m in at.sidebar.markdown]
    assert str(at.session_state["dataset"]["result"].source) == "10 uploaded files"  # what a run trained on it says
    assert any("training at a time" in t or "trainings at a time" in t for t in texts)
    assert [t for t in texts if HEDGED_PLURAL.search(t)] == []


def test_how_much_a_model_hears_is_said_in_bars_that_mean_something():
    """Under half a bar is "less than a bar", not "≈ 0 bars"; about one is "1 bar", not "1 bars":
    on Train (the settings' line) and on Generate (the model's caption), in both languages."""
    from conftest import tiny_config
    from musegen.studio.presets import context_text

    config = tiny_config("wavenet")  # hears 9 tokens
    assert context_text(config, 40.0) == "The model hears 9 tokens (less than a bar of this music)."
    assert context_text(config, 9.0) == "The model hears 9 tokens (≈ 1 bar of this music)."
    assert context_text(config, 1.0) == "The model hears 9 tokens (≈ 9 bars of this music)."
    assert context_text(config, 40.0, "zh") == "模型一次能听到 9 个词元（不到这份音乐的一小节）。"
    for lang, said in (("en", "hears 9 tokens, less than a bar"), ("zh", "能听到 9 个词元，不到一小节")):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
        at.session_state["ui-lang"] = lang
        at.run().switch_page("pages/generate.py").run()
        about = next(c.value for c in at.caption if "9" in c.value and ("tokens" in c.value or "词元" in c.value))
        assert said in about and "≈ 0" not in about, about


def test_english_unchanged():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    assert not at.exception
    assert at.subheader[0].value == "Hear it now"
    assert at.button(key="home-generate").label == ":material/play_arrow: Generate a piece now"
    assert "Teach a neural network some music, then let it compose." in [c.value for c in at.sidebar.caption]
    at.switch_page("pages/train.py").run()
    assert at.title[0].value == ":material/model_training: Train"
    assert at.button(key="tr-start").label == ":material/play_arrow: Start training"
    assert at.selectbox(key="tr-preset").format_func("Quick test (about 30 s)") == "Quick test (about 30 s)"
    at.switch_page("pages/generate.py").run()
    assert at.radio(key="gen-primer").options == ["A random passage of the dataset", "My MIDI file (continue it)",
                                                  "My melody: write the band around it", "Nothing"]


def test_locale_decides_until_the_visitor_picks():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.context = {"locale": "zh-CN"}
    at.run()
    assert not at.exception
    assert at.subheader[0].value == "马上试听"
    picker = at.sidebar.selectbox(key="ui-lang-pick")
    assert picker.label == "Language / 语言" and picker.value == "zh"
    picker.set_value("en").run()
    assert at.subheader[0].value == "Hear it now"
    assert at.session_state["ui-lang"] == "en"
    at.switch_page("pages/dataset.py").run()  # the choice holds on every page
    assert at.title[0].value == ":material/library_music: Dataset"


@pytest.mark.parametrize("lang, left", [("en", "about 12 s left"), ("zh", "约剩 12 秒")])
def test_reading_files_shows_the_time_left_once_the_pace_is_known(monkeypatch, lang, left):
    """The Dataset page's bar while files are parsed: files read, then (from the second report on,
    the pace measured from the first) about how long is left, in the visitor's language."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from ui import dataset, language

    monkeypatch.setattr(language, "_last_lang", [lang])  # outside a script run, lang() answers this
    clock = iter([100.0, 110.0])
    monkeypatch.setattr(time, "monotonic", lambda: next(clock))

    class Bar:
        def progress(self, value, text):
            self.value, self.text = value, text

    bar = Bar()
    report = dataset.reading_progress(bar)
    report(1, 12, "bwv1.6.mxl")
    assert "1/12" in bar.text and "bwv1.6.mxl" in bar.text
    report(6, 12, "bwv2.6.mxl")  # 5 files in 10 s: 6 more take about 12 s
    assert bar.value == 0.5 and "6/12" in bar.text and left in bar.text, bar.text


def test_a_message_said_in_chinese_has_no_stray_spaces_around_chinese_values():
    from musegen.messages import msg

    assert msg("said.no_checkpoint", name="我的曲子").said("zh") == "我的曲子没有可以继续的检查点。"
    assert msg("said.no_checkpoint", name="bach-1").said("zh") == "bach-1 没有可以继续的检查点。"


def test_a_piece_composed_alone_is_no_variation_on_its_score():
    from musegen.render.words import piece_title

    assert piece_title("bach-lstm-seed42-1", "en", variations=1) == "bach-lstm · seed 42"
    assert piece_title("bach-lstm-seed42-2", "en", variations=3) == "bach-lstm · seed 42 · variation 2"
    assert piece_title("bach-lstm-seed42-1-bars3-4", "zh", variations=1) == "bach-lstm · 种子 42 · 重写第 3–4 小节"


SCORE_PART_NAMES = {name for key, name in text.EN.items() if key.startswith("score.part.")}


def test_the_score_names_its_parts_in_the_visitors_language():
    """The engraved score's title and part names (Soprano, Piano, Right hand…) are the page's
    language, and engraved again when the visitor switches language."""
    at = open_zh("pages/generate.py")
    at.slider(key="gen-seconds").set_value(10)
    at.button(key="gen-go").click().run()
    check_chinese(at)
    made = at.session_state["pieces"][-1]
    names = re.findall(r"<(?:part|group)-name>(.*?)</", made.musicxml)
    assert names and not set(names) & SCORE_PART_NAMES, names
    title = re.search(r"<movement-title>(.*?)</", made.musicxml)[1]
    assert "· 种子 " in title and "seed" not in title and "变奏" not in title, title  # one piece: no "variation 1"
    at.session_state["ui-lang"] = "en"
    at.run()
    english = re.findall(r"<(?:part|group)-name>(.*?)</", at.session_state["pieces"][-1].musicxml)
    assert set(english) <= SCORE_PART_NAMES and english != names, english
    assert "· seed " in re.search(r"<movement-title>(.*?)</", at.session_state["pieces"][-1].musicxml)[1]
