"""The console tab answers kubectl commands from the simulated cluster."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import open_demo

pytestmark = [pytest.mark.browser]


def test_console_prints_kubectl_output_and_recalls_history(server, browser):
    page = open_demo(server, browser)
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


DENY_MONITORING = """kubectl apply -f - <<EOF
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
spec:
  podSelector: {}
  policyTypes: [Ingress]
EOF"""


def test_console_apply_shows_the_what_if_before_it_writes(server, browser, artifacts):
    page = open_demo(server, browser)
    page.click("[data-tab=panel-console]")
    page.fill("#console-ns", "monitoring")
    version = page.evaluate("window.clusterlab.state.resourceVersion")
    # Enter inside an open here-document adds a line, as a shell's `>` prompt does.
    page.fill("#console-input", "kubectl apply -f - <<EOF")
    page.press("#console-input", "End")
    page.press("#console-input", "Enter")
    assert page.input_value("#console-input") == "kubectl apply -f - <<EOF\n"
    page.fill("#console-input", DENY_MONITORING)
    page.press("#console-input", "End")
    page.press("#console-input", "Enter")  # the delimiter closed it: Enter runs it
    headline = page.wait_for_selector("#console-whatif .whatif-headline", timeout=20000)
    assert "cuts" in headline.inner_text()
    assert page.inner_text("#console-whatif .whatif-pairs.cut").count("monitoring/") >= 1
    # nothing written yet, and the heatmap carries the pending change
    assert page.evaluate("window.clusterlab.state.resourceVersion") == version
    assert "pending change" in page.inner_text("#reach-whatif")
    page.screenshot(path=str(artifacts / "console-whatif.png"))
    page.click("#console-whatif .whatif-apply")
    page.wait_for_selector(
        ".console-stdout:has-text('networkpolicy.networking.k8s.io/deny-all created')",
        timeout=20000)
    page.wait_for_function(f"window.clusterlab.state.resourceVersion > {version}")
    assert page.inner_text("#console-whatif") == ""
    assert page.inner_text("#reach-whatif") == ""
    page.close()
