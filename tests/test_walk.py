"""The first hour, walked in a real browser (issue 23): the three people the issue tried the app
as, each in a fresh browser, each step checking what they must see on the screen. A newcomer at
1280 px hears a piece, finds the waltz and takes it home; a music student on a phone fine-tunes the
base on their own jigs and composes with it; a Chinese-speaking visitor, on a phone and on a
laptop, reads Home, Generate and Compare in Chinese and finds Compare's answer in its table.
Screenshots go to tests/output/screenshots/walk-*.png."""
from __future__ import annotations

import base64
import contextlib
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import test_browser
from app_fixtures import bundled_runs, streamlit_app  # noqa: F401 (fixture)
from conftest import make_piece
from musegen import text
from musegen.music.piece import Piece
from musegen.render.audio import check_audio
from musegen.render.midi import write_midi
from musegen.studio.run_library import BASE_RUN
from test_browser import CONSOLE_ERRORS, SHOTS, browser, check_playhead, listen_for_errors, settle  # noqa: F401
from test_i18n import english_left

pytestmark = test_browser.pytestmark
LAPTOP, PHONE = (1280, 900), (390, 844)


@pytest.fixture(scope="module")
def walk_server(tmp_path_factory, bundled_runs):  # noqa: F811
    """The app as shipped, in miniature: the tiny runs, and a tiny stand-in for the broad base that
    Train fine-tunes a small set from and a waltz is made with."""
    bundled = tmp_path_factory.mktemp("walk-bundled")
    for run in bundled_runs.iterdir():
        shutil.copytree(run, bundled / run.name)
    shutil.copytree(bundled_runs / "tiny-wavenet", bundled / BASE_RUN)
    env = {**os.environ, "MUSEGEN_RUNS": str(tmp_path_factory.mktemp("walk-runs")),
           "MUSEGEN_BUNDLED_DIR": str(bundled), "MUSEGEN_MAX_CONCURRENT_TRAININGS": "1"}
    with open(tmp_path_factory.mktemp("walk-log") / "streamlit.log", "w+") as log:
        with streamlit_app(env, log, startup=60.0) as (url, _):
            yield url
        log.seek(0)
        said = log.read()
    assert "Traceback" not in said, said[-3000:]


# ---------------------------------------------------------------- what a person does and sees


@contextlib.contextmanager
def visitor(browser, size, locale="en-US"):  # noqa: F811
    """A fresh browser (no cookie, no session) of this size and language; none of its pages may log
    an error in the console."""
    phone = size == PHONE
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale=locale,
                                  is_mobile=phone, has_touch=phone, accept_downloads=True)
    first = len(CONSOLE_ERRORS)
    try:
        page = listen_for_errors(context.new_page())
        page.set_default_timeout(60_000)
        yield page
        assert not CONSOLE_ERRORS[first:], "\n".join(CONSOLE_ERRORS[first:][:20])
    finally:
        context.close()


def words(key: str, lang: str = "en", **values) -> str:
    """A catalogue entry as the page shows it: no icon, no markdown stars."""
    return re.sub(r":material/[a-z_]+:\s*|\*\*", "", text.t(key, lang, **values)).strip()


def open_page(page, nav_key: str, lang: str = "en") -> None:
    """To another page by the sidebar's menu, as a person does (a phone opens the sidebar first);
    the session, and what it holds, stays."""
    nav = page.get_by_test_id("stSidebarNav")
    if not nav.is_visible():
        page.get_by_test_id("stExpandSidebarButton").click()
    nav.get_by_role("link", name=words(nav_key, lang)).click()
    settle(page)
    if page.viewport_size["width"] < 600 and page.get_by_test_id("stSidebarCollapseButton").is_visible():
        page.get_by_test_id("stSidebarCollapseButton").locator("button").click()
    page.get_by_test_id("stMain").locator("h1").first.wait_for()


def choose(page, key: str, option: str) -> None:
    """Pick ``option`` in the selectbox with this widget key."""
    page.locator(f".st-key-{key} [role=combobox]").click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def chosen(page, key: str) -> str:
    """What the selectbox with this widget key shows."""
    return page.locator(f".st-key-{key} [role=combobox]").input_value()


def hears(page, lang: str = "en") -> None:
    """The piece plays with a playhead on its roll (or, without a synthesizer, its roll is drawn)."""
    if check_audio() is None:
        check_playhead(page, f"iframe[title*='{words('piece.alt', lang, name='')}']")
    else:
        assert page.locator(".js-plotly-plot").count() >= 1


