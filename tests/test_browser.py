"""The whole loop in a real browser: headless Debian Chromium, driven by Playwright, against
`streamlit run app.py` on localhost. Screenshots go to tests/output/screenshots/."""
from __future__ import annotations

import os
import re
from urllib.parse import urlparse
from pathlib import Path

import pytest

from app_fixtures import bundled_runs, streamlit_app  # noqa: F401 (fixture)
from conftest import make_piece
from musegen.render.audio import check_audio
from musegen.render.midi import piece_to_midi_bytes

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "tests" / "output" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing (apt-get install chromium)")


@pytest.fixture(scope="module")
def server(tmp_path_factory, bundled_runs):  # noqa: F811
    runs = tmp_path_factory.mktemp("browser-runs")
    env = {**os.environ, "MUSEGEN_RUNS": str(runs), "MUSEGEN_BUNDLED_DIR": str(bundled_runs),
           "MUSEGEN_MAX_CONCURRENT_TRAININGS": "1"}
    with open(tmp_path_factory.mktemp("browser-log") / "streamlit.log", "w+") as log:
        with streamlit_app(env, log, startup=60.0) as (url, _):
            yield url, runs
        log.seek(0)
        text = log.read()
    assert "Traceback" not in text, text[-3000:]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


CONSOLE_ERRORS: list[str] = []  # every error the pages log in the browser, checked by the last test


def listen_for_errors(page):
    """Console errors, uncaught exceptions and failed requests (by their address: the console only
    says "Failed to load resource"). A page opened by its own address makes Streamlit's front end
    probe for a base path first (/train/_stcore/health, then /_stcore/health): those 404s are
    Streamlit's, by design, and left out."""
    def console(m):
        if m.type == "error" and not m.text.startswith("Failed to load resource"):
            CONSOLE_ERRORS.append(f"{page.url}: {m.text}")

    def response(r):
        probe = re.fullmatch(r"/[^?]+/_stcore/(health|host-config)", urlparse(r.url).path)
        if r.status >= 400 and not probe:
            CONSOLE_ERRORS.append(f"{page.url}: {r.status} {r.url}")

    page.on("console", console)
    page.on("response", response)
    page.on("pageerror", lambda e: CONSOLE_ERRORS.append(f"{page.url}: {e}"))
    return page


@pytest.fixture(scope="module")
def page(server, browser):
    page = listen_for_errors(browser.new_page(viewport={"width": 1400, "height": 1000}))
    page.set_default_timeout(60_000)
    return page


def settle(page):
    """Wait until Streamlit has finished running the script."""
    page.wait_for_timeout(300)
    page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    page.wait_for_timeout(300)


def shot(page, name):
    """The whole page: Streamlit scrolls inside its main block, so grow the window to fit it."""
    height = page.evaluate("() => (document.querySelector('[data-testid=\"stMain\"]') || document.body).scrollHeight")
    page.set_viewport_size({"width": 1400, "height": int(min(max(1000, height + 40), 7000))})
    page.wait_for_timeout(700)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    page.set_viewport_size({"width": 1400, "height": 1000})


def go(page, url, path):
    page.goto(f"{url}/{path}")
    page.get_by_test_id("stSidebar").wait_for()
    settle(page)


def audio_src_ok(page, within=None) -> bool:
    scope = within or page
    srcs = scope.locator("audio").evaluate_all("els => els.map(e => e.getAttribute('src') || '')")
    return any(len(s) > 0 for s in srcs)


PLAYHEAD = "iframe[title^='Audio player and piano roll']"  # musegen.render.playhead in st.iframe


def check_playhead(page, player: str = PLAYHEAD) -> None:
    """The roll with a playhead drew in its frame (``player``: the frame's selector), and a click on
    the roll seeks the audio."""
    frame = page.frame_locator(player).first
    frame.locator("canvas").first.wait_for(timeout=60_000)
    assert frame.locator("canvas").count() == 2 and frame.locator("audio[src^='data:audio/ogg;base64,']").count() == 1
    roll = frame.locator(".roll")
    roll.scroll_into_view_if_needed()
    box = roll.bounding_box()
    assert box["width"] > 200 and box["height"] > 100
    page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2)
    assert frame.locator("audio").evaluate("a => a.currentTime") > 0


