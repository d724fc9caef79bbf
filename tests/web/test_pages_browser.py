"""The linked-data pages in real headless Chromium: from an institution to a person, their
post and the quoted sentence, Chinese labels by Accept-Language, and hostile literals shown as
text. The pages use no JavaScript; the browser proves they read and link as they should."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.browser import chromium
from support.servers import RunningServer, start_server

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
BASE = "https://ipkg.example.org/"


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A small graph with literals full of markup and a javascript: IRI."""
    args = [
        "--data",
        f"{BASE}graph/ontology={ROOT / 'ontology' / 'ipkg.ttl'}",
        "--data",
        f"{BASE}graph/asserted={FIXTURES / 'mini-facts.ttl'}",
        "--data",
        f"{BASE}graph/asserted={FIXTURES / 'hostile.ttl'}",
    ]
    server = start_server(tmp_path_factory.mktemp("hostile"), args, timeout=300)
    yield server
    server.stop()


def heading(driver) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.TAG_NAME, "h1").text


def test_institution_links_to_a_person_whose_post_and_sentence_are_shown(article_server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    with chromium() as driver:
        driver.get(article_server.url + "/id/cnipa")
        assert heading(driver) == "China National Intellectual Property Administration"
        assert driver.current_url.endswith("/doc/cnipa"), "the IRI redirected to its page"
        driver.find_element(By.LINK_TEXT, "Zhang Zhicheng").click()
        WebDriverWait(driver, 20).until(
            ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Zhang")
        )
        assert heading(driver) == "Zhang Zhicheng"
        body = driver.find_element(By.TAG_NAME, "body").text
        assert "Director General of the Personnel Department at the CNIPA" in body
        quotes = [q.text for q in driver.find_elements(By.CSS_SELECTOR, ".sources blockquote")]
        assert any(q.startswith("Zhang Zhicheng, Director General") for q in quotes)
        driver.find_element(By.PARTIAL_LINK_TEXT, "in context").click()
        WebDriverWait(driver, 20).until(lambda d: "/article#s" in d.current_url)
        anchor = driver.current_url.rsplit("#", 1)[1]
        mark = driver.find_element(By.ID, anchor)
        assert mark.tag_name == "mark" and mark.text


def test_chinese_reader_sees_chinese_labels_where_they_exist(article_server):
    from selenium.webdriver.common.by import By

    with chromium(accept_language="zh") as driver:
        driver.get(article_server.url + "/id/cnipa")
        assert heading(driver) == "国家知识产权局"
        assert driver.find_element(By.TAG_NAME, "h1").get_attribute("lang") == "zh"
        driver.get(article_server.url + "/id/zhang-zhicheng")
        assert heading(driver) == "Zhang Zhicheng", "English where no Chinese label exists"


def test_literal_with_a_script_is_shown_as_text(hostile_server):
    from selenium.webdriver.common.by import By

    with chromium() as driver:
        driver.get(hostile_server.url + "/id/hostile")
        assert heading(driver).startswith("<script>document.title='pwned'</script>")
        assert driver.title.endswith("Hostile Institute · ipkg"), "the script did not run"
        assert driver.find_elements(By.TAG_NAME, "script") == []
        assert driver.find_elements(By.CSS_SELECTOR, "main img") == []
        body = driver.find_element(By.TAG_NAME, "body").text
        assert "<img src=x onerror=" in body
        hrefs = [a.get_attribute("href") or "" for a in driver.find_elements(By.TAG_NAME, "a")]
        assert not any(h.startswith("javascript:") for h in hrefs)
        assert "javascript:alert(1)" in body
