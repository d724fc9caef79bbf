"""Every page type at a phone's width (400 px) in headless Chromium: nothing overflows
sideways (``scrollWidth <= innerWidth``); wide tables and charts scroll inside their own box.
And the 404 page in a real browser speaks the browser's language."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from support.browser import chromium, require_chromium

pytestmark = pytest.mark.browser

PAGES = (
    "/",
    "/search?q=tongji",
    "/id/",
    "/doc/cnipa",
    "/doc/zhang-zhicheng",
    "/article",
    "/ontology",
    "/api/queries",
    "/api/queries/statistics-by-year.html",
    "/api/queries/staff-of-organisation.html",
    "/api/docs",
    "/id/no-such-thing-cnipa",
    "/export/",
    "/.well-known/void",
    "/sparql",
    "/why?s=%3Chttps%3A%2F%2Fipkg.example.org%2Fid%2Fzhang-zhicheng%3E"
    "&p=%3Chttps%3A%2F%2Fipkg.example.org%2Fontology%23worksFor%3E"
    "&o=%3Chttps%3A%2F%2Fipkg.example.org%2Fid%2Fcnipa%3E",
)


@pytest.fixture(scope="module")
def phone() -> Iterator[object]:
    require_chromium()
    with chromium() as browser:
        browser.set_window_size(400, 900)
        yield browser


def test_no_page_overflows_sideways_at_400_px(phone, article_server) -> None:
    overflowing = {}
    for path in PAGES:
        phone.get(article_server.url + path)
        if path == "/api/docs":
            WebDriverWait(phone, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".opblock"))
        scroll, inner = phone.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert inner <= 400
        if scroll > inner:
            overflowing[path] = (scroll, inner)
    assert overflowing == {}


def test_a_wide_table_scrolls_inside_its_box_at_400_px(phone, article_server) -> None:
    phone.get(article_server.url + "/export/")
    table = phone.find_element(By.CSS_SELECTOR, "main table")
    inside, outside = phone.execute_script(
        "const t = arguments[0]; return [t.scrollWidth, t.clientWidth]", table
    )
    assert inside > outside  # wider than the screen, so it scrolls in its box


@pytest.mark.parametrize(
    ("language", "shown", "hidden"),
    [
        ("en-US", "China National Intellectual Property Administration", "国家知识产权局"),
        ("zh-CN", "国家知识产权局", "China National Intellectual Property Administration"),
    ],
)
def test_the_404_suggestions_follow_the_browser_language(
    article_server, language: str, shown: str, hidden: str
) -> None:
    require_chromium()
    with chromium(accept_language=language) as browser:
        browser.get(article_server.url + "/id/cnipa-nothing")
        text = browser.find_element(By.TAG_NAME, "main").text
    assert shown in text and hidden not in text


def test_the_ontology_diagram_keeps_its_size_and_scrolls_in_its_box(phone, article_server) -> None:
    phone.get(article_server.url + "/ontology")
    images = phone.find_elements(By.CSS_SELECTOR, "#diagram img")
    if not images:
        pytest.skip("the ontology diagram is not installed")
    shown, natural = phone.execute_script(
        "const i = arguments[0]; return [i.getBoundingClientRect().width, i.naturalWidth]",
        images[0],
    )
    assert natural > 400 and abs(shown - natural) < 1  # edge labels at their 12 px, not 6 px
    assert phone.execute_script("return document.documentElement.scrollWidth") <= 400