def test_the_whole_loop_in_a_browser(server, page, tmp_path):
    url, runs = server

    # Home: three steps and a piece within seconds from the bundled model.
    go(page, url, "")
    page.get_by_text("Hear it now").wait_for()
    shot(page, "01-home")
    page.get_by_role("button", name="Generate a piece now").click()
    page.get_by_text("A new piece by").wait_for(timeout=120_000)
    settle(page)
    if check_audio() is None:
        check_playhead(page)
    else:
        assert page.locator(".js-plotly-plot").count() >= 1
    shot(page, "02-home-generated")

    # Dataset: upload three MIDI files.
    go(page, url, "dataset")
    page.get_by_text("Upload files").click()
    settle(page)
    files = []
    for i in range(3):
        path = tmp_path / f"tune-{i}.mid"
        path.write_bytes(piece_to_midi_bytes(make_piece(i, bars=12)))
        files.append(str(path))
    page.locator("input[type=file]").set_input_files(files)
    page.get_by_text("3 uploaded files").first.wait_for(timeout=60_000)
    settle(page)
    page.get_by_text("Rare chords").click()  # the token chart waits in an expander: the default tokens keep every note
    settle(page)
    page.locator(".js-plotly-plot").nth(3).wait_for()
    shot(page, "03-dataset")

    # Train: the quick preset, to the end.
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Train").click()
    settle(page)
    page.get_by_text("New training").wait_for()
    shot(page, "04-train-form")
    page.get_by_role("button", name="Start training").click()
    page.get_by_role("button", name="Stop").wait_for(timeout=60_000)
    page.locator(".js-plotly-plot").first.wait_for(timeout=120_000)
    page.wait_for_timeout(1500)
    shot(page, "05-train-running")
    page.get_by_text("Training finished.").wait_for(timeout=150_000)
    settle(page)
    assert page.locator(".js-plotly-plot").count() >= 1
    page.get_by_text("Run library").scroll_into_view_if_needed()
    shot(page, "06-train-finished")
    assert list(runs.glob("visitors/*/*/model.keras")), "no run was saved in the visitor's folder"

    # Generate with the new run (same session: the page link keeps it): piano roll, score (SVG), audio.
    page.get_by_role("link", name="Generate with it").click()
    settle(page)
    page.get_by_text("trained on 3 uploaded file").wait_for()
    page.get_by_role("button", name="Compose").click()
    score = page.locator("img[src^='data:image/svg']").first
    score.wait_for(timeout=120_000)
    settle(page)
    width, frame = score.evaluate("img => [img.getBoundingClientRect().width, img.parentElement.clientWidth]")
    assert width <= frame and not page.locator(".score-hint").first.is_visible(), (width, frame)  # the last bar shows
    if check_audio() is None:
        assert audio_src_ok(page) and page.locator(PLAYHEAD).count() == 1
    else:
        assert page.locator(".js-plotly-plot").count() >= 1
    assert page.get_by_role("button", name="MIDI").count() >= 1
    shot(page, "07-generate")

    # Two variations side by side, then keep the second.
    page.get_by_role("radiogroup", name="Variations").get_by_role("radio", name="2", exact=True).click()
    settle(page)
    page.get_by_role("button", name="Compose").click()
    page.get_by_role("button", name="Keep this one").nth(1).wait_for(timeout=120_000)
    settle(page)
    page.get_by_role("button", name="Keep this one").nth(1).click()
    page.get_by_role("button", name="Kept · shown below").wait_for()
    settle(page)
    if check_audio() is None:
        assert page.locator(PLAYHEAD).count() == 3  # two variations and the kept one in full
    shot(page, "07b-generate-variations")

    # Compare: curves and the table of the bundled runs.
    go(page, url, "compare")
    page.get_by_text("Listen side by side").wait_for()
    page.locator(".js-plotly-plot").first.wait_for()
    page.get_by_role("button", name="Compose one piece with each").click()
    if check_audio() is None:
        page.locator(PLAYHEAD).nth(1).wait_for(timeout=120_000)
    else:
        page.locator(".js-plotly-plot").nth(2).wait_for(timeout=120_000)
    settle(page)
    shot(page, "08-compare")


