"""Level of detail: labels on the canvas stay readable whatever the zoom."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import open_demo

pytestmark = [pytest.mark.browser]

MIN_SCREEN_PX = 7  # Cytoscape's min-zoomed-font-size: smaller text is not drawn at all

LABELS = """(zoom) => {
  const cy = window.clusterlab.canvas.cy;
  cy.zoom(zoom);
  const shown = (sel) => {
    const n = cy.$(sel)[0];
    const px = parseFloat(n.style("font-size")) * cy.zoom();
    return { id: n.id(), label: n.style("label"), px };
  };
  return { pod: shown("node.pod"), node: shown("node.k8s-node"), service: shown("node.service") };
}"""


def test_labels_follow_the_zoom_and_stay_readable(server, browser):
    page = open_demo(server, browser, 1400, 900)
    page.wait_for_function("window.clusterlab.canvas.cy.nodes('.pod').length")

    near = page.evaluate(LABELS, 1.0)
    pod_name = near["pod"]["id"].rsplit("/", 1)[-1]
    # Close up: name, IP and labels, as the issue asks of a pod.
    assert near["pod"]["label"].startswith(pod_name + "\n")
    assert "=" in near["pod"]["label"]  # its labels
    assert "podCIDR" in near["node"]["label"]

    middle = page.evaluate(LABELS, 0.5)
    assert middle["pod"]["label"] == pod_name
    assert middle["pod"]["px"] >= MIN_SCREEN_PX
    assert middle["node"]["px"] >= MIN_SCREEN_PX
    assert middle["service"]["label"] == middle["service"]["id"].rsplit("/", 1)[-1]
    assert middle["service"]["px"] >= MIN_SCREEN_PX

    far = page.evaluate(LABELS, 0.15)
    assert far["pod"]["label"] == ""  # coloured boxes only
    assert far["node"]["label"] == far["node"]["id"].rsplit("/", 1)[-1]
    assert far["node"]["px"] >= MIN_SCREEN_PX

    back = page.evaluate(LABELS, 1.2)
    assert back["pod"]["label"] == near["pod"]["label"]
    page.close()
