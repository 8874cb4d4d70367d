"""The drafting loop in a real browser: headless Debian Chromium watching `serve --watch`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Site, post_text
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from reelnotes.serve import DevServer, ServeOptions

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1024,768"]


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    """Headless Chromium with a fresh profile, driven through Debian's chromedriver."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + [f"--user-data-dir={tmp_path / 'profile'}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def served(site: Site) -> Iterator[DevServer]:
    """`serve --watch` on a one-post site."""
    site.post("one", post_text("First review", "2013-04-09", body="Original words."))
    (site.root / "static/css").mkdir(parents=True)
    server = DevServer(site.root, ServeOptions(port=0, watch=True))
    server.start()
    yield server
    server.stop()


def main_text(driver: WebDriver) -> str:
    """The text of the page's <main> (read in one script, so a reload cannot stale it)."""
    return str(driver.execute_script(
        "const m = document.querySelector('main'); return m ? m.innerText : ''"))


def overlay_text(driver: WebDriver) -> str | None:
    """The error overlay's visible text, or None when there is none."""
    text = driver.execute_script(
        "const o = document.getElementById('reelnotes-overlay');"
        "return o && o.offsetHeight > 0 ? o.innerText : null")
    return None if text is None else str(text)


def test_edit_reloads_and_errors_overlay_in_the_same_tab(served: DevServer, site: Site,
                                                         browser: WebDriver) -> None:
    browser.get(served.url + "posts/first-review/")
    tab = browser.current_window_handle
    WebDriverWait(browser, 5).until(
        lambda d: d.execute_script("return document.documentElement.dataset.reelnotesLive"))
    assert "Original words." in main_text(browser)

    site.post("one", post_text("First review", "2013-04-09", body="Freshly saved words."))
    saved = time.monotonic()
    WebDriverWait(browser, 2, poll_frequency=0.02).until(
        lambda d: "Freshly saved words." in main_text(d))
    assert time.monotonic() - saved < 2.0
    assert browser.window_handles == [tab]

    site.post("one", "---\ntitle: First review\ndate: 2013-04-09\ntags: [unclosed\n---\nx\n")
    WebDriverWait(browser, 2, poll_frequency=0.02).until(overlay_text)
    shown = overlay_text(browser) or ""
    assert "content/posts/one.md:" in shown and "invalid YAML" in shown
    assert "Freshly saved words." in main_text(browser)  # the last good page stays under it

    site.post("one", post_text("First review", "2013-04-09", body="Fixed words."))
    WebDriverWait(browser, 2, poll_frequency=0.02).until(
        lambda d: "Fixed words." in main_text(d) and overlay_text(d) is None)
    assert browser.window_handles == [tab]


def test_css_change_swaps_the_stylesheet_without_reload(served: DevServer, site: Site,
                                                        browser: WebDriver) -> None:
    browser.get(served.url + "posts/first-review/")
    WebDriverWait(browser, 5).until(
        lambda d: d.execute_script("return document.documentElement.dataset.reelnotesLive"))
    browser.execute_script("window.reelnotesMarker = 42")
    site.write("static/css/style.css", "h1 { color: rgb(200, 10, 20) }\n")

    def red(d: WebDriver) -> bool:
        color = d.execute_script(
            "return getComputedStyle(document.querySelector('h1')).color")
        return bool(color == "rgb(200, 10, 20)")

    WebDriverWait(browser, 2, poll_frequency=0.02).until(red)
    assert browser.execute_script("return window.reelnotesMarker") == 42  # no reload
