"""The query page in real headless Chromium, over the article graph (``article_server``):
pick a saved query, run it, read the article's numbers in the table, download the CSV, follow
the shareable link, and see a broken query's error at its line, under the page's CSP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from ipkg.build.sources import ArticleSources
from support.browser import chromium, require_chromium
from support.servers import RunningServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (ArticleSources.embedded().queries / "talent-growth.rq").exists(),
        reason="queries/talent-growth.rq is not written yet",
    ),
]
BROKEN = "SELECT * WHERE {\n  ?s ?p ?o .\n  ?s foo:bar ?o }"
LINKS = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?resource ?label WHERE {
  VALUES ?resource {
    <https://ipkg.example.org/id/cnipa> <http://www.wikidata.org/entity/Q1> <urn:x:y>
  }
  OPTIONAL { ?resource rdfs:label ?label FILTER(LANG(?label) = "en") }
}"""


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def driver(downloads: Path) -> Iterator[object]:
    require_chromium()
    with chromium(download_dir=downloads) as browser:
        yield browser


def wait(driver, condition, timeout: float = 30):
    """Wait for ``condition``; the table re-renders when labels arrive, so an element read
    mid-render is stale and read again."""
    waiting = WebDriverWait(driver, timeout, ignored_exceptions=[StaleElementReferenceException])
    return waiting.until(condition)


def shows(selector: str, text: str):
    """A condition: the element at ``selector`` reads ``text``."""
    return lambda driver: driver.find_element(By.CSS_SELECTOR, selector).text == text


def run_typed(driver, server: RunningServer, text: str) -> None:
    driver.get(server.url + "/")
    editor = driver.find_element(By.ID, "query")
    editor.clear()
    editor.send_keys(text)
    driver.find_element(By.ID, "run").click()


def cells(driver) -> list[str]:
    return [td.text for td in driver.find_elements(By.CSS_SELECTOR, "table.results td")]


def finished(driver) -> bool:
    status = driver.find_element(By.ID, "status").text
    return " ms" in status and "running" not in status


def test_a_picked_saved_query_runs_and_shows_the_article_numbers(driver, article_server) -> None:
    driver.get(article_server.url + "/")
    Select(driver.find_element(By.ID, "saved")).select_by_value("talent-growth")
    assert "?before" in driver.find_element(By.ID, "query").get_attribute("value")
    assert driver.find_element(By.ID, "saved-description").is_displayed()
    driver.find_element(By.ID, "run").click()
    wait(driver, finished)
    assert driver.find_element(By.ID, "status").text.startswith("1 row in ")
    headers = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "table.results th")]
    assert headers == ["before", "after", "growth", "growthPercent", "qualifier", "unit"]
    shown = cells(driver)
    assert shown[0].startswith("690000") and shown[1].startswith("860000")
    types = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "table.results .datatype")]
    assert types[0] == "xsd:integer"


def test_the_csv_download_has_a_header_and_unquoted_numbers(
    driver, article_server, downloads: Path
) -> None:
    driver.get(article_server.url + "/")
    Select(driver.find_element(By.ID, "saved")).select_by_value("talent-growth")
    driver.find_element(By.ID, "download-csv").click()
    target = downloads / "results.csv"
    deadline = time.monotonic() + 30
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert target.exists(), list(downloads.iterdir())
    assert target.read_bytes().decode("utf-8") == (
        "before,after,growth,growthPercent,qualifier,unit\r\n"
        "690000,860000,170000,24.6,as stated,persons\r\n"
    )


def test_the_json_download_is_the_sparql_json_result(
    driver, article_server, downloads: Path
) -> None:
    driver.get(article_server.url + "/")
    Select(driver.find_element(By.ID, "saved")).select_by_value("talent-growth")
    driver.find_element(By.ID, "download-json").click()
    target = downloads / "results.json"
    deadline = time.monotonic() + 30
    while not target.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    (row,) = json.loads(target.read_text(encoding="utf-8"))["results"]["bindings"]
    assert (row["before"]["value"], row["after"]["value"]) == ("690000", "860000")


def test_a_broken_query_shows_the_error_at_its_position(driver, article_server) -> None:
    run_typed(driver, article_server, BROKEN)
    error = wait(driver, lambda d: d.find_element(By.ID, "error"))
    wait(driver, lambda d: error.is_displayed())
    assert error.text.startswith("Line 3, column 13:")  # where oxigraph stops
    assert "syntax error" in error.text
    marked = driver.find_element(By.CSS_SELECTOR, "#highlight .line-error")
    assert "foo:bar" in marked.text
    assert not driver.find_elements(By.CSS_SELECTOR, "table.results")


def test_iris_link_to_their_pages_and_literals_show_their_language(driver, article_server) -> None:
    run_typed(driver, article_server, LINKS)
    wait(driver, finished)
    links = {
        a.get_attribute("title"): a.get_attribute("href")
        for a in driver.find_elements(By.CSS_SELECTOR, "table.results a.iri")
    }
    assert links["https://ipkg.example.org/id/cnipa"] == article_server.url + "/id/cnipa"
    assert links["http://www.wikidata.org/entity/Q1"] == "http://www.wikidata.org/entity/Q1"
    assert "urn:x:y" not in links
    assert "urn:x:y" in cells(driver)
    # The label (in English, with no Accept-Language) is the link text, the IRI beside it.
    wait(driver, lambda d: "China National Intellectual Property Administration" in cells(d)[0])
    assert "id:cnipa" in cells(driver)[0]
    languages = driver.find_elements(By.CSS_SELECTOR, "table.results .lang")
    assert languages and languages[0].text == "@en"


