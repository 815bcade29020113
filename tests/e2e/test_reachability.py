"""Reachability in a real browser (issue #7): the what-if of a default-deny typed in the
YAML pane, the heatmap after apply, a red cell played as a dropped packet, the policy's
describe text, and the packet under another CNI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import login

pytestmark = [pytest.mark.browser]

CLUSTER_YAML = (Path(__file__).parents[1] / "sim" / "fixtures" / "shop-two-nodes.yaml").read_text()

DEFAULT_DENY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress]
"""


_users = iter(range(1, 1000))


@pytest.fixture
def cni():
    return "calico/ipip"


@pytest.fixture
def page(server, browser, cni):
    username = f"lin{next(_users)}"
    server.create_user(username, "reachability-2025")
    ctx = browser.new_context(viewport={"width": 1700, "height": 1050})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, server, username, "reachability-2025")
    page.goto(server.url + "/clusters/")
    page.fill("#id_name", "what-if")
    page.select_option("#id_cni", cni)
    page.click(".create-cluster button[type=submit]")
    page.wait_for_selector("#editor")
    page.wait_for_function("window.clusterlab && window.clusterlab.state")
    page.evaluate("""async (yaml) => {
        const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
        const r = await fetch(window.clusterlab.apiBase + 'manifests', {method: 'POST',
          credentials: 'same-origin', body: yaml,
          headers: {'Content-Type': 'application/yaml', 'X-CSRFToken': csrf}});
        if (!r.ok) throw new Error(await r.text());
    }""", CLUSTER_YAML)
    page.wait_for_function("[...window.clusterlab.state.objects.values()]"
                           ".some(o => o.kind === 'Pod' && o.name === 'api')")
    yield page
    assert not errors, errors
    ctx.close()


def open_heatmap(page, port: str) -> None:
    page.click("[data-tab=panel-reach]")
    page.fill("#reach-port", port)
    ready = page.evaluate("window.clusterlab.reach.ready ?? 0")
    page.click("#reach-show")
    page.wait_for_function("(n) => (window.clusterlab.reach.ready ?? 0) > n", arg=ready,
                           timeout=15000)


def test_default_deny_what_if_apply_heatmap_and_a_dropped_packet(page, artifacts):
    open_heatmap(page, "8080")
    assert page.evaluate("window.clusterlab.heatmap.findCell('denied')") is None, \
        "no policy yet: every pair is allowed"

    # Type the policy into the YAML pane and dry-run it: the flows it would cut, first.
    page.click("[data-tab=panel-yaml]")
    page.click("#yaml-editor .cm-content")
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(DEFAULT_DENY)
    page.click("#yaml-dryrun")
    page.wait_for_selector("#yaml-result .whatif-headline")
    headline = page.inner_text("#yaml-result .whatif-headline")
    assert headline.startswith("This change cuts") and "on TCP/8080" in headline, headline
    assert "shop/api → shop/web" in page.inner_text("#yaml-result .whatif-pairs.cut")
    assert "kube-system → shop" in page.inner_text("#yaml-result .whatif-groups")
    assert page.evaluate("window.clusterlab.heatmap.marks.size") > 0, \
        "the cut flows are marked on the heatmap"
    page.screenshot(path=str(artifacts / "reachability-whatif.png"))
    before = page.evaluate("window.clusterlab.state.resourceVersion")
    assert page.evaluate("""() => [...window.clusterlab.state.objects.values()]
        .every(o => o.kind !== 'NetworkPolicy')"""), "a dry run saves nothing"

    # Apply: the heatmap follows the new version.
    page.click("#yaml-apply")
    page.wait_for_selector("#yaml-result strong:text-is('Applied')")
    page.wait_for_function("(v) => window.clusterlab.state.resourceVersion > v", arg=before)
    page.click("[data-tab=panel-reach]")
    page.wait_for_function("window.clusterlab.reach.version === "
                           "window.clusterlab.state.resourceVersion && "
                           "window.clusterlab.heatmap.findCell('denied') !== null",
                           timeout=15000)
    assert page.evaluate("window.clusterlab.heatmap.marks.size") == 0, "applied: no pending marks"

    # Hover a red cell: the deciding policy; click it: the packet is played and dropped.
    box = page.locator("#heatmap").bounding_box()
    center = page.evaluate("window.clusterlab.heatmap.cellCenter('shop/api', 'shop/web')")
    assert page.evaluate("window.clusterlab.heatmap.describe(...(() => {"
                         "const h = window.clusterlab.heatmap;"
                         "const r = h.rowAxis.entries.findIndex(e => e.key === 'shop/api');"
                         "const c = h.colAxis.entries.findIndex(e => e.key === 'shop/web');"
                         "return [r, c]; })()).allowed") == 0
    page.mouse.move(box["x"] + center["x"], box["y"] + center["y"])
    page.wait_for_selector("#heatmap-tip:has-text('isolated by NetworkPolicy shop/default-deny')")
    page.mouse.click(box["x"] + center["x"], box["y"] + center["y"])
    page.wait_for_selector("#verdict.dropped", timeout=15000)
    last_hop = page.locator("#hops .hop").last.inner_text()
    assert "policy-deny" in last_hop and "shop/default-deny" in last_hop, last_hop
    page.wait_for_selector("#reach-played .played.dropped")
    played = page.inner_text("#reach-played")
    assert "DROPPED" in played and "NetworkPolicy shop/default-deny" in played, played
    page.screenshot(path=str(artifacts / "reachability-dropped.png"))