def test_visitors_own_their_runs_and_share_them_by_link(server, browser, bundled_runs):  # noqa: F811
    """Two browsers: A's run is A's (it survives a reload: the identity is an HttpOnly cookie); B cannot see
    it, let alone rename or delete it, until A shares it; then B can use it, not change it."""
    import shutil

    from musegen.serve.visitors import owner_key

    url, runs = server
    alice, bob = (browser.new_context(viewport={"width": 1400, "height": 1000}) for _ in range(2))
    try:
        a, b = listen_for_errors(alice.new_page()), listen_for_errors(bob.new_page())
        for pg in (a, b):
            pg.set_default_timeout(60_000)
        go(a, url, "train")
        cookie = next(c for c in alice.cookies() if c["name"] == "musegen_visitor")
        token = cookie["value"]
        # Set by the server, HttpOnly: no script of the page reads it, and the page never holds it.
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert "musegen_visitor" not in a.evaluate("document.cookie") and token not in a.content()
        mine = runs / "visitors" / owner_key(token)
        mine.mkdir(parents=True, exist_ok=True)
        shutil.copytree(bundled_runs / "tiny-wavenet", mine / "alices-tune")

        a.reload()
        a.get_by_text("Run library").wait_for()
        settle(a)
        a.get_by_text("alices-tune").first.click()
        a.get_by_role("button", name="Rename").wait_for()
        assert a.get_by_role("button", name="Delete").count() >= 1

        go(b, url, "train")
        b.get_by_text("Run library").wait_for()
        assert b.get_by_text("alices-tune").count() == 0
        go(b, url, "generate")
        assert b.get_by_text("alices-tune").count() == 0

        a.get_by_role("button", name="Share").click()
        link = a.get_by_test_id("stCode").filter(has_text="?shared=")
        link.wait_for()
        settle(a)
        shot(a, "09-train-share-link")
        address = link.inner_text().strip()
        assert "?shared=" in address

        b.goto(address)
        b.get_by_text("was shared with you").wait_for()
        settle(b)
        go(b, url, "train")
        b.get_by_text("alices-tune").first.click()
        b.get_by_text("Shared with you, or the server's own").wait_for()
        assert b.get_by_role("button", name="Rename").count() == 0  # B's own library has no other run
        assert (mine / "alices-tune" / "model.keras").is_file()
    finally:
        alice.close()
        bob.close()


def test_compose_shows_its_progress_by_the_button_and_brings_the_piece_into_view(server, browser):
    """1280×900 with More settings open (the settings fill the window below Compose): the spinner
    shows right under the button, and the new piece, its heading and its player, comes into the
    window once made, without the visitor scrolling."""
    url, _ = server
    laptop = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        pg = listen_for_errors(laptop.new_page())
        pg.set_default_timeout(60_000)
        go(pg, url, "generate")
        pg.get_by_text("More settings").click()
        pg.get_by_text("Rhythm temperature").wait_for()
        settle(pg)
        # Four variations: Streamlit shows a spinner only for work of over half a second, and one
        # piece from a warm model can take less.
        pg.get_by_role("radiogroup", name="Variations").get_by_role("radio", name="4").click()
        settle(pg)
        compose = pg.get_by_role("button", name="Compose")
        button = compose.bounding_box()
        compose.click()
        spinner = pg.get_by_test_id("stSpinner")
        spinner.wait_for()
        below = spinner.bounding_box()["y"] - (button["y"] + button["height"])
        assert 0 <= below < 60, below  # right under the button, not below the settings
        pg.locator("#gen-variations").wait_for(timeout=120_000)
        pg.locator(PLAYHEAD if check_audio() is None else ".js-plotly-plot").first.wait_for()
        # The page scrolls smoothly, and on while the players below load: wait until the variations'
        # heading is in the upper half of the window and a player (200 px of it) below it.
        pg.wait_for_function("""sel => { const h = document.getElementById("gen-variations").getBoundingClientRect();
                                         const p = document.querySelector(sel).getBoundingClientRect();
                                         return h.top >= 0 && h.top < innerHeight / 2
                                                && p.top + Math.min(p.height, 200) <= innerHeight; }""",
                             arg=PLAYHEAD if check_audio() is None else ".js-plotly-plot", timeout=15_000)
        pg.screenshot(path=str(SHOTS / "07c-generate-compose-in-view.png"))
    finally:
        laptop.close()


def test_a_phone_in_chinese_composes_from_the_first_screen_and_reads_the_score(server, browser):
    """390×844, a Chinese browser: Generate's Compose button without scrolling, the page in
    Chinese, and the engraved score at a size one can read, scrolled sideways in its frame."""
    url, _ = server
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                has_touch=True)
    try:
        pg = listen_for_errors(phone.new_page())
        pg.set_default_timeout(60_000)
        pg.goto(f"{url}/generate")
        compose = pg.get_by_role("button", name="作曲")
        compose.wait_for()
        settle(pg)
        box = compose.bounding_box()
        assert box["y"] + box["height"] <= 0.85 * 844, box  # on the first screen, not at its bottom edge
        compose.click()
        score = pg.locator("img[src^='data:image/svg']").first
        score.wait_for(timeout=120_000)
        settle(pg)
        width = score.evaluate("img => img.getBoundingClientRect().width")
        frame = score.evaluate("img => [img.parentElement.clientWidth, getComputedStyle(img.parentElement).overflowX]")
        assert width > 390 and frame[0] < width and frame[1] == "auto", (width, frame)
        assert pg.locator(".score-hint").first.is_visible()  # and says it scrolls
        height = pg.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        pg.set_viewport_size({"width": 390, "height": int(min(height + 40, 7000))})
        pg.wait_for_timeout(700)
        pg.screenshot(path=str(SHOTS / "10-generate-phone-zh.png"))
    finally:
        phone.close()


