"""/docs in a real browser, offline: headless Chromium (the system's, driven by Playwright) opens
Swagger UI from the stack, expands GET /titles, runs it with "Try it out" and sees the answer
rendered: the title this test uploaded itself. Every request to another host is refused, so a
CDN asset would leave the page blank. A screenshot is saved in the test's tmp folder."""

import json
import os
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Route, expect, sync_playwright

from tests.e2e.target import Target
from tests.support.titles import csv_bytes, title_row

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
TITLES_KEY = "raw/titles/disney_plus_titles.csv"
LOAD_TIMEOUT_S = 300.0
DECOY = "an unrelated film"


def chromium() -> str:
    """STREAMCAT_CHROMIUM, else the first system browser found (`make test` installs one)."""
    found = os.environ.get("STREAMCAT_CHROMIUM") or next(
        (path for name in BROWSERS if (path := shutil.which(name))), None
    )
    if found is None:
        pytest.fail("no Chromium: install Debian's chromium package or set STREAMCAT_CHROMIUM")
    return found


@pytest.fixture
def uploaded_title(target: Target) -> str:
    """A Disney+ catalog of this run's own, uploaded as a data engineer would and waited for
    until the API finds its title: the test depends on no other test's data. A second title,
    which the search must leave out, shows that the query reached the API."""
    title = f"browser check {uuid.uuid4().hex[:12]}"
    body = csv_bytes(title_row(show_id="s1", title=title), title_row(show_id="s2", title=DECOY))
    target.client("s3").put_object(Bucket=target.bucket, Key=TITLES_KEY, Body=body)
    deadline = time.monotonic() + LOAD_TIMEOUT_S
    while not _finds(target, title):
        assert time.monotonic() < deadline, f"{title!r} not served after {LOAD_TIMEOUT_S:.0f} s"
        time.sleep(1)
    return title


def _finds(target: Target, title: str) -> bool:
    """Whether GET /titles, asked for `title`, ranks it first."""
    query = urllib.parse.urlencode({"q": title})
    try:
        with urllib.request.urlopen(f"{target.api_url}/titles?{query}", timeout=30) as response:
            items = json.loads(response.read())["items"]
    except urllib.error.HTTPError:
        return False  # 503 until the first catalog loads
    return bool(items) and items[0]["title"] == title


def test_swagger_ui_runs_an_operation_offline(
    target: Target, uploaded_title: str, tmp_path: Path
) -> None:
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
            operation.locator('input[placeholder="q"]').fill(uploaded_title)
            operation.locator("button.execute").click()
            answer = operation.locator(".live-responses-table tbody .response-col_status").first
            expect(answer).to_have_text("200")
            body = operation.locator(".live-responses-table .microlight").first
            expect(body).to_contain_text(f'"title": "{uploaded_title}"')
            expect(body).to_contain_text('"total": 1')
            page.screenshot(path=str(tmp_path / "docs.png"), full_page=True)
        finally:
            context.close()
    assert refused == []
    assert (tmp_path / "docs.png").stat().st_size > 0
