"""``gancurve lab``'s page in a real browser: Playwright driving the system's headless Chromium.

Where no Chromium is installed (a developer's laptop) these tests skip with one line; with
``CI=true`` (``.ci/run`` installs Debian's ``chromium``) they must run. With
``GANCURVE_WRITE_SCREENSHOTS=1`` the screenshot at 1280×720 is written to docs/assets/lab.png.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import run_cli
from lab_helpers import Running

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
IN_CI = os.environ.get("CI") == "true"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "assets" / "lab.png"

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # (the dev extra installs it)
    sync_playwright = None  # type: ignore[assignment]

if CHROMIUM is None or sync_playwright is None:
    missing = "no chromium on PATH" if CHROMIUM is None else "playwright is not installed"
    if IN_CI:
        raise RuntimeError(f"CI=true: the browser tests must run, but {missing}.")
    pytest.skip(f"browser tests skipped: {missing} (CI installs Debian's chromium)", allow_module_level=True)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:connect\\(\\) must be used as a context manager"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


class Opened:
    """A lab and its page in the browser, with every console error and page error kept."""

    def __init__(self, browser: Browser, runs_dir: Path, playing: bool) -> None:
        self.running = Running(runs_dir, playing=playing)
        self.context = browser.new_context(viewport={"width": 1280, "height": 720})
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        url = f"http://127.0.0.1:{self.running.port}/?token={self.running.token}"
        self.page.goto(url)
        self.page.wait_for_selector("[data-option=lr_g]", timeout=15_000)

    def shown_step(self) -> int:
        return int(self.page.inner_text("#step").removeprefix("step ").replace(",", ""))

    def wait_for_step(self, step: int) -> None:
        self.page.wait_for_function(
            f"document.querySelector('#step').textContent === 'step {step:,}'", timeout=30_000
        )

    def message(self, contains: str) -> str:
        self.page.wait_for_function(
            "text => document.querySelector('#message').textContent.includes(text)",
            arg=contains,
            timeout=15_000,
        )
        return self.page.inner_text("#message")

    def canvas(self, name: str) -> Any:
        return self.page.evaluate(f"document.getElementById('{name}').toDataURL()")

    def close(self) -> None:
        self.context.close()
        self.running.stop()


@pytest.fixture
def opened(browser: Browser, tmp_path: Path) -> Iterator[Opened]:
    page = Opened(browser, tmp_path / "runs", playing=True)
    try:
        yield page
    finally:
        page.close()


def test_the_page_plays_with_no_console_errors_and_pause_stops_the_counter(opened: Opened) -> None:
    page = opened.page
    first_picture, first_step = opened.canvas("paintings"), opened.shown_step()
    page.wait_for_function(
        f"Number(document.querySelector('#step').textContent.replace(/[^0-9]/g, '')) > {first_step + 50}"
    )
    assert opened.canvas("paintings") != first_picture  # G's paintings move as steps advance
    page.click("#play")  # pause
    page.wait_for_function("document.querySelector('#state').textContent.includes('paused')")
    stopped = opened.shown_step()
    time.sleep(0.6)
    assert opened.shown_step() == stopped == opened.running.lab.state()["step"]
    page.keyboard.press("Space")  # space plays again
    page.wait_for_function(
        f"Number(document.querySelector('#step').textContent.replace(/[^0-9]/g, '')) > {stopped}"
    )
    page.keyboard.press("Space")
    page.wait_for_function("document.querySelector('#state').textContent.includes('paused')")
    assert opened.errors == []


def test_step_ten_advances_exactly_ten_and_the_arrow_key_one(opened: Opened) -> None:
    page = opened.page
    page.click("#play")
    page.wait_for_function("document.querySelector('#state').textContent.includes('paused')")
    time.sleep(0.2)
    start = opened.running.wait_idle()
    opened.wait_for_step(start)
    page.click("#step10")
    opened.wait_for_step(start + 10)
    time.sleep(0.4)
    assert opened.shown_step() == start + 10 == opened.running.lab.state()["step"]
    page.keyboard.press("ArrowRight")
    opened.wait_for_step(start + 11)
    assert opened.errors == []


def test_changing_the_loss_applies_at_the_next_step_and_a_bad_value_changes_nothing(opened: Opened) -> None:
    page, lab = opened.page, opened.running.lab
    page.click("#play")
    page.wait_for_function("document.querySelector('#state').textContent.includes('paused')")
    start = opened.running.wait_idle()
    page.select_option("[data-option=loss]", "hinge")
    said = opened.message("from step")
    assert f"--loss minimax → hinge from step {start + 1:,}" in said
    assert lab.session.config.loss == "hinge" and lab.state()["step"] == start
    assert lab.changes[-1] == {
        "step": start,
        "option": "--loss",
        "before": "minimax",
        "after": "hinge",
        "applied": "next step",
    }
    page.wait_for_function("document.querySelector('#changes').textContent.includes('hinge')")
    before = lab.state()
    page.fill("[data-option=lr_g]", "fast")
    page.press("[data-option=lr_g]", "Enter")
    refused = opened.message("--lr-g must be")
    assert "positive finite number" in refused
    assert page.get_attribute("#message", "class") == "error"
    assert "refused" in (page.get_attribute("[data-option=lr_g]", "class") or "")
    assert lab.state() == before  # nothing changed
    assert opened.errors == []


def test_save_as_run_gives_a_run_evaluate_reads(opened: Opened) -> None:
    page = opened.page
    page.select_option("#speed", "0")
    page.wait_for_function("Number(document.querySelector('#step').textContent.replace(/[^0-9]/g, '')) > 600")
    page.fill("#name", "from-the-page")
    page.click("#save")
    opened.message("Saved run 'from-the-page'")
    code, out, err = run_cli("evaluate", "--run", "from-the-page", "--runs-dir", str(opened.running.runs_dir))
    assert code == 0 and "Verdict:" in out, err
    assert opened.errors == []


def test_the_screenshot_at_1280_by_720(opened: Opened, tmp_path: Path) -> None:
    """The page as a projector shows it, mid-training (docs/assets/lab.png)."""
    page, lab = opened.page, opened.running.lab
    page.select_option("#speed", "0")
    page.wait_for_function(
        "Number(document.querySelector('#step').textContent.replace(/[^0-9]/g, '')) > 1500"
    )
    page.fill("[data-option=lr_g]", "0.0003")
    page.press("[data-option=lr_g]", "Enter")
    opened.message("from step")
    page.wait_for_function(
        "Number(document.querySelector('#step').textContent.replace(/[^0-9]/g, '')) > 3100"
    )
    page.select_option("#speed", "20")
    page.wait_for_function("document.querySelector('#verdict b') !== null")
    time.sleep(0.5)
    target = SCREENSHOT if os.environ.get("GANCURVE_WRITE_SCREENSHOTS") == "1" else tmp_path / "lab.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target))
    assert target.stat().st_size > 20_000 and lab.state()["step"] > 3100
    assert opened.errors == []
