"""Take the README screenshot: the demo cluster in the editor with a packet mid-flight.

Starts the app like `make run` (scratch SQLite, demo loaded), drives Debian's chromium
with Playwright, and writes docs/screenshot.png.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, Server, login  # noqa: E402


def main() -> int:
    server = Server()
    server.start()
    try:
        server.manage("load_demo")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1600, "height": 900})
            login(page, server, "demo", "clusterlab-demo")
            page.goto(server.url + "/clusters/")
            page.click("table.clusters a")
            page.wait_for_function("window.clusterlab && window.clusterlab.state")
            page.click("[data-tab=panel-trace]")
            pods = page.evaluate("[...window.clusterlab.state.objects.values()]"
                                 ".filter(o => o.kind === 'Pod' && o.namespace === 'shop')"
                                 ".map(o => o.namespace + '/' + o.name)")
            frontend = next((p for p in pods if p.startswith("shop/web-")), pods[0])
            page.select_option("#trace-from", frontend)
            page.fill("#trace-to", "api")
            page.fill("#trace-port", "8080")
            page.click("#trace-form button[type=submit]")
            page.wait_for_selector("#verdict.delivered, #verdict.dropped, #verdict.rejected")
            page.wait_for_timeout(2500)
            page.click("#play")  # pause mid-flight
            out = ROOT / "docs" / "screenshot.png"
            page.screenshot(path=str(out))
            print(f"wrote {out}")
            browser.close()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
