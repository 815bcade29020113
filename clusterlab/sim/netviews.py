"""A node's network tables as its tools print them, from the same objects the trace uses.

* `ip addr` / `ip route` / `ip neigh` + `bridge fdb`: the CNI dataplane (`sim/cni`);
  every `route` hop of a trace quotes a line of `ip route` on that node (tested).
* `iptables-save -t nat` / `ipvsadm -Ln`: kube-proxy's rules come from `kubeproxy`
  (`iptables_save_nat`, `ipvsadm_ln`); the CNI's own nat rules (Flannel's FLANNEL-POSTRTG,
  NET-4.5; Calico natOutgoing; Weave; Cilium masquerade) are merged in, so every SNAT hop's
  rule is a line of that output as well.

A view that makes no sense for the cluster's mode raises ValueError with the reason: the
IPVS table in iptables mode, the iptables rules when Cilium replaces kube-proxy.
"""

from __future__ import annotations

from ipaddress import IPv4Interface

from clusterlab.sim.cni import Dataplane
from clusterlab.sim.cni.base import Device
from clusterlab.sim.engine import Engine

SHOWS = ("routes", "addr", "neigh", "iptables", "ipvs")


def node_view(engine: Engine, node_name: str, show: str) -> str:
    if node_name not in engine.cluster.node_by_name:
        raise ValueError(f'nodes "{node_name}" not found')
    cfg = engine.cluster.config
    dp = engine.dataplane
    if show == "routes":
        return ip_route(dp, node_name)
    if show == "addr":
        return ip_addr(engine, node_name)
    if show == "neigh":
        return ip_neigh(dp, node_name)
    if show == "iptables":
        if cfg.kube_proxy_replacement:
            raise ValueError("Cilium's kube-proxy replacement is on: Services are handled in "
                             "eBPF and there are no KUBE-* iptables chains (NET-7); no kube-proxy "
                             "runs on this node")
        if cfg.kube_proxy_mode == "ipvs":
            raise ValueError("kube-proxy runs in ipvs mode: Services are IPVS virtual servers "
                             "(use --show ipvs)")
        return iptables_save_nat(engine, node_name)
    if show == "ipvs":
        if cfg.kube_proxy_replacement:
            raise ValueError("Cilium's kube-proxy replacement is on: there is no IPVS table")
        if cfg.kube_proxy_mode != "ipvs":
            raise ValueError(f"kube-proxy runs in {cfg.kube_proxy_mode} mode: there are no IPVS "
                             "virtual servers (use --show iptables)")
        from clusterlab.sim.kubeproxy import ipvsadm_ln

        return ipvsadm_ln(engine.cluster, node_name, engine.kubeproxy.plan)
    raise ValueError(f"unknown view {show!r}: supported values: " + ", ".join(SHOWS))


def ip_route(dp: Dataplane, node_name: str) -> str:
    return dp.routes(node_name).render()


def ip_neigh(dp: Dataplane, node_name: str) -> str:
    """The tunnel's permanent ARP and FDB entries (NET-4.2: one per remote node)."""
    neigh = dp.neighbours(node_name)
    fdb = dp.fdb(node_name)
    if not neigh and not fdb:
        return (f"# {dp.name}: no VXLAN device with static neighbour/FDB entries on "
                f"{node_name}\n")
    dev = dp.encap.device if dp.encap is not None else ""
    # With a `dev NAME` filter iproute2 leaves the `dev` token out of every entry
    # (ipneigh.c / bridge/fdb.c: `if (!filter.index && r->ndm_ifindex)`), as NET-4.2 shows.
    token = f" dev {dev} "
    neigh = [e.replace(token, " ", 1) for e in neigh]
    fdb = [e.replace(token, " ", 1) for e in fdb]
    out = [f"$ ip neigh show dev {dev}", *neigh, "", f"$ bridge fdb show dev {dev}", *fdb]
    return "\n".join(out) + "\n"


def _flags(dev: Device) -> str:
    return f"<{dev.flags}>"