def test_the_shareable_link_carries_the_query_and_runs_it(driver, article_server) -> None:
    driver.get(article_server.url + "/")
    Select(driver.find_element(By.ID, "saved")).select_by_value("talent-growth")
    link = driver.find_element(By.ID, "share").get_attribute("href")
    assert "/?query=" in link
    driver.get(link)
    wait(driver, finished)
    assert "?growthPercent" in driver.find_element(By.ID, "query").get_attribute("value")
    assert cells(driver)[0].startswith("690000")


def test_the_page_runs_under_its_content_security_policy(driver, article_server) -> None:
    driver.get(article_server.url + "/")
    driver.find_element(By.ID, "run").click()
    wait(driver, finished)
    violations = [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]
    assert violations == []
    assert driver.find_elements(By.CSS_SELECTOR, "#highlight .tok-keyword")


def test_a_typed_known_prefix_is_declared_and_names_are_completed(driver, article_server) -> None:
    driver.get(article_server.url + "/")
    editor = driver.find_element(By.ID, "query")
    editor.clear()
    editor.send_keys("SELECT ?x WHERE { ?x a ipkg:Univ")
    offered = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#completions li"))
    assert [li.text for li in offered] == ["ipkg:University"]
    editor.send_keys(Keys.TAB, " }")
    text = editor.get_attribute("value")
    assert text.startswith("PREFIX ipkg: <https://ipkg.example.org/ontology#>\n")
    assert text.endswith("?x a ipkg:University }")
    driver.find_element(By.ID, "run").click()
    wait(driver, finished)
    assert driver.find_element(By.ID, "status").text.startswith("2 rows")


def test_a_missing_prefix_is_said_plainly_and_added_on_a_click(driver, article_server) -> None:
    driver.get(article_server.url + "/")
    pasted = "SELECT ?x WHERE {\n  ?x rdfs:label ?l }"  # pasted, so nothing was typed
    driver.execute_script("document.getElementById('query').value = arguments[0]", pasted)
    driver.find_element(By.ID, "run").click()
    error = wait(driver, lambda d: d.find_element(By.ID, "error"))
    wait(driver, lambda d: error.is_displayed())
    assert "prefix 'rdfs:' is not declared" in error.text
    assert error.text.startswith("Line 2, column 16:")
    error.find_element(By.CSS_SELECTOR, "button.add-prefix").click()
    wait(driver, finished)
    assert (
        driver.find_element(By.ID, "query")
        .get_attribute("value")
        .startswith("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n")
    )
    assert not driver.find_element(By.ID, "error").is_displayed()
    assert cells(driver)


def test_after_editing_a_saved_query_the_picker_no_longer_claims_it(driver, article_server) -> None:
    driver.get(article_server.url + "/")
    Select(driver.find_element(By.ID, "saved")).select_by_value("talent-growth")
    assert driver.find_element(By.ID, "saved-description").is_displayed()
    driver.find_element(By.ID, "query").send_keys(" # mine now")
    assert (
        Select(driver.find_element(By.ID, "saved")).first_selected_option.get_attribute("value")
        == ""
    )
    assert not driver.find_element(By.ID, "saved-description").is_displayed()


def test_the_results_table_sorts_by_a_column_and_pages(driver, article_server) -> None:
    run_typed(driver, article_server, "SELECT ?n WHERE { VALUES ?n { 10 9 100 2 } }")
    wait(driver, finished)
    driver.find_element(By.CSS_SELECTOR, "table.results th button.sort").click()
    assert [c.split("xsd")[0].strip() for c in cells(driver)] == ["2", "9", "10", "100"]
    driver.find_element(By.CSS_SELECTOR, "table.results th button.sort").click()
    assert [c.split("xsd")[0].strip() for c in cells(driver)] == ["100", "10", "9", "2"]
    run_typed(driver, article_server, "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 120")
    wait(driver, finished)
    assert len(driver.find_elements(By.CSS_SELECTOR, "table.results tbody tr")) == 50
    wait(driver, shows(".pager .range", "Rows 1–50 of 120"))
    driver.find_element(By.CSS_SELECTOR, ".pager .next").click()
    wait(driver, shows(".pager .range", "Rows 51–100 of 120"))
    driver.find_element(By.CSS_SELECTOR, ".pager .next").click()
    wait(driver, shows(".pager .range", "Rows 101–120 of 120"))
    assert len(driver.find_elements(By.CSS_SELECTOR, "table.results tbody tr")) == 20


def test_queries_run_are_kept_in_the_history(driver, article_server) -> None:
    run_typed(driver, article_server, "ASK { ?s ?p ?o } # history check")
    wait(driver, finished)
    driver.get(article_server.url + "/")
    history = Select(driver.find_element(By.ID, "history"))
    texts = [o.text for o in history.options]
    assert "ASK { ?s ?p ?o } # history check" in texts
    history.select_by_visible_text("ASK { ?s ?p ?o } # history check")
    assert driver.find_element(By.ID, "query").get_attribute("value") == (
        "ASK { ?s ?p ?o } # history check"
    )
