import os

import pytest
from hypothesis import HealthCheck, settings

# Property tests are derandomized so that CI runs are reproducible; run with
# HYPOTHESIS_PROFILE=explore to search with fresh random examples.
settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("explore", deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's, through playwright's driver), shared by every browser test.

    One per process: a second sync_playwright started while the first is open fails inside
    pytest's loop, so the lessons', the book's and the app's tests share this one.
    """
    from lab_browser import CHROMIUM, launch_chromium

    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()
