"""``/api/docs`` in headless Chromium: Swagger UI, served by ipkg itself under the page's CSP,
executes a saved query against the live service and shows the article's numbers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from support.browser import chromium, require_chromium

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def driver() -> Iterator[object]:
    require_chromium()
    with chromium() as browser:
        yield browser


def test_try_it_out_executes_a_saved_query_and_shows_its_result(driver, article_server) -> None:
    driver.get(article_server.url + "/api/docs")
    wait = WebDriverWait(driver, 30)
    path = '[data-path="/api/queries/talent-growth"]'
    summary = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, path))[0]
    summary.click()
    block = summary.find_element(
        By.XPATH, "ancestor::div[contains(concat(' ', @class, ' '), ' opblock ')][1]"
    )
    execute = wait.until(lambda d: block.find_elements(By.CSS_SELECTOR, "button.execute"))[0]
    execute.click()
    body = wait.until(
        lambda d: [
            e
            for e in block.find_elements(By.CSS_SELECTOR, ".live-responses-table pre")
            if "860000" in e.text
        ]
    )
    assert "690000" in body[0].text
    codes = block.find_elements(By.CSS_SELECTOR, ".live-responses-table .response-col_status")
    assert any(c.text.strip() == "200" for c in codes)
    # Everything came from this service and nothing broke the Content-Security-Policy.
    problems = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert not [p for p in problems if "favicon" not in p], problems
