"""Real-browser tests: daphne serving the app (as `make run` does) + Debian's chromium.

The server runs in a subprocess on a scratch SQLite database and a free port, with the
in-memory channel layer, so these tests need neither PostgreSQL nor Redis. They skip,
saying why, only when chromium or Playwright is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """daphne on a scratch SQLite database and a free port; `daphne_args` go before the
    application (e.g. `--ping-interval 1`)."""

    def __init__(self, *daphne_args: str) -> None:
        self.daphne_args = daphne_args
        self.tmp = tempfile.mkdtemp(prefix="clusterlab-e2e-")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        self.env.update(DEBUG="1", SQLITE_PATH=os.path.join(self.tmp, "db.sqlite3"),
                        DJANGO_SETTINGS_MODULE="clusterlab.settings")

    def manage(self, *args: str) -> str:
        out = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env,
                             check=True, capture_output=True, text=True)
        return out.stdout

    def start(self) -> None:
        self.manage("migrate", "--noinput")
        self.log = open(os.path.join(self.tmp, "daphne.log"), "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
             *self.daphne_args, "clusterlab.asgi:application"], cwd=ROOT, env=self.env,
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("daphne did not start: " + Path(self.log.name).read_text()[-2000:])

    def create_user(self, username: str, password: str) -> None:
        self.manage("shell", "-c",
                    "from django.contrib.auth import get_user_model as g;"
                    f"g().objects.create_user({username!r}, password={password!r})")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


# Package scope: Playwright's sync API keeps an event loop running in this thread while
# it is open, which would break every asyncio test collected after tests/e2e.
@pytest.fixture(scope="package")
def server():
    srv = Server()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="package")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (make test installs Debian's chromium as root)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        yield b
        b.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def login(page, server, username: str, password: str) -> None:
    page.goto(server.url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def open_demo(server, browser, width: int = 1500, height: int = 900):
    """A page on the demo cluster (loaded afresh), signed in as the demo user, live."""
    server.manage("load_demo")
    page = browser.new_page(viewport={"width": width, "height": height})
    login(page, server, "demo", "clusterlab-demo")
    page.goto(server.url + "/clusters/")
    page.click("table.clusters a")
    page.wait_for_function("window.clusterlab && window.clusterlab.state")
    page.wait_for_selector("#live-status:text('live')")
    return page
