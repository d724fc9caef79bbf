"""The support notes of resource pages in headless Chromium (``_terms.html`` support_note,
styled in ``ipkg.css``): a fact the article supports by a reading of its context or by a
derivation carries a tag that stands apart from the text, the two kinds look different, and
at a phone's width the tags wrap rather than push the page sideways."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By

from support.browser import chromium, require_chromium

pytestmark = pytest.mark.browser

READ = "/doc/hub/beijing"  # "Beijing is a talent hub" is read from the article's context
DERIVED = "/doc/period/past-four-years"  # its bounds are derived from the article's date


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    require_chromium()
    with chromium() as driver:
        yield driver


def looks(driver, selector: str) -> dict[str, str]:
    """The computed style of the first element at ``selector`` that matters here."""
    element = driver.find_element(By.CSS_SELECTOR, selector)
    return driver.execute_script(
        "const s = getComputedStyle(arguments[0]);"
        "return {display: s.display, background: s.backgroundColor, color: s.color,"
        " border: s.borderTopStyle, page: getComputedStyle(document.body).backgroundColor};",
        element,
    )


def test_a_read_and_a_derived_fact_each_carry_a_tag_that_stands_apart(browser, article_server):
    browser.set_window_size(1280, 900)
    browser.get(article_server.url + READ)
    read = looks(browser, ".support.read")
    assert browser.find_element(By.CSS_SELECTOR, ".support.read").text.startswith("read from")
    browser.get(article_server.url + DERIVED)
    derived = looks(browser, ".support.derived")
    for tag in (read, derived):
        assert tag["display"] == "inline"  # wraps with the text
        assert tag["border"] == "solid"
        assert tag["background"] not in (tag["page"], "rgba(0, 0, 0, 0)")
    assert (read["background"], read["color"]) != (derived["background"], derived["color"])


@pytest.mark.parametrize("path", [READ, DERIVED])
def test_the_tags_wrap_at_400_px(browser, article_server, path):
    browser.set_window_size(400, 900)
    browser.get(article_server.url + path)
    assert browser.find_elements(By.CSS_SELECTOR, ".support")
    scroll, inner = browser.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll <= inner
