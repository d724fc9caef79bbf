"""Real headless Chromium for the page tests (Debian's ``chromium`` and ``chromium-driver``),
driven through Selenium; tests skip with the reason when it is missing outside CI."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

# Flags that keep Chromium off the network (this machine's network is closed) and headless.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
)


def require_chromium() -> None:
    """Skips the test when Chromium is not installed, unless running in CI where it must be."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()) and not os.environ.get("CI"):
        pytest.skip("chromium and chromium-driver are not installed (apt-get install them)")


@contextmanager
def chromium(
    download_dir: Path | None = None, accept_language: str | None = None
) -> Iterator[object]:
    """A headless Chromium WebDriver; downloads land in ``download_dir``."""
    require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="ipkg-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    prefs: dict[str, object] = {}
    if download_dir is not None:
        prefs.update(
            {
                "download.default_directory": str(download_dir),
                "download.prompt_for_download": False,
                "safebrowsing.enabled": False,
            }
        )
    if accept_language:
        options.add_argument(f"--lang={accept_language}")
        prefs["intl.accept_languages"] = accept_language
    if prefs:
        options.add_experimental_option("prefs", prefs)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