def _link_line(dev: Device) -> str:
    if dev.kind == "loopback":
        return "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00"
    if dev.kind == "ipip":
        return "    link/ipip 0.0.0.0 brd 0.0.0.0"
    line = f"    link/ether {dev.mac} brd ff:ff:ff:ff:ff:ff"
    if dev.link_netns:
        line += f" link-netns {dev.link_netns}"
    return line


def _inet_lines(dev: Device) -> list[str]:
    out = []
    for addr in dev.addrs:
        iface = IPv4Interface(addr)
        scope = "host" if dev.kind == "loopback" else "global"
        brd = ""
        if iface.network.prefixlen < 31 and dev.kind != "loopback":
            brd = f" brd {iface.network.broadcast_address}"
        out.append(f"    inet {addr}{brd} scope {scope} {dev.name}")
        out.append("       valid_lft forever preferred_lft forever")
    return out


def render_devices(devices: list[Device]) -> str:
    """`ip addr` (iproute2 `ipaddress.c` layout)."""
    index = {d.name: i + 1 for i, d in enumerate(devices)}
    lines = []
    for i, dev in enumerate(devices, start=1):
        name = dev.name
        if dev.kind == "ipip":
            name += "@NONE"
        elif dev.kind == "veth":
            peer = {"cilium_host": "cilium_net", "cilium_net": "cilium_host",
                    "vethwe-bridge": "vethwe-datapath",
                    "vethwe-datapath": "vethwe-bridge"}.get(dev.name)
            name += f"@{peer}" if peer and peer in index else f"@if{dev.peer_index or 2}"
        qdisc = "fq_codel" if dev.kind == "ether" else ("noop" if dev.state == "DOWN"
                                                        else "noqueue")
        master = f" master {dev.master}" if dev.master else ""
        qlen = " qlen 1000" if dev.kind in ("loopback", "ether", "bridge", "ipip") else ""
        lines.append(f"{i}: {name}: {_flags(dev)} mtu {dev.mtu} qdisc {qdisc}{master} "
                     f"state {dev.state} group default{qlen}")
        lines.append(_link_line(dev))
        lines += _inet_lines(dev)
    return "\n".join(lines) + "\n"


def ip_addr(engine: Engine, node_name: str) -> str:
    devices = list(engine.dataplane.devices(node_name))
    cfg = engine.cluster.config
    if cfg.kube_proxy_mode == "ipvs" and not cfg.kube_proxy_replacement:
        # SVC-13: every ClusterIP / LB IP / external IP as a /32 on the dummy kube-ipvs0
        addrs = []
        for svc in engine.cluster.services:
            if svc.cluster_ip is None or svc.headless or svc.type == "ExternalName":
                continue
            addrs.append(f"{svc.cluster_ip}/32")
            addrs += [f"{ip}/32" for ip in svc.external_ips]
        from clusterlab.sim.cni.base import mac_for

        devices.append(Device("kube-ipvs0", "dummy", 1500, tuple(dict.fromkeys(addrs)),
                              mac_for(node_name, "kube-ipvs0"), state="DOWN",
                              flags="BROADCAST,NOARP"))
    return render_devices(devices)


