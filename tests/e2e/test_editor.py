"""The editor in a real browser: build a cluster by hand, send a packet, watch it live."""

from __future__ import annotations

from ipaddress import ip_address, ip_network

import pytest

from tests.e2e.conftest import login

pytestmark = [pytest.mark.browser]


def add(page, kind: str, **fields: str) -> None:
    page.click(f"[data-add={kind}]")
    for name, value in fields.items():
        selector = f"#pal-{name}"
        if page.locator(selector).evaluate("e => e.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    page.click(f"form[data-kind={kind}] button[type=submit]")
    page.wait_for_function(
        "([kind, name]) => window.clusterlab?.state && "
        "[...window.clusterlab.state.objects.values()]"
        ".some(o => o.kind === kind && o.name === name)", arg=[kind, fields["name"]], timeout=10000)


def test_build_a_cluster_by_hand_and_send_a_packet_across_nodes(server, browser, artifacts):
    server.create_user("ada", "analytical-engine-1843")
    server.create_user("grace", "compiler-cobol-1959")
    ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, server, "ada", "analytical-engine-1843")

    page.goto(server.url + "/clusters/")
    page.fill("#id_name", "by-hand")
    page.select_option("#id_cni", "flannel/vxlan")
    page.click(".create-cluster button[type=submit]")
    page.wait_for_selector("#editor")
    page.wait_for_function("window.clusterlab && window.clusterlab.state")
    editor_url = page.url

    add(page, "Node", name="node-1", internal_ip="192.168.56.11")
    add(page, "Node", name="node-2", internal_ip="192.168.56.12")
    add(page, "Pod", name="client", node="node-1", labels="app=client")
    add(page, "Pod", name="web", node="node-2", labels="app=web", port="8080")

    # A second person opens the same cluster (shared with her) and sees the next edit live.
    cluster_id = editor_url.rstrip("/").split("/")[-1]
    page.evaluate("""async ([id]) => {
        const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
        await fetch(`/api/clusters/${id}/share/`, {method: 'POST', credentials: 'same-origin',
          headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf},
          body: JSON.stringify({username: 'grace', can_write: false})});
    }""", [cluster_id])
    other = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    login(other, server, "grace", "compiler-cobol-1959")
    other.goto(editor_url)
    other.wait_for_function("window.clusterlab && window.clusterlab.state")
    other.wait_for_selector("#live-status:text('live')")
    # Both browsers run on this machine and share its clock: page 1 notes when the
    # server answered the write, the second viewer notes when the edit reached its state.
    page.evaluate("""() => {
        const orig = window.fetch;
        window.fetch = async (...args) => {
            const res = await orig(...args);
            if ((args[1]?.method ?? 'GET') === 'POST') window.__savedAt = Date.now();
            return res;
        };
    }""")
    other.evaluate("""() => {
        const has = () => [...window.clusterlab.state.objects.values()]
            .some(o => o.kind === 'Service' && o.name === 'web');
        const poll = () => has() ? (window.__seenAt = Date.now()) : requestAnimationFrame(poll);
        poll();
    }""")
    reloads: list[str] = []
    other.on("request", lambda r: reloads.append(r.url) if "include=objects" in r.url else None)
    add(page, "Service", name="web", namespace="default", labels="app=web", port="80",
        target_port="http")
    other.wait_for_function("window.__seenAt !== undefined", timeout=5000)
    lag = (other.evaluate("window.__seenAt") - page.evaluate("window.__savedAt")) / 1000
    assert lag < 1.0, f"second viewer saw the edit {lag:.2f}s after it was saved"
    # ...from the event alone, allocated ClusterIP included: no reload of the whole cluster
    # (1,000 viewers reloading after every edit was a minute of server CPU).
    other.wait_for_timeout(500)  # main.js would reload 150 ms after a `refetch: true`
    assert reloads == []
    cluster_ip = other.evaluate("""() => [...window.clusterlab.state.objects.values()]
        .find(o => o.kind === 'Service' && o.name === 'web').status.clusterIP""")
    assert ip_address(cluster_ip) in ip_network("10.96.0.0/12")  # the default service CIDR
    # A rename reaches the open editor too.
    page.evaluate("""async ([id]) => {
        const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
        await fetch(`/api/clusters/${id}/`, {method: 'PATCH', credentials: 'same-origin',
          headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf},
          body: JSON.stringify({name: 'lab after the break'})});
    }""", [cluster_id])
    other.wait_for_selector("#cluster-name:text('lab after the break')", timeout=5000)
    assert other.title().startswith("lab after the break")
    # presence is debounced (0.5 s after a join): wait for it rather than race the edit
    other.wait_for_selector("#presence:has-text('ada')", timeout=5000)
    assert "grace" in other.inner_text("#presence")
    page.wait_for_selector("#presence:has-text('grace')", timeout=5000)

    # Send a packet from client (node-1) to the Service; both viewers get the trace.
    page.click("[data-tab=panel-trace]")
    page.select_option("#trace-from", "default/client")
    page.fill("#trace-to", "web")
    page.fill("#trace-port", "80")
    page.click("#trace-form button[type=submit]")
    page.wait_for_selector("#verdict.delivered", timeout=15000)
    verdict = page.inner_text("#verdict")
    assert verdict.startswith("DELIVERED")
    rows = page.locator("#hops .hop")
    assert rows.count() >= 6
    hop_text = page.inner_text("#hops")
    assert "flannel.1" in hop_text, "a cross-node Flannel VXLAN trace goes through flannel.1"
    assert "KUBE-SVC-" in hop_text, "the Service's DNAT names kube-proxy's chain"
    other.wait_for_selector("#verdict.delivered", timeout=10000)

    # Clicking a hop jumps the animation there; the packet is drawn on the canvas.
    rows.nth(2).click()
    page.wait_for_function("document.querySelector('#hops .hop.current')?.dataset.index === '2'")
    page.screenshot(path=str(artifacts / "editor-trace.png"))

    # The owner makes grace a writer, then withdraws her share: her open editor follows.
    share = """async ([id, path, body]) => {
        const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
        const r = await fetch(`/api/clusters/${id}/${path}/`, {method: 'POST',
          credentials: 'same-origin', body: JSON.stringify(body),
          headers: {'Content-Type': 'application/json', 'X-CSRFToken': csrf}});
        return r.status;
    }"""
    assert other.is_disabled("[data-add=Pod]")
    writer = {"username": "grace", "can_write": True}
    assert page.evaluate(share, [cluster_id, "share", writer]) == 200
    other.wait_for_function("!document.querySelector('[data-add=Pod]').disabled", timeout=5000)
    assert page.evaluate(share, [cluster_id, "unshare", {"username": "grace"}]) == 200
    other.wait_for_selector("#live-status:text('no access')", timeout=5000)
    assert "withdrawn" in other.inner_text("#flash")
    assert not errors, errors


