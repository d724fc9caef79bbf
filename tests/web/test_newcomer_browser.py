"""What a newcomer meets, in real headless Chromium over the article graph: the editor's line
numbers and error gutter, Tab indenting (Esc then Tab leaves), the raw response, "Format query",
a chart of a numeric column; the error page's layout; search showing the name that matched;
the saved-query chart on screen at 400 px; the ontology diagram whole at 1280 px."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from support.browser import chromium, require_chromium

pytestmark = pytest.mark.browser
BROKEN = "SELECT * WHERE {\n  ?s ?p ?o .\n  ?s foo:bar ?o }"
MESSY = (
    "prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> select ?s ?l where { ?s rdfs:label ?l "
    '. filter(lang(?l) = "en") } order by ?l limit 3'
)
TIDY = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "SELECT ?s ?l WHERE {\n"
    "  ?s rdfs:label ?l .\n"
    '  FILTER(LANG(?l) = "en")\n'
    "}\n"
    "ORDER BY ?l\n"
    "LIMIT 3\n"
)


@pytest.fixture(scope="module")
def driver() -> Iterator[object]:
    require_chromium()
    with chromium(accept_language="en") as browser:
        yield browser


def wait(driver, condition, timeout: float = 30):
    return WebDriverWait(driver, timeout).until(condition)


def finished(driver) -> bool:
    status = driver.find_element(By.ID, "status").text
    return " ms" in status and "running" not in status


def typed(driver, server, text: str) -> object:
    driver.get(server.url + "/")
    editor = driver.find_element(By.ID, "query")
    driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))",
        editor,
        text,
    )
    return editor


def test_the_gutter_numbers_each_line_and_marks_the_error_line(driver, article_server):
    typed(driver, article_server, BROKEN)
    numbers = driver.find_element(By.ID, "gutter").text.split("\n")
    assert numbers == ["1", "2", "3"]
    driver.find_element(By.ID, "run").click()
    error = wait(driver, lambda d: d.find_element(By.ID, "error"))
    wait(driver, lambda d: error.is_displayed())
    marked = driver.find_element(By.CSS_SELECTOR, "#gutter .gutter-error")
    assert marked.text == "3"
    assert "prefix 'foo:' is not declared" in marked.get_attribute("title")
    assert error.text.startswith("Line 3, column 13: SPARQL syntax error: prefix 'foo:'")
    assert error.find_element(By.CSS_SELECTOR, ".error-excerpt").text.endswith("^")


def test_tab_indents_and_escape_then_tab_leaves_the_editor(driver, article_server):
    editor = typed(driver, article_server, "SELECT * WHERE {\n?s ?p ?o }")
    editor.click()
    driver.execute_script("arguments[0].setSelectionRange(17, 17)", editor)  # line 2's start
    editor.send_keys(Keys.TAB)
    assert editor.get_attribute("value") == "SELECT * WHERE {\n  ?s ?p ?o }"
    assert driver.switch_to.active_element == editor
    editor.send_keys(Keys.SHIFT, Keys.TAB)
    assert editor.get_attribute("value") == "SELECT * WHERE {\n?s ?p ?o }"
    editor.send_keys(Keys.ESCAPE)
    editor.send_keys(Keys.TAB)
    assert driver.switch_to.active_element != editor
    assert editor.get_attribute("value") == "SELECT * WHERE {\n?s ?p ?o }"


def test_the_raw_response_view_shows_the_answer_as_it_came(driver, article_server):
    driver.get(article_server.url + "/")
    Select(driver.find_element(By.ID, "saved")).select_by_value("talent-growth")
    driver.find_element(By.ID, "run").click()
    wait(driver, finished)
    driver.find_element(By.ID, "view-raw").click()
    assert driver.find_element(By.ID, "raw").is_displayed()
    assert not driver.find_element(By.ID, "results").is_displayed()
    head = driver.find_element(By.ID, "raw-head").text
    assert head.startswith("HTTP 200 · application/sparql-results+json")
    raw = json.loads(driver.find_element(By.ID, "raw-body").text)
    (row,) = raw["results"]["bindings"]
    assert row["before"]["value"] == "690000"
    driver.find_element(By.ID, "view-table").click()
    assert driver.find_element(By.ID, "results").is_displayed()


def test_format_query_lays_the_query_out_and_it_still_runs(driver, article_server):
    editor = typed(driver, article_server, MESSY)
    driver.find_element(By.ID, "run").click()
    wait(driver, finished)
    before = json.loads(driver.find_element(By.ID, "raw-body").get_attribute("textContent"))
    driver.find_element(By.ID, "format").click()
    assert editor.get_attribute("value") == TIDY
    driver.find_element(By.ID, "run").click()
    wait(driver, finished)
    after = json.loads(driver.find_element(By.ID, "raw-body").get_attribute("textContent"))
    assert after == before and len(after["results"]["bindings"]) == 3


def test_a_numeric_column_is_charted_by_the_server_charts(driver, article_server):
    driver.get(article_server.url + "/")
    Select(driver.find_element(By.ID, "saved")).select_by_value("statistics")
    driver.find_element(By.ID, "run").click()
    wait(driver, finished)
    raw = json.loads(driver.find_element(By.ID, "raw-body").get_attribute("textContent"))
    rows = len(raw["results"]["bindings"])
    driver.find_element(By.ID, "view-chart").click()
    bars = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#chart-figure svg rect.bar"))
    assert len(bars) == min(rows, 40) > 1
    labels = driver.execute_script(
        "return Array.from(document.querySelectorAll('#chart-figure svg .chart-label'))"
        ".map(e => e.textContent.trim())"
    )
    assert len(labels) == len(bars) and all(labels)


def test_an_unknown_path_in_the_browser_is_the_site_page_with_navigation(driver, article_server):
    driver.get(article_server.url + "/nope")
    assert driver.find_element(By.TAG_NAME, "h1").text == "Nothing at this address"
    assert driver.find_element(By.CSS_SELECTOR, ".error-message").text == (
        "There is no page at /nope."
    )
    nav = [a.text for a in driver.find_elements(By.CSS_SELECTOR, "header nav a")]
    assert "SPARQL endpoint" in nav and "Browse" in nav
    driver.find_element(By.CSS_SELECTOR, "header nav a[href='/id/']").click()
    assert driver.current_url.endswith("/id/")


def test_search_shows_the_name_that_matched_in_its_language(driver, article_server):
    driver.get(article_server.url + "/search?q=知识产权局")
    hit = driver.find_element(By.CSS_SELECTOR, ".search-results li")
    shown = hit.find_element(By.CSS_SELECTOR, "a.hit")
    assert shown.get_attribute("lang") == "en"  # the reader's label
    matched = hit.find_element(By.CSS_SELECTOR, ".matched-name")
    assert "知识产权局" in matched.text
    assert matched.get_attribute("lang").startswith("zh")


def test_the_saved_query_chart_stays_on_screen_at_400_px(driver, article_server):
    driver.set_window_size(400, 900)
    try:
        for name in ("statistics-by-year", "talent-growth", "statistics"):
            driver.get(f"{article_server.url}/api/queries/{name}.html")
            charts = driver.find_elements(By.CSS_SELECTOR, ".chart-figure svg")
            visible = [c for c in charts if c.is_displayed()]
            assert len(visible) == 1, name
            right = driver.execute_script(
                "return Math.max(...Array.from(arguments[0].querySelectorAll('text, rect'))"
                ".map(e => e.getBoundingClientRect().right))",
                visible[0],
            )
            assert right <= driver.execute_script("return window.innerWidth"), name
    finally:
        driver.set_window_size(1280, 900)


def test_the_ontology_diagram_is_whole_at_1280_px(driver, article_server):
    driver.set_window_size(1280, 900)
    driver.get(article_server.url + "/ontology")
    image = driver.find_element(By.CSS_SELECTOR, "#diagram img")
    wait(driver, lambda d: d.execute_script("return arguments[0].complete", image))
    right, width = driver.execute_script(
        "return [arguments[0].getBoundingClientRect().right, document.documentElement.clientWidth]",
        image,
    )
    assert 0 < right <= width
    box = image.find_element(By.XPATH, "..")
    assert driver.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth", box)
