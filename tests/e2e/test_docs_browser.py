"""/docs in a real browser, offline: headless Chromium (the system's, driven by Playwright) opens
Swagger UI from the stack, expands GET /titles, runs it with "Try it out" and sees the answer
rendered. Every request to another host is refused, so a CDN asset would leave the page blank.
A screenshot is saved in the test's tmp folder."""

import os
import shutil
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Route, expect, sync_playwright

from tests.e2e.target import Target

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
# Flags for a headless browser in a container as root, with nothing fetched in the background.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OPERATION = "#operations-browse-get_titles_titles_get"
TIMEOUT_MS = 30_000


def chromium() -> str:
    """STREAMCAT_CHROMIUM, else the first system browser found (`make test` installs one)."""
    found = os.environ.get("STREAMCAT_CHROMIUM") or next(
        (path for name in BROWSERS if (path := shutil.which(name))), None
    )
    if found is None:
        pytest.fail("no Chromium: install Debian's chromium package or set STREAMCAT_CHROMIUM")
    return found


def _direct_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_swagger_ui_runs_an_operation_offline(target: Target, tmp_path: Path) -> None:
    api_host = urllib.parse.urlsplit(target.api_url).netloc
    refused: list[str] = []

    def same_host_only(route: Route) -> None:
        if urllib.parse.urlsplit(route.request.url).netloc == api_host:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=chromium(),
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 1400},
        )
        try:
            context.route("**/*", same_host_only)
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{target.api_url}/docs")
            operation = page.locator(OPERATION)
            operation.locator(".opblock-summary").click()
            operation.locator("button.try-out__btn").click()
            operation.locator('input[placeholder="q"]').fill("the")
            operation.locator("button.execute").click()
            answer = operation.locator(".live-responses-table tbody .response-col_status").first
            expect(answer).to_have_text(str(_direct_status(f"{target.api_url}/titles?q=the")))
            body = operation.locator(".live-responses-table .microlight").first
            expect(body).to_contain_text('"')
            page.screenshot(path=str(tmp_path / "docs.png"), full_page=True)
        finally:
            context.close()
    assert refused == []
    assert (tmp_path / "docs.png").stat().st_size > 0