def test_dragging_a_pod_onto_another_node_previews_the_move_first(server, browser):
    server.create_user("linus", "kernel-mailing-1991")
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    login(page, server, "linus", "kernel-mailing-1991")
    page.goto(server.url + "/clusters/")
    page.fill("#id_name", "drag")
    page.click(".create-cluster button[type=submit]")
    page.wait_for_function("window.clusterlab && window.clusterlab.state")
    add(page, "Node", name="node-1", internal_ip="192.168.56.11")
    add(page, "Node", name="node-2", internal_ip="192.168.56.12")
    add(page, "Pod", name="web", node="node-1", labels="app=web")
    page.evaluate("""() => {
        const c = window.clusterlab;
        const b = c.canvas.box('Node//node-2');
        const pod = [...c.state.objects.values()].find(o => o.kind === 'Pod' && o.name === 'web');
        c.move(pod, b.x, b.y);
    }""")
    page.wait_for_selector("#panel-yaml:not([hidden])")
    page.wait_for_function(
        "document.querySelector('#yaml-result')?.textContent.includes('Dry run')", timeout=10000)
    assert "nodeName: node-2" in page.evaluate("window.clusterlab.yaml.state.doc.toString()")
    node_now = page.evaluate("""() => [...window.clusterlab.state.objects.values()]
        .find(o => o.kind === 'Pod' && o.name === 'web').node_name""")
    assert node_now == "node-1", "nothing is saved before Apply"