def test_policy_attribution_describe_and_cni_comparison(page):
    page.evaluate("""async (yaml) => {
        const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
        await fetch(window.clusterlab.apiBase + 'manifests', {method: 'POST',
          credentials: 'same-origin', body: yaml,
          headers: {'Content-Type': 'application/yaml', 'X-CSRFToken': csrf}});
    }""", DEFAULT_DENY)
    page.wait_for_selector("#inspector-body [data-policy='shop/default-deny']")
    # a pod: the policies selecting it
    page.evaluate("window.clusterlab.select([...window.clusterlab.state.objects.values()]"
                  ".find(o => o.kind === 'Pod' && o.name === 'web'))")
    page.wait_for_selector("#pod-attribution:has-text('isolated by shop/default-deny')")
    assert "Selected by: shop/default-deny" in page.inner_text("#pod-attribution")
    # follow the link to the policy: targets marked, kubectl describe text shown
    page.click("#pod-attribution button.link")
    page.wait_for_selector("#policy-attribution pre.describe")
    text = page.inner_text("#policy-attribution pre.describe")
    assert "Name:         default-deny" in text
    assert "<none> (Selected pods are isolated for ingress connectivity)" in text
    assert page.evaluate("window.clusterlab.canvas.cy.$('.attr-target').length") == 2

    # the same packet under Flannel: delivered, and the UI says loudly why
    page.click("[data-tab=panel-trace]")
    page.select_option("#trace-from", "shop/api")
    page.fill("#trace-to", "shop/web")
    page.fill("#trace-port", "8080")
    page.click("[data-tab=panel-compare]")
    page.select_option("#compare-cni", "flannel/vxlan")
    page.click("#compare-flow")
    page.wait_for_selector("#compare-result table.compare")
    result = page.inner_text("#compare-result")
    assert "NO — flannel ignores every NetworkPolicy" in result
    assert "flannel does not enforce NetworkPolicy" in result
    row = page.locator("#compare-result tr", has_text="Verdict").inner_text()
    assert "dropped" in row and "delivered" in row
    assert "1480" in result and "1450" in result, "IPIP and VXLAN leave different MTUs"


@pytest.mark.parametrize("cni", ["flannel/vxlan"])
def test_flannel_heatmap_says_loudly_that_nothing_is_enforced(page, artifacts):
    page.evaluate("""async (yaml) => {
        const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
        await fetch(window.clusterlab.apiBase + 'manifests', {method: 'POST',
          credentials: 'same-origin', body: yaml,
          headers: {'Content-Type': 'application/yaml', 'X-CSRFToken': csrf}});
    }""", DEFAULT_DENY)
    page.wait_for_selector("#inspector-body [data-policy='shop/default-deny']")
    open_heatmap(page, "8080")
    assert page.is_visible("#reach-warning")
    assert "Flannel does not enforce NetworkPolicy" in page.inner_text("#reach-warning")
    assert page.evaluate("window.clusterlab.heatmap.findCell('denied')") is not None, \
        "the policies' verdicts are shown"
    # the banner is painted on the canvas itself (so a PNG export carries it too)
    banner = page.evaluate("""() => {
        const c = document.querySelector('#heatmap');
        return [...c.getContext('2d').getImageData(2, 2, 1, 1).data].slice(0, 3); }""")
    assert banner == [0xD5, 0x5E, 0x00]
    page.screenshot(path=str(artifacts / "reachability-flannel.png"))