# Where each chart's toolbar overlaps its titles or its plot: [chart, what, toolbar box, its box].
TOOLBAR_OVERLAPS = """() => {
  const box = e => e.getBoundingClientRect();
  const meet = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  return [...document.querySelectorAll('.js-plotly-plot')].flatMap((chart, i) => {
    const bar = chart.querySelector('.modebar');
    if (!bar || !box(bar).width) return [];
    const covered = [...chart.querySelectorAll('.gtitle, .annotation-text, .draglayer .nsewdrag')]
      .filter(e => box(e).width && meet(box(bar), box(e)));
    return covered.map(e => [i, e.textContent || e.getAttribute('class'), JSON.stringify(box(bar)), JSON.stringify(box(e))]);
  });
}"""


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_phone_sees_the_dataset_totals_at_a_glance_and_no_chart_toolbar_over_a_title(server, browser, locale):
    """390×844 in both languages: the Dataset page's totals take a line or two (five metrics took
    the whole screen), and on Dataset and Compare no chart's toolbar covers its titles or its plot."""
    url, _ = server
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale=locale, is_mobile=True, has_touch=True)
    try:
        pg = listen_for_errors(phone.new_page())
        pg.set_default_timeout(120_000)
        pg.goto(f"{url}/dataset")  # a phone folds the sidebar away: go() waits for it
        pg.locator(".st-key-ds-load button").click()
        main = pg.get_by_test_id("stMain")
        report = main.get_by_test_id("stExpander").first  # the per-file report
        report.wait_for()
        pg.locator(".js-plotly-plot").last.wait_for()  # pitches, durations (the tokens: folded away), the roll
        settle(pg)
        heading = main.locator("h3").first.bounding_box()  # the dataset's name
        assert report.bounding_box()["y"] - (heading["y"] + heading["height"]) < 110
        assert pg.evaluate(TOOLBAR_OVERLAPS) == []
        pg.screenshot(path=str(SHOTS / f"11-dataset-phone-{locale}.png"))
        pg.goto(f"{url}/compare")
        pg.locator(".js-plotly-plot").first.wait_for()
        settle(pg)
        assert pg.evaluate(TOOLBAR_OVERLAPS) == []
    finally:
        phone.close()


def test_a_piece_shared_by_link_opens_in_a_fresh_browser_and_stop_sharing_ends_it(server, browser):
    """Issue 23, item 8: A shares the piece she composed; B, another browser with no cookie of
    hers, opens the link: the piece alone, read-only, to hear, read and download. A stops sharing:
    B's open page says so within seconds, its music gone."""
    url, _ = server
    alice, bob = (browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2))
    try:
        a, b = listen_for_errors(alice.new_page()), listen_for_errors(bob.new_page())
        for pg in (a, b):
            pg.set_default_timeout(60_000)
        go(a, url, "generate")
        a.get_by_role("button", name="Compose").click()
        a.get_by_role("button", name="Share this piece").click()
        link = a.get_by_test_id("stCode").filter(has_text="?piece=").first  # also in "Pieces you share", folded
        link.wait_for()
        settle(a)
        address = link.inner_text().strip()
        title = a.locator("h3#gen-piece").inner_text().strip()

        b.goto(address)
        b.get_by_role("heading", name=title).wait_for()
        settle(b)
        assert b.locator(PLAYHEAD).count() == 1 and b.get_by_test_id("stDownloadButton").count() >= 1
        assert b.get_by_test_id("stSidebar").count() == 0 and b.get_by_role("button", name="Compose").count() == 0
        mine = {c["value"] for c in alice.cookies() if c["name"] == "musegen_visitor"}
        assert not mine & {c["value"] for c in bob.cookies() if c["name"] == "musegen_visitor"}
        shot(b, "12-shared-piece-link")

        a.get_by_role("button", name="Stop sharing").first.click()
        a.get_by_text("is no longer shared").wait_for()
        b.get_by_role("heading", name="This link no longer works").wait_for(timeout=15_000)
        assert b.locator(PLAYHEAD).count() == 0 and b.get_by_test_id("stDownloadButton").count() == 0
    finally:
        alice.close()
        bob.close()


def test_no_page_logged_an_error_in_the_browser_console():
    """Every page opened above, in both languages and both widths: no error in the console (the
    piano roll once flooded it with 'Invalid color specifier')."""
    assert not CONSOLE_ERRORS, "\n".join(CONSOLE_ERRORS[:20])