def comes_into_view(page, anchor: str) -> None:
    """The heading ``anchor`` arrives in the upper half of the window, without the person
    scrolling (the page scrolls smoothly, and on while the players below it load)."""
    page.wait_for_function("""id => { const r = document.getElementById(id).getBoundingClientRect();
                                      return r.top >= 0 && r.top < innerHeight / 2; }""", arg=anchor, timeout=15_000)


def on_first_screen(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and 0 <= box["y"] and box["y"] + box["height"] <= locator.page.viewport_size["height"]


def downloaded_midi(page, folder: Path):
    """The piece shown, downloaded by its MIDI button, read back: it has notes."""
    import symusic

    with page.expect_download() as download:
        page.get_by_test_id("stDownloadButton").filter(has_text="MIDI").first.click()
    saved = folder / download.value.suggested_filename
    download.value.save_as(saved)
    midi = symusic.Score(saved)
    assert saved.suffix == ".mid" and sum(len(t.notes) for t in midi.tracks) > 0
    return midi


def snap(page, name: str, whole: bool = True) -> None:
    """walk-NAME.png: the whole page (the window grown to fit it: Streamlit scrolls inside its main
    block), or just what the window shows."""
    size = dict(page.viewport_size)
    if whole:
        height = page.evaluate("() => (document.querySelector('[data-testid=\"stMain\"]') || document.body).scrollHeight")
        page.set_viewport_size({"width": size["width"], "height": int(min(max(size["height"], height + 40), 7000))})
        page.wait_for_timeout(600)
    page.screenshot(path=str(SHOTS / f"walk-{name}.png"))
    page.set_viewport_size(size)


# The cells the grid has drawn, from its accessible table: {column: name}, {(row, column): text}.
GRID_CELLS = """grid => [
  Object.fromEntries([...grid.querySelectorAll('[role=columnheader]')]
    .map(h => [h.ariaColIndex, h.textContent])),
  [...grid.querySelectorAll('[role=gridcell]')]
    .map(c => [c.parentElement.ariaRowIndex, c.ariaColIndex, c.textContent])]"""


def table(page, nth: int = 0) -> list[dict]:
    """An st.dataframe's rows as {column: cell text}. The grid draws only the columns in sight (a
    phone's, three or four): it is scrolled sideways, as a person would, to read the others."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    grid = page.get_by_test_id("stDataFrame").nth(nth)
    grid.locator("[role=gridcell]").first.wait_for(state="attached")
    scroller = grid.locator(".dvn-scroller")
    columns, rows = {}, {}
    while True:
        names, cells = grid.evaluate(GRID_CELLS)
        columns.update(names)
        for row, column, cell in cells:
            rows.setdefault(row, {})[column] = cell
        if scroller.evaluate("s => s.scrollLeft + s.clientWidth >= s.scrollWidth - 1"):
            break
        before = scroller.evaluate("s => { const at = s.scrollLeft; s.scrollLeft += s.clientWidth / 2; return at; }")
        if scroller.evaluate("s => s.scrollLeft") <= before:
            break  # a fraction of a pixel short of the end: nothing further to scroll
        # The grid draws the columns now in sight a moment after the scroll. None past those read
        # within a few seconds means the scroll only reached padding after the last one.
        try:
            grid.page.wait_for_function(
                "([g, seen]) => [...g.querySelectorAll('[role=columnheader]')].some(h => +h.ariaColIndex > seen)",
                arg=[grid.element_handle(), max(map(int, columns))], timeout=5000)
        except PlaywrightTimeout:
            pass
    scroller.evaluate("s => { s.scrollLeft = 0; }")
    return [{columns[c]: v for c, v in sorted(cells.items(), key=lambda i: int(i[0]))}
            for _, cells in sorted(rows.items(), key=lambda i: int(i[0]))]


# An element's text as a person reads it, and the names of the icons in it (Material icons are
# ligatures: "music_note" in the text is a drawn note on the screen).
READ = """e => [e.innerText, [...e.querySelectorAll('span, i')]
  .filter(i => !i.children.length && getComputedStyle(i).fontFamily.includes('Material')).map(i => i.textContent)]"""


def shown_text(page) -> list[str]:
    """What the main block and the sidebar say, icons left out."""
    seen = []
    for part in ("stMain", "stSidebar"):
        block = page.get_by_test_id(part)
        if not block.is_visible():
            continue
        said, icons = block.evaluate(READ)
        for icon in icons:
            said = said.replace(icon, " ", 1)
        seen.append(said)
    return seen


# "1 bars", "1 pieces", "≈ 0 bars": a count said wrong.
MISCOUNTED = re.compile(r"(?<![\d.,])1 (?:bar|piece|file|epoch|run|training|note|token|window|variation)s\b"
                        r"|≈ ?0 bars?\b|≈ ?0 ?小节")
CATALOGUE_KEY = re.compile(r"\b[a-z][a-z0-9_]*(?:\.[A-Za-z0-9_]+)+\b")


def reads_well(page, lang: str = "en", names=()) -> None:
    """The page speaks plainly: no hedged plural ("1 piece(s)"), no count said wrong, no catalogue
    key shown instead of its text, and in Chinese no English words left (but for ``names``,
    people's and runs')."""
    said = shown_text(page)
    hedged = [m for t in said for m in re.findall(r"\w+\(s\)", t) + MISCOUNTED.findall(t)]
    keys = [k for t in said for k in CATALOGUE_KEY.findall(t) if k in text.EN]
    assert not hedged and not keys, (hedged, keys)
    if lang == "zh":
        left = english_left(said, allowed={n.lower() for n in names})
        assert not left, left


# ---------------------------------------------------------------- 1. a newcomer at 1280 px


def test_a_newcomer_hears_a_piece_finds_the_waltz_and_takes_it_home(walk_server, browser, tmp_path):  # noqa: F811
    with visitor(browser, LAPTOP) as page:
        page.goto(walk_server)
        page.get_by_role("button", name=words("home.generate")).click()
        page.get_by_text("A new piece by").wait_for(timeout=120_000)
        settle(page)
        hears(page)
        reads_well(page)
        snap(page, "1-home-1280-en")

        open_page(page, "nav.generate")
        compose = page.get_by_role("button", name=words("gen.compose"))
        assert on_first_screen(compose) and on_first_screen(page.locator(".st-key-gen-style"))
        choose(page, "gen-style", words("gen.style_shown", style=words("opt.style.waltz")))
        page.get_by_text("Waltz: 3/4").wait_for()  # what the style sets, and with which model
        page.get_by_role("radiogroup", name="Variations").get_by_role("radio", name="2", exact=True).click()
        settle(page)
        snap(page, "1-generate-waltz-1280-en", whole=False)

        compose.click()
        page.locator("#gen-variations").wait_for(timeout=120_000)
        comes_into_view(page, "gen-variations")
        keep = page.get_by_role("button", name=words("gen.keep"))
        assert keep.count() == 2 and on_first_screen(keep.first), "the two variations' Keep buttons, in view"
        snap(page, "1-generate-composed-1280-en", whole=False)

        keep.first.click()
        page.get_by_role("button", name=words("gen.kept_shown")).wait_for()
        page.locator("#gen-piece").wait_for()
        settle(page)
        page.get_by_text(words("gen.session")).first.wait_for()  # kept among this visit's pieces
        page.locator("img[src^='data:image/svg']").first.wait_for(timeout=120_000)
        assert "seed" in score_text(page) and "variation 1" in score_text(page)  # the first of two
        midi = downloaded_midi(page, tmp_path)
        assert [(s.numerator, s.denominator) for s in midi.time_signatures][:1] == [(3, 4)], "a waltz is in 3/4"
        reads_well(page)
        snap(page, "1-generate-kept-1280-en")


# ---------------------------------------------------------------- 2. a music student on a phone


def jig(i: int, bars: int = 8) -> Piece:
    """A tune in 6/8: two groups of three eighths a bar over a dotted-half bass, in G or D."""
    rng = np.random.default_rng(100 + i)
    root = 67 if i % 2 == 0 else 62
    notes = []
    for bar in range(bars):
        t = bar * 3.0
        notes.append((t, 3.0, root - 24 + (0 if bar % 4 != 3 else 7), 60))
        for step in range(6):
            notes.append((t + step * 0.5, 0.5, root + int(rng.choice([0, 2, 4, 7, 9, 12])), 90 - 10 * (step % 3)))
    return Piece(f"jig-{i}", np.array(notes, dtype=float), tempo=120.0, time_signatures=[(0.0, 6, 8)],
                 key_sharps=1 if root == 67 else 2)


def student_files(folder: Path) -> list[str]:
    """Two reels in 4/4 and two jigs in 6/8, written by musegen's own MIDI writer."""
    pieces = [make_piece(i, bars=10) for i in range(2)] + [jig(i) for i in range(2)]
    return [str(write_midi(p, folder / f"{p.name}.mid")) for p in pieces]


def test_a_music_student_on_a_phone_fine_tunes_the_base_on_their_jigs(walk_server, browser, tmp_path):  # noqa: F811
    files = student_files(tmp_path)
    with visitor(browser, PHONE) as page:
        page.goto(f"{walk_server}/dataset")
        reads_the_report_of(page, files)
        open_page(page, "nav.train")
        page = fine_tunes_the_base(page, walk_server)
        run_name = page.get_by_test_id("stMain").locator("h3").first.inner_text().split()[-1]  # past its icon
        composes_with(page, run_name)
        continues_a_jig_after_a_reload(page, files[-1], run_name, tmp_path)


def reads_the_report_of(page, files: list[str]) -> None:
    """Uploads the files; the per-file report says each one's metre, key and tempo as written."""
    page.get_by_text("Upload files").click()
    settle(page)
    page.locator("input[type=file]").set_input_files(files)
    page.get_by_text("4 uploaded files").first.wait_for(timeout=60_000)
    settle(page)
    report = {row["file"]: row for row in table(page)}
    assert set(report) == {Path(f).name for f in files}, report
    assert [report[f"jig-{i}.mid"]["metre"] for i in range(2)] == ["6/8", "6/8"], report
    assert [report[f"synthetic-0{i}.mid"]["metre"] for i in range(2)] == ["4/4", "4/4"], report
    assert report["jig-0.mid"]["key"].startswith("G major") and report["jig-1.mid"]["key"].startswith("D major")
    assert [report[name]["tempo (bpm)"] for name in sorted(report)] == ["120", "120", "100", "100"], report
    reads_well(page)
    snap(page, "2-dataset-report-390-en")


def fine_tunes_the_base(page, url: str):
    """Starts the shortest fine-tune of the base on them: the steps before the first batch, then its
    chart, which a reload finds again; once it ended, a new tab shows it too (and is used from then)."""
    assert chosen(page, "tr-base") == words("train.base_broad")  # a small set: fine-tune the base
    assert chosen(page, "tr-preset") == words("opt.preset.Quick test (about 30 s)")
    page.get_by_role("button", name=words("train.start")).click()
    page.get_by_text(words("train.step.first_batch")).wait_for(timeout=30_000)
    snap(page, "2-train-preparing-390-en", whole=False)
    page.get_by_role("button", name=words("train.stop")).wait_for()
    page.locator(".js-plotly-plot").first.wait_for(timeout=120_000)

    page.reload()  # it goes on, and the page finds it again, chart and all
    page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
    assert "job=" in page.url
    page.get_by_role("link", name=words("train.generate_with")).wait_for(timeout=150_000)
    settle(page)
    reads_well(page)
    snap(page, "2-train-finished-390-en")

    tab = listen_for_errors(page.context.new_page())  # ended: /train in a new tab still shows it
    tab.set_default_timeout(60_000)
    tab.goto(f"{url}/train")
    tab.get_by_role("link", name=words("train.generate_with")).wait_for()
    settle(tab)
    assert tab.locator(".js-plotly-plot").count() >= 1 and tab.get_by_text(words("train.listen", epoch=2)).count() == 1
    page.close()
    return tab


def composes_with(page, run_name: str) -> None:
    """Generate with it: the new run is the model, and the piece it composes comes into view."""
    page.get_by_role("link", name=words("train.generate_with")).click()
    settle(page)
    assert chosen(page, "gen-run").startswith(run_name), (chosen(page, "gen-run"), run_name)
    page.get_by_text("trained on 4 uploaded files").first.wait_for()
    page.get_by_role("button", name=words("gen.compose")).click()
    page.locator("#gen-piece").wait_for(timeout=120_000)
    comes_into_view(page, "gen-piece")
    settle(page)
    assert page.get_by_test_id("stCaptionContainer").filter(has_text=f"{run_name} · seed").count() == 1
    reads_well(page)
    snap(page, "2-generate-with-it-390-en")


def continues_a_jig_after_a_reload(page, jig_file: str, run_name: str, folder: Path) -> None:
    """Uploads a jig to continue; a reload keeps it (the choice and the file: Compose is not greyed
    out), and the continuation is in 6/8."""
    page.get_by_text(words("opt.primer.My MIDI file (continue it)")).click()
    settle(page)
    page.locator(".st-key-gen-upload input[type=file]").set_input_files(jig_file)
    read = page.get_by_text(f"{Path(jig_file).name}:")
    read.wait_for()
    page.reload()
    read.wait_for()
    settle(page)
    compose = page.get_by_role("button", name=words("gen.compose"))
    assert compose.is_enabled() and chosen(page, "gen-run").startswith(run_name)
    compose.click()
    page.locator("#gen-piece").wait_for(timeout=120_000)
    comes_into_view(page, "gen-piece")
    settle(page)
    assert downloaded_midi(page, folder).time_signatures[0].numerator == 6, "a jig goes on in 6/8"
    snap(page, "2-generate-continues-a-jig-390-en")


# ---------------------------------------------------------------- 3. a Chinese-speaking visitor


RUN_NAMES = {"tiny-wavenet", "tiny-lstm", BASE_RUN}  # names people gave, kept as given
SCORE_NAMES_EN = {text.EN[k] for k in text.EN if k.startswith("score.part.")}
SCORE_NAMES_ZH = {text.ZH[k] for k in text.ZH if k.startswith("score.part.")}


def score_text(page) -> str:
    """The words engraved on the score (its SVG image)."""
    source = page.locator("img[src^='data:image/svg']").first.get_attribute("src")
    svg = base64.b64decode(source.split(",", 1)[1]).decode()
    return " ".join(re.findall(r">([^<>]+)</", svg))


def to_chinese(page) -> None:
    """The laptop's browser says English: the visitor picks 简体中文 in the sidebar."""
    choose(page, "ui-lang-pick", "简体中文")
    page.get_by_role("button", name=words("home.generate", "zh")).wait_for()


@pytest.mark.parametrize("size", [PHONE, LAPTOP], ids=["390", "1280"])
def test_a_chinese_visitor_reads_home_generate_and_compare_in_chinese(walk_server, browser, size):  # noqa: F811
    with visitor(browser, size, locale="zh-CN" if size == PHONE else "en-US") as page:
        page.goto(walk_server)
        if size == LAPTOP:
            to_chinese(page)
        hears_a_piece_in_chinese(page, size[0])
        open_page(page, "nav.generate", "zh")
        composes_and_reads_the_score_in_chinese(page, size[0])
        open_page(page, "nav.compare", "zh")
        finds_the_answer_in_the_table(page, size[0])


def hears_a_piece_in_chinese(page, width: int) -> None:
    page.get_by_role("button", name=words("home.generate", "zh")).click()
    page.get_by_text(words("home.made", "zh", run="x", seed=0).split("x")[-1][:6]).first.wait_for(timeout=120_000)
    settle(page)
    hears(page, "zh")
    reads_well(page, "zh", RUN_NAMES)
    snap(page, f"3-home-{width}-zh")


def composes_and_reads_the_score_in_chinese(page, width: int) -> None:
    """Compose: the piece comes into view, its score engraved with Chinese part names and title."""
    page.get_by_role("button", name=words("gen.compose", "zh")).click()
    page.locator("#gen-piece").wait_for(timeout=120_000)
    comes_into_view(page, "gen-piece")
    page.locator("img[src^='data:image/svg']").first.wait_for(timeout=120_000)
    settle(page)
    engraved = score_text(page)
    assert any(name in engraved for name in SCORE_NAMES_ZH) and "种子" in engraved, engraved[:300]
    assert "变奏" not in engraved, engraved[:300]  # one piece composed: no "variation 1" on its title
    assert not [name for name in SCORE_NAMES_EN | {"seed"} if re.search(rf"\b{name}\b", engraved)], engraved[:300]
    reads_well(page, "zh", RUN_NAMES)
    snap(page, f"3-generate-{width}-zh")


def finds_the_answer_in_the_table(page, width: int) -> None:
    """Compare: the answer's gap is the difference of the losses in the table beside it, and the
    sentence over the table says they are the numbers it compared, and from how many runs."""
    answer = page.get_by_test_id("stAlert").first
    answer.wait_for()
    page.get_by_test_id("stDataFrame").first.wait_for()
    settle(page)
    gap = float(re.search(r"\d+\.\d{3}", answer.inner_text()).group())
    rows = table(page)
    losses = [float(v) for row in rows for k, v in row.items() if "损失" in k]
    assert len(losses) == 2, rows
    # The headline's gap is the difference of the table's losses (each rounded to 3 places there).
    assert abs(gap - abs(losses[0] - losses[1])) <= 0.0011, (gap, losses)
    page.get_by_text(words("verdict.one_run_each", "zh")).first.wait_for()
    reads_well(page, "zh", RUN_NAMES)
    snap(page, f"3-compare-{width}-zh")
