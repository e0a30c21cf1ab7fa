"""The viewer in a real headless Chromium (Debian's chromium, driven by Playwright): the page loads without
console errors, play advances the clock, the slider scrubs, agents are drawn in their states' colours, a click
tells an agent's story, the event log filters, a run started from the page completes and appears (and a
hostile one shows the CLI's one-line error), and the exported HTML plays offline.

These tests never skip: without a startable /usr/bin/chromium they fail, saying how to install it."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from viewhelp import agent_result, cli_error, ensemble_result, serving

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser():
    if shutil.which("chromium") is None and not Path(CHROMIUM).exists():
        pytest.fail("chromium is missing: apt-get install -y chromium (the README's test command does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("viewb")
    return agent_result(base), ensemble_result(base)


@pytest.fixture(scope="module")
def film(folders) -> dict:
    from hyosan.view.frames import read_frames

    return read_frames(folders[0] / "frames.npz")


class Page:
    """A page with its console errors collected."""

    def __init__(self, browser, url: str, **context) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000}, **context)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        self.page.wait_for_selector("body[data-ready='1']", timeout=60_000)

    def scrub(self, i: int) -> None:
        self.page.evaluate("(i) => { const s = document.getElementById('slider'); s.value = i; "
                           "s.dispatchEvent(new Event('input')); }", i)  # fmt: skip

    def clock(self) -> float:
        return float(self.page.get_attribute("#clock", "data-t"))

    def close(self) -> None:
        self.context.close()


def pixels(page, selector: str) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(page.locator(selector).first.screenshot())).convert("RGB")).astype(int)


def test_the_page_loads_without_console_errors_and_compares_two_results(browser, folders, tmp_path: Path) -> None:
    with serving(list(folders)) as (_, _, url):
        p = Page(browser, url)
        assert p.page.locator(".panel").count() == 1
        assert p.page.locator("canvas.map").count() == 1
        p.page.select_option("#pickB", "1")
        p.page.wait_for_function("() => document.querySelectorAll('.panel').length === 2")
        p.page.locator("input.lines").check()
        p.page.wait_for_timeout(300)
        p.page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)
        p.page.select_option("#pickA", "1")
        p.page.select_option("#pickB", "")
        p.page.wait_for_function("() => document.querySelectorAll('.panel').length === 1")
        assert p.page.text_content("#clock").startswith("t = ")
        assert p.errors == []
        p.close()


def test_play_advances_the_clock_and_the_slider_scrubs(browser, folders, film) -> None:
    from hyosan.viz.story import Clock

    with serving(list(folders)) as (_, _, url):
        p = Page(browser, url)
        assert p.clock() == 0 and p.page.text_content("#clock").startswith("day 1, 23:58")
        p.page.click("#play")
        p.page.wait_for_timeout(1500)
        p.page.click("#play")
        assert p.clock() > 0 and int(p.page.input_value("#slider")) > 0
        before = pixels(p.page, "canvas.map")
        k = int(film["t"].size * 0.6)
        p.scrub(k)
        clock = Clock(float(film["meta"]["starts_at"]))
        assert p.clock() == pytest.approx(film["t"][k])
        assert p.page.text_content("#clock").startswith(clock.label(float(film["t"][k])))
        assert (pixels(p.page, "canvas.map") != before).any()
        p.page.click("#step")
        assert p.clock() == pytest.approx(film["t"][k + 1])
        assert p.errors == []
        p.close()


def isolated(x: np.ndarray, y: np.ndarray, on: np.ndarray, i: int, radius: float = 0.8) -> bool:
    """No other drawn agent within ``radius`` cells: none of their squares (0.9 cells wide) covers i's centre."""
    d = np.hypot(x - x[i], y - y[i])
    return bool(((d < radius) & on).sum() == 1)


def test_agents_are_drawn_in_their_states_colours(browser, folders, film, tmp_path: Path) -> None:
    """For each of healthy, bitten, zombie, humbie and dead, at the first frame where an agent in that state
    stands alone, the pixel under it has the state's colour in the animation's legend
    (hyosan.viz.animate.STATE_COLOURS); escaped agents are not drawn."""
    from hyosan.viz.animate import STATE_COLOURS, STATE_ORDER

    found: dict[int, tuple[int, int]] = {}
    for k in range(film["t"].size):
        x, y, s = film["x"][k], film["y"][k], film["state"][k]
        for i in range(s.size):
            if s[i] != 5 and int(s[i]) not in found and isolated(x, y, s != 5, i):
                found[int(s[i])] = (k, i)
    assert {0, 1, 2, 3, 4} <= found.keys(), found
    with serving(list(folders)) as (_, _, url):
        p = Page(browser, url)
        px = int(p.page.evaluate("hyosanView.panels[0].px"))
        for code, (k, i) in sorted(found.items()):
            p.scrub(k)
            img = pixels(p.page, "canvas.map")
            colour = img[int(film["y"][k][i] * px), int(film["x"][k][i] * px)]
            assert np.abs(colour - STATE_COLOURS[STATE_ORDER[code]]).max() <= 2, (STATE_ORDER[code], colour)
        p.page.locator("canvas.map").screenshot(path=str(tmp_path / "map.png"))
        assert p.errors == []
        p.close()


