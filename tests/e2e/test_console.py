"""The console tab answers kubectl commands from the simulated cluster."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import login

pytestmark = [pytest.mark.browser]


def test_console_prints_kubectl_output_and_recalls_history(server, browser):
    server.manage("load_demo")
    page = browser.new_page(viewport={"width": 1500, "height": 900})
    login(page, server, "demo", "clusterlab-demo")
    page.goto(server.url + "/clusters/")
    page.click("table.clusters a")
    page.wait_for_function("window.clusterlab && window.clusterlab.state")
    page.wait_for_selector("#live-status:text('live')")
    page.click("[data-tab=panel-console]")
    page.fill("#console-ns", "shop")
    page.fill("#console-input", "kubectl get svc")
    page.press("#console-input", "Enter")
    page.wait_for_selector(".console-stdout:has-text('CLUSTER-IP')", timeout=15000)
    out = page.inner_text("#console-out")
    assert "$ (shop) kubectl get svc" in out
    assert "NAME" in out and "TYPE" in out and "PORT(S)" in out
    page.fill("#console-input", "kubectl get podz")
    page.press("#console-input", "Enter")
    page.wait_for_selector(".console-stderr:has-text('doesn')", timeout=15000)
    page.press("#console-input", "ArrowUp")
    assert page.input_value("#console-input") == "kubectl get podz"
    page.press("#console-input", "ArrowUp")
    assert page.input_value("#console-input") == "kubectl get svc"