def iptables_save_nat(engine: Engine, node_name: str) -> str:
    """kube-proxy's `iptables-save -t nat` with the CNI's own nat chains merged in.

    iptables-save prints the built-in chains' declarations, then the user chains' sorted by
    name (libiptc keeps them sorted), then every chain's rules grouped by chain in that same
    order. kube-proxy's chains all start with `KUBE-`, so a CNI chain goes either before all
    of them (`FLANNEL-POSTRTG`, `CILIUM_POST_nat`) or after (`WEAVE`, `cali-…`). The CNI's
    `-A POSTROUTING` jump joins the built-in rules: after kube-proxy's for flanneld, weave and
    cilium, first for Felix (its ChainInsertMode default "insert" hooks at the top)."""
    from clusterlab.sim.kubeproxy import iptables_save_nat as kube_nat

    text = kube_nat(engine.cluster, node_name, engine.kubeproxy.plan)
    chains, rules = cni_nat_rules(engine.dataplane, node_name)
    if not rules:
        return text
    # splice with string offsets (the text has ~60k lines on a 10k-pod cluster)
    first_decl = text.find("\n:KUBE-")
    first_rule = text.find("\n-A KUBE-")
    commit = text.rfind("\nCOMMIT")
    if first_decl < 0 or first_rule < 0 or commit < 0:
        return text
    last_decl = text.rfind("\n:KUBE-", 0, first_rule)
    last_decl_end = text.find("\n", last_decl + 1)
    new_chains = sorted(c for c in chains if f"\n:{c} - [0:0]\n" not in text)

    def lines(items: list[str]) -> str:
        return "".join("\n" + item for item in items)

    builtin = [r for r in rules if r.split(" ", 2)[1] not in chains]
    top = [r for r in builtin if "-j cali-" in r]
    bottom = [r for r in builtin if r not in top]
    kube_post = text.find("\n-A POSTROUTING ", 0, first_rule)
    if kube_post < 0:
        kube_post = first_rule
    by_chain = sorted((c, [r for r in rules if r.split(" ", 2)[1] == c]) for c in chains)
    before = [r for c, rs in by_chain if c < "KUBE-" for r in rs]
    after = [r for c, rs in by_chain if c > "KUBE-" for r in rs]
    return (text[:first_decl] + lines([f":{c} - [0:0]" for c in new_chains if c < "KUBE-"])
            + text[first_decl:last_decl_end]
            + lines([f":{c} - [0:0]" for c in new_chains if c > "KUBE-"])
            + text[last_decl_end:kube_post] + lines(top) + text[kube_post:first_rule]
            + lines(bottom + before) + text[first_rule:commit] + lines(after) + text[commit:])


def cni_nat_rules(dp: Dataplane, node_name: str) -> tuple[list[str], list[str]]:
    """The plugin's masquerade chain as `iptables-save` lists it (NET-4.5, NET-5.8, NET-6, NET-7).
    The rule texts are the ones `Dataplane.masquerade` returns for a matching packet."""
    net = dp.config.cluster_cidr
    plugin = dp.plugin
    if plugin in ("flannel", "canal"):
        rngs = dp.ranges(node_name)
        local = rngs[0] if rngs else None
        c = '-m comment --comment "flanneld masq"'
        rules = ['-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG',
                 f"-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 {c} -j RETURN"]
        if local is not None:
            rules += [f"-A FLANNEL-POSTRTG -s {local} -d {net} {c} -j RETURN",
                      f"-A FLANNEL-POSTRTG -s {net} -d {local} {c} -j RETURN",
                      f"-A FLANNEL-POSTRTG ! -s {net} -d {local} {c} -j RETURN"]
        rules += [f"-A FLANNEL-POSTRTG -s {net} ! -d 224.0.0.0/4 {c} -j MASQUERADE --random-fully",
                  f"-A FLANNEL-POSTRTG ! -s {net} -d {net} {c} -j MASQUERADE --random-fully"]
        return ["FLANNEL-POSTRTG"], rules
    if plugin == "calico":
        return (["cali-POSTROUTING", "cali-nat-outgoing"],
                ["-A POSTROUTING -j cali-POSTROUTING",
                 "-A cali-POSTROUTING -j cali-nat-outgoing",
                 "-A cali-nat-outgoing -m set --match-set cali40masq-ipam-pools src "
                 "-m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully"])
    if plugin == "weave":
        return (["WEAVE"],
                ["-A POSTROUTING -j WEAVE",
                 f"-A WEAVE -s {net} -d 224.0.0.0/4 -j RETURN",
                 f"-A WEAVE ! -s {net} -d {net} -m physdev --physdev-out vethwe-bridge "
                 "-j MASQUERADE",
                 f"-A WEAVE -s {net} ! -d {net} -j MASQUERADE"])
    if plugin == "cilium":
        rngs = dp.ranges(node_name)
        if not rngs:
            return [], []
        return (["CILIUM_POST_nat"],
                ['-A POSTROUTING -m comment --comment "cilium-feeder: CILIUM_POST_nat" '
                 "-j CILIUM_POST_nat",
                 f"-A CILIUM_POST_nat -s {rngs[0]} ! -d {net} ! -o cilium_+ -m comment "
                 '--comment "cilium masquerade non-cluster" -j MASQUERADE'])
    return [], []