def test_a_click_tells_the_agents_story_and_the_log_filters(browser, folders, film) -> None:
    import pandas as pd

    ev = pd.read_csv(folders[0] / "events.csv")
    bites = ev[ev["kind"] == "bite"]
    k = film["t"].size - 1
    x, y, s = film["x"][k], film["y"][k], film["state"][k]
    on = s != 5
    victim = next(int(a) for a in bites["agent"] if on[a] and isolated(x, y, on, a))
    biter = int(bites[bites["agent"] == victim]["other"].iloc[0])
    with serving(list(folders)) as (_, _, url):
        p = Page(browser, url)
        p.scrub(k)
        px = int(p.page.evaluate("hyosanView.panels[0].px"))
        p.page.locator("canvas.map").click(position={"x": float(x[victim] * px), "y": float(y[victim] * px)})
        story = p.page.text_content(".story")
        assert story.startswith(f"Agent {victim}: student") and f"by agent {biter}." in story
        p.page.select_option("#drop", "noise")
        p.page.locator("canvas.map").click(position={"x": 4.0 * px, "y": 3.0 * px})
        drop = p.page.evaluate("hyosanView.dropZone")
        scale = film["meta"]["scale_m"]
        assert drop == {
            "what": "noise",
            "x_m": pytest.approx(4 * scale, abs=0.1),
            "y_m": pytest.approx(3 * scale, abs=0.1),
        }
        p.page.select_option("#drop", "")
        p.page.select_option("select.logkind", "bite")
        kinds = p.page.locator(".log tr td:nth-child(2)").all_text_contents()
        assert kinds and set(kinds) == {"bite"}
        assert len(kinds) == min(150, int((bites["time_s"] <= film["t"][k]).sum()))
        assert p.errors == []
        p.close()


def test_a_run_from_the_page_completes_and_appears_and_a_bad_one_says_why(browser, folders, tmp_path: Path, capsys):
    with serving(list(folders), tmp_path / "runs") as (_, session, url):
        p = Page(browser, url)
        p.page.wait_for_selector("#fields input[name=beta]")
        p.page.fill("#fields input[name=beta]", "-1")
        p.page.click("#run")
        p.page.wait_for_selector("#runmsg.error")
        expected = cli_error("run", "sir", "--set", "beta=-1", "--out", str(tmp_path / "cli"), capsys=capsys)
        assert p.page.text_content("#runmsg") == expected
        p.page.fill("#fields input[name=beta]", "0.5")
        p.page.locator("#fields input[aria-label=gamma]").fill("0.25")  # the slider moves the field with it
        assert p.page.input_value("#fields input[name=gamma]") == "0.25"
        p.page.click("#run")
        p.page.wait_for_function(
            "() => document.getElementById('runmsg').textContent.startsWith('done')", timeout=120_000
        )
        p.page.wait_for_function("() => document.querySelectorAll('.panel').length === 2")
        assert p.page.get_attribute(".panel >> nth=1", "data-result") == "2"
        assert len(session.folders) == 3 and (session.folders[2] / "result.nc").is_file()
        ran = json.loads((session.folders[2] / "summary.json").read_text())["parameters"]
        assert ran == {"beta": 0.5, "gamma": 0.25}
        p.page.screenshot(path=str(tmp_path / "run.png"), full_page=True)
        assert p.errors == ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
        p.close()


def test_the_exported_page_plays_offline(browser, folders, tmp_path: Path) -> None:
    from hyosan.view.export import export_html

    page = export_html(list(folders), tmp_path / "page.html")
    asked: list[str] = []
    context = browser.new_context(offline=True, viewport={"width": 1400, "height": 1000})
    context.route(
        "**/*",
        lambda route: (
            asked.append(route.request.url),
            route.continue_() if route.request.url.startswith("file:") else route.abort(),
        ),
    )
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(page.as_uri())
    pg.wait_for_selector("body[data-ready='1']", timeout=60_000)
    assert pg.locator("#runner").is_hidden()
    pg.click("#play")
    pg.wait_for_timeout(1500)
    assert float(pg.get_attribute("#clock", "data-t")) > 0
    pg.select_option("#pickB", "1")
    pg.wait_for_function("() => document.querySelectorAll('.panel').length === 2")
    pg.screenshot(path=str(tmp_path / "offline.png"), full_page=True)
    assert errors == [] and all(u.startswith("file:") for u in asked), asked
    context.close()
