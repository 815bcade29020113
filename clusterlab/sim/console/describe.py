"""`kubectl describe` (KCTL-7, KCTL-8): k8s.io/kubectl `pkg/describe/describe.go`.

Each describer writes `Key:\\tvalue` lines with 2-space indentation per level and the
text goes through Go's tabwriter (minwidth 0, padding 2), so alignment blocks break at
every line without a tab, as kubectl's do.

What the snapshot does not keep is filled in deterministically (documented per field):
container and image IDs are hashes of the pod and image names, the service-account
volume suffix is derived from the pod's name, and the kubelet's events are the usual
Scheduled/Pulled/Created/Started sequence at the pod's creation time — dropped once the
pod is older than the API server's default event TTL (1 h), as a real cluster forgets
them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

from clusterlab.sim.console.facts import Clock
from clusterlab.sim.console.get import node_roles, pod_status
from clusterlab.sim.console.multiline import annotations_lines, labels_lines
from clusterlab.sim.console.objects import EndpointsObject
from clusterlab.sim.console.tabwriter import describe_text
from clusterlab.sim.console.timefmt import rfc1123z, since
from clusterlab.sim.engine import Engine
from clusterlab.sim.model import Namespace, NetworkPolicy, Node, Pod, Service, format_labels
from clusterlab.sim.policy import describe_network_policy

EVENT_TTL = timedelta(hours=1)  # kube-apiserver --event-ttl default
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery utilrand


def _hex(*parts: str, n: int = 64) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:n]


def _suffix(seed: str, n: int = 5) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_SUFFIX_ALPHABET[b % len(_SUFFIX_ALPHABET)] for b in digest[:n])


Event = tuple[str, str, datetime, str, str]  # type, reason, time, from, message


def events_lines(events: Iterable[Event], now: datetime) -> list[str]:
    """`DescribeEvents`: `Events:\\t<none>`, or the table with its dashed row."""
    events = sorted(events, key=lambda e: e[2])
    if not events:
        return ["Events:\t<none>\n"]
    out = ["Events:\n", "  Type\tReason\tAge\tFrom\tMessage\n",
           "  ----\t------\t----\t----\t-------\n"]
    for typ, reason, when, source, message in events:
        out.append(f"  {typ}\t{reason}\t{since(when, now)}\t{source}\t{message.strip()}\n")
    return out


# --------------------------------------------------------------------------- pod


def _image_id(image: str) -> str:
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    return f"{name}@sha256:{_hex('image', image)}"


def _always_pull(image: str) -> bool:
    """The default imagePullPolicy is Always for `:latest` or an untagged image."""
    last = image.rsplit("/", 1)[-1]
    return ":" not in last or last.endswith(":latest")


def _ports(ports: list[str], title: str) -> str:
    if not ports:
        return f"    {title}:\t<none>\n"
    if len(ports) == 1:
        return f"    {title}:\t{ports[0]}\n"
    plural = title.replace("Port", "Ports")
    return f"    {plural}:\t{', '.join(ports)}\n"


def pod_conditions(engine: Engine, pod: Pod) -> list[tuple[str, str]]:
    if pod.node_name is None:
        return [("PodScheduled", "False")]
    started = pod.phase == "Running"
    ready = started and pod.ready and not pod.terminating
    node_down = pod.node_name in engine.cluster.config.faults.nodes_down
    return [("PodReadyToStartContainers", "True" if started and not node_down else "False"),
            ("Initialized", "True"),
            ("Ready", "True" if ready and not node_down else "False"),
            ("ContainersReady", "True" if ready else "False"),
            ("PodScheduled", "True")]


def describe_pod(engine: Engine, pod: Pod, clock: Clock) -> str:
    """describe.go `describePod` field order (KCTL-8)."""
    created = clock.created("pods", pod.namespace, pod.name)
    node = engine.cluster.node_by_name.get(pod.node_name or "")
    out = [f"Name:\t{pod.name}\n", f"Namespace:\t{pod.namespace}\n", "Priority:\t0\n",
           "Service Account:\tdefault\n"]
    if pod.node_name:
        host = f"/{node.internal_ip}" if node is not None else ""
        out.append(f"Node:\t{pod.node_name}{host}\n")
        out.append(f"Start Time:\t{rfc1123z(created)}\n")
    else:
        out.append("Node:\t<none>\n")
    out += labels_lines("Labels", pod.labels)
    out += annotations_lines("Annotations", pod.annotations)
    if pod.terminating:
        out.append("Status:\tTerminating (lasts 0s)\n")
        out.append("Termination Grace Period:\t30s\n")
    else:
        out.append(f"Status:\t{pod.phase}\n")
    out.append(f"IP:\t{pod.ip if pod.ip is not None else ''}\n")
    if pod.ip is not None:
        out += ["IPs:\n", f"  IP:\t{pod.ip}\n"]
    else:
        out.append("IPs:\t<none>\n")
    if pod.owner:
        out.append(f"Controlled By:\t{pod.owner}\n")

    volume = f"kube-api-access-{_suffix(pod.key)}"
    status = pod_status(pod)
    restarts, last_restart = clock.restarts(pod.namespace, pod.name)
    containers = pod.containers or ()
    events: list[Event] = []
    if pod.node_name:
        events.append(("Normal", "Scheduled", created, "default-scheduler",
                       f"Successfully assigned {pod.key} to {pod.node_name}"))
    out.append("Containers:\n")
    for c in containers:
        out.append(f"  {c.name}:\n")
        running = pod.phase == "Running"
        if running or pod.phase in ("Succeeded", "Failed"):
            out.append(f"    Container ID:\tcontainerd://{_hex('container', pod.key, c.name)}\n")
        out.append(f"    Image:\t{c.image}\n")
        out.append(f"    Image ID:\t{_image_id(c.image) if running else ''}\n")
        out.append(_ports([f"{p.container_port}/{p.protocol}" + (f" ({p.name})" if p.name else "")
                           for p in c.ports], "Port"))
        out.append(_ports([f"{p.host_port}/{p.protocol}" + (f" ({p.name})" if p.name else "")
                           for p in c.ports], "Host Port"))
        started = created + timedelta(seconds=2)
        if running:
            if last_restart is not None:
                started = last_restart
            out += ["    State:\tRunning\n", f"      Started:\t{rfc1123z(started)}\n"]
        elif pod.phase in ("Succeeded", "Failed"):
            ok = pod.phase == "Succeeded"
            out += ["    State:\tTerminated\n",
                    f"      Reason:\t{'Completed' if ok else 'Error'}\n",
                    f"      Exit Code:\t{0 if ok else 1}\n",
                    f"      Started:\t{rfc1123z(started)}\n",
                    f"      Finished:\t{rfc1123z(started + timedelta(seconds=1))}\n"]
        else:
            reason = "ContainerCreating" if status == "ContainerCreating" else ""
            out.append("    State:\tWaiting\n")
            if reason:
                out.append(f"      Reason:\t{reason}\n")
        if restarts and last_restart is not None and running:
            out += ["    Last State:\tTerminated\n", "      Reason:\tError\n",
                    "      Exit Code:\t1\n",
                    f"      Started:\t{rfc1123z(created + timedelta(seconds=2))}\n",
                    f"      Finished:\t{rfc1123z(last_restart)}\n"]
        ready = running and pod.ready and not pod.terminating
        out.append(f"    Ready:\t{'True' if ready else 'False'}\n")
        out.append(f"    Restart Count:\t{restarts}\n")
        out.append("    Environment:\t<none>\n")
        out += ["    Mounts:\n",
                f"      /var/run/secrets/kubernetes.io/serviceaccount from {volume} (ro)\n"]
        if running or pod.phase in ("Succeeded", "Failed"):
            pulled = created + timedelta(seconds=1)
            if _always_pull(c.image):
                ms = 400 + int(_hex("pull", c.image, n=4), 16) % 1500
                size = 10_000_000 + int(_hex("size", c.image, n=6), 16) % 90_000_000
                events += [("Normal", "Pulling", pulled, "kubelet", f'Pulling image "{c.image}"'),
                           ("Normal", "Pulled", pulled, "kubelet",
                            f'Successfully pulled image "{c.image}" in {ms}ms ({ms}ms including '
                            f"waiting). Image size: {size} bytes.")]
            else:
                events.append(("Normal", "Pulled", pulled, "kubelet",
                               f'Container image "{c.image}" already present on machine'))
            events += [("Normal", "Created", pulled, "kubelet", f"Created container: {c.name}"),
                       ("Normal", "Started", created + timedelta(seconds=2), "kubelet",
                        f"Started container {c.name}")]
    out += ["Conditions:\n", "  Type\tStatus\n"]
    out += [f"  {t} \t{s} \n" for t, s in pod_conditions(engine, pod)]
    out += ["Volumes:\n", f"  {volume}:\n",
            "    Type:\tProjected (a volume that contains injected data from multiple sources)\n",
            "    TokenExpirationSeconds:\t3607\n", "    ConfigMapName:\tkube-root-ca.crt\n",
            "    Optional:\tfalse\n", "    DownwardAPI:\ttrue\n",
            "QoS Class:\tBestEffort\n", "Node-Selectors:\t<none>\n",
            "Tolerations:\tnode.kubernetes.io/not-ready:NoExecute op=Exists for 300s\n",
            "\tnode.kubernetes.io/unreachable:NoExecute op=Exists for 300s\n"]
    if clock.now - created > EVENT_TTL:
        events = []
    out += events_lines(events, clock.now)
    return describe_text("".join(out))


# --------------------------------------------------------------------------- service


def format_endpoint_slices(engine: Engine, svc: Service, port_name: str) -> str:
    """describe.go `formatEndpointSlices`: ready `ip:port` of the slices' ports named like
    the Service port, at most 3 + ` + N more...`; `<none>` without any slice (KCTL-8)."""
    slices = sorted(engine.endpoints.slices(svc), key=lambda s: s.name)
    if not slices:
        return "<none>"
    items: list[str] = []
    count = 0
    for es in slices:
        if not es.ports:
            for ep in es.endpoints:
                if ep.ready and ep.addresses:
                    count += 1
                    items.append(ep.addresses[0])
            continue
        for port in es.ports:
            if port.name != port_name:
                continue
            for ep in es.endpoints:
                if ep.ready and ep.addresses:
                    count += 1
                    items.append(f"{ep.addresses[0]}:{port.port}")
    text = ",".join(items[:3])
    return f"{text} + {count - 3} more..." if count > 3 else text


def _ingress_text(svc: Service) -> str:
    """`buildIngressString`: IP entries carry their ipMode (defaulted to VIP)."""
    parts = []
    for value in svc.load_balancer_ingress:
        is_ip = value.replace(".", "").isdigit()
        parts.append(f"{value} ({svc.load_balancer_ip_mode})" if is_ip else value)
    return ", ".join(parts)


def describe_service(engine: Engine, svc: Service, clock: Clock) -> str:
    """describe.go `describeService` (KCTL-8)."""
    out = [f"Name:\t{svc.name}\n", f"Namespace:\t{svc.namespace}\n"]
    out += labels_lines("Labels", svc.labels)
    out += annotations_lines("Annotations", svc.annotations)
    out.append(f"Selector:\t{format_labels(svc.selector or {})}\n")
    out.append(f"Type:\t{svc.type}\n")
    if svc.type == "ExternalName":
        out += ["IP Families:\t<none>\n", "IP:\t\n", "IPs:\t<none>\n"]
    else:
        ip = "None" if svc.headless else str(svc.cluster_ip or "")
        out += ["IP Family Policy:\tSingleStack\n", "IP Families:\tIPv4\n", f"IP:\t{ip}\n",
                f"IPs:\t{ip or '<none>'}\n"]
    if svc.external_ips:
        out.append(f"External IPs:\t{','.join(str(i) for i in svc.external_ips)}\n")
    if svc.external_name:
        out.append(f"External Name:\t{svc.external_name}\n")
    if svc.load_balancer_ingress:
        out.append(f"LoadBalancer Ingress:\t{_ingress_text(svc)}\n")
    for sp in svc.ports:
        name = sp.name or "<unset>"
        out.append(f"Port:\t{name}\t{sp.port}/{sp.protocol}\n")
        target = sp.target_port or sp.port
        out.append(f"TargetPort:\t{target}/{sp.protocol}\n")
        if sp.app_protocol:
            out.append(f"AppProtocol:\t{sp.app_protocol}\n")
        if sp.node_port:
            out.append(f"NodePort:\t{name}\t{sp.node_port}/{sp.protocol}\n")
        out.append(f"Endpoints:\t{format_endpoint_slices(engine, svc, sp.name)}\n")
    out.append(f"Session Affinity:\t{svc.session_affinity}\n")
    if svc.external_traffic_policy:
        out.append(f"External Traffic Policy:\t{svc.external_traffic_policy}\n")
    if svc.type != "ExternalName" and svc.internal_traffic_policy:
        out.append(f"Internal Traffic Policy:\t{svc.internal_traffic_policy}\n")
    if svc.health_check_node_port:
        out.append(f"HealthCheck NodePort:\t{svc.health_check_node_port}\n")
    if svc.load_balancer_source_ranges:
        out.append("LoadBalancer Source Ranges:\t"
                   f"{','.join(str(n) for n in svc.load_balancer_source_ranges)}\n")
    out += events_lines((), clock.now)
    return describe_text("".join(out))


# --------------------------------------------------------------------------- others


def describe_netpol(engine: Engine, np: NetworkPolicy, clock: Clock) -> str:
    """`describeNetworkPolicy` — policy.describe_network_policy (KCTL-8)."""
    return describe_network_policy(np, clock.created("networkpolicies", np.namespace, np.name))


def describe_endpoints(engine: Engine, ep: EndpointsObject, clock: Clock) -> str:
    """describe.go `describeEndpoints`."""
    out = [f"Name:\t{ep.name}\n", f"Namespace:\t{ep.namespace}\n"]
    out += labels_lines("Labels", ep.labels)
    out += annotations_lines("Annotations", {})
    out.append("Subsets:\n")
    for ss in ep.subsets:
        out.append(f"  Addresses:\t{','.join(ss.addresses) or '<none>'}\n")
        out.append(f"  NotReadyAddresses:\t{','.join(ss.not_ready) or '<none>'}\n")
        if ss.ports:
            out += ["  Ports:\n", "    Name\tPort\tProtocol\n", "    ----\t----\t--------\n"]
            out += [f"    {p.name or '<unset>'}\t{p.port}\t{p.protocol}\n" for p in ss.ports]
        out.append("\n")
    out += events_lines((), clock.now)
    return describe_text("".join(out))


def describe_namespace(engine: Engine, ns: Namespace, clock: Clock) -> str:
    """describe.go `describeNamespace` (no quota, no LimitRange in the simulator)."""
    out = [f"Name:\t{ns.name}\n"]
    out += labels_lines("Labels", ns.labels)
    out += annotations_lines("Annotations", ns.annotations)
    out += ["Status:\tActive\n", "\n", "No resource quota.\n", "\n",
            "No LimitRange resource.\n"]
    return describe_text("".join(out))


_NETWORK_CONDITION = {  # reason/message each CNI's daemon sets on NetworkUnavailable
    "flannel": ("FlannelIsUp", "Flannel is running on this node"),
    "canal": ("FlannelIsUp", "Flannel is running on this node"),
    "calico": ("CalicoIsUp", "Calico is running on this node"),
    "weave": ("WeaveIsUp", "Weave pod has set this"),
    "cilium": ("CiliumIsUp", "Cilium is running on this node"),
}


def describe_node(engine: Engine, node: Node, clock: Clock) -> str:
    """describe.go `describeNode` (KCTL-8): addresses, PodCIDR(s), the pods on the node.

    Capacity and system identifiers are those of a small 2-CPU / 4 GiB VM; a powered-off
    node's conditions are `Unknown` ("Kubelet stopped posting node status.")."""
    cluster = engine.cluster
    created = clock.created("nodes", "", node.name)
    info = clock.node_info(node.name)
    now = clock.now
    down = node.name in cluster.config.faults.nodes_down
    out = [f"Name:\t{node.name}\n", f"Roles:\t{node_roles(node)}\n"]
    out += labels_lines("Labels", node.labels)
    out += annotations_lines("Annotations", node.annotations)
    out.append(f"CreationTimestamp:\t{rfc1123z(created)}\n")
    taints = []
    if any(k.startswith("node-role.kubernetes.io/control-plane") for k in node.labels):
        taints.append("node-role.kubernetes.io/control-plane:NoSchedule")
    if down:
        taints.append("node.kubernetes.io/unreachable:NoExecute")
    elif not node.ready:
        taints.append("node.kubernetes.io/not-ready:NoExecute")
    if node.unschedulable:
        taints.append("node.kubernetes.io/unschedulable:NoSchedule")
    if taints:
        out.append(f"Taints:\t{taints[0]}\n")
        out += [f"\t{t}\n" for t in taints[1:]]
    else:
        out.append("Taints:\t<none>\n")
    out.append(f"Unschedulable:\t{'true' if node.unschedulable else 'false'}\n")
    heartbeat = now - timedelta(seconds=72) if not down else now - timedelta(minutes=5)
    out += ["Lease:\n", f"  HolderIdentity:\t{node.name}\n", "  AcquireTime:\t<unset>\n",
            f"  RenewTime:\t{rfc1123z(now - timedelta(seconds=4) if not down else heartbeat)}\n"]
    joined = created + timedelta(seconds=70)
    out += ["Conditions:\n",
            "  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n",
            "  ----\t------\t-----------------\t------------------\t------\t-------\n"]
    net = _NETWORK_CONDITION.get(cluster.config.cni_plugin)
    if net is not None:
        out.append(f"  NetworkUnavailable \tFalse \t{rfc1123z(joined)} \t{rfc1123z(joined)} "
                   f"\t{net[0]} \t{net[1]}\n")
    kubelet = [("MemoryPressure", "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available"),
               ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
               ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available")]
    ready_at = created + timedelta(seconds=80)
    for typ, reason, message in kubelet:
        if down:
            out.append(f"  {typ} \tUnknown \t{rfc1123z(heartbeat)} \t{rfc1123z(now)} "
                       "\tNodeStatusUnknown \tKubelet stopped posting node status.\n")
        else:
            out.append(f"  {typ} \tFalse \t{rfc1123z(heartbeat)} \t{rfc1123z(created)} "
                       f"\t{reason} \t{message}\n")
    if down:
        out.append(f"  Ready \tUnknown \t{rfc1123z(heartbeat)} \t{rfc1123z(now)} "
                   "\tNodeStatusUnknown \tKubelet stopped posting node status.\n")
    elif node.ready:
        out.append(f"  Ready \tTrue \t{rfc1123z(heartbeat)} \t{rfc1123z(ready_at)} "
                   "\tKubeletReady \tkubelet is posting ready status\n")
    else:
        out.append(f"  Ready \tFalse \t{rfc1123z(heartbeat)} \t{rfc1123z(ready_at)} "
                   "\tKubeletNotReady \tcontainer runtime network not ready: NetworkReady=false"
                   " reason:NetworkPluginNotReady message:Network plugin returns error: cni "
                   "plugin not initialized\n")
    out += ["Addresses:\n", f"  InternalIP:\t{node.internal_ip}\n", f"  Hostname:\t{node.name}\n"]
    capacity = [("cpu", "2"), ("ephemeral-storage", "30297152Ki"), ("hugepages-1Gi", "0"),
                ("hugepages-2Mi", "0"), ("memory", "4015084Ki"), ("pods", "110")]
    out.append("Capacity:\n")
    out += [f"  {k}:\t{v}\n" for k, v in capacity]
    out.append("Allocatable:\n")
    alloc = dict(capacity, **{"ephemeral-storage": "27921710864", "memory": "3912684Ki"})
    out += [f"  {k}:\t{alloc[k]}\n" for k, _ in capacity]
    out += ["System Info:\n",
            f"  Machine ID:\t{_hex('machine', node.name, n=32)}\n",
            f"  System UUID:\t{_uuid('uuid', node.name)}\n",
            f"  Boot ID:\t{_uuid('boot', node.name)}\n",
            f"  Kernel Version:\t{info.kernel_version}\n",
            f"  OS Image:\t{info.os_image}\n",
            f"  Operating System:\t{info.operating_system}\n",
            f"  Architecture:\t{info.architecture}\n",
            f"  Container Runtime Version:\t{info.container_runtime}\n",
            f"  Kubelet Version:\t{info.kubelet_version}\n",
            f"  Kube-Proxy Version:\t{info.kubelet_version}\n"]
    if node.pod_cidr is not None:
        out += [f"PodCIDR:\t{node.pod_cidr}\n", f"PodCIDRs:\t{node.pod_cidr}\n"]
    pods = sorted((p for p in cluster.pods_by_node.get(node.name, ())
                   if p.phase not in ("Succeeded", "Failed")),
                  key=lambda p: (p.namespace, p.name))
    out.append(f"Non-terminated Pods:\t({len(pods)} in total)\n")
    # describe.go writes an empty column after Name ("Name\t\tCPU Requests")
    out += ["  Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\t"
            "Age\n",
            "  ---------\t----\t\t------------\t----------\t---------------\t-------------\t"
            "---\n"]
    for p in pods:
        age = since(clock.created("pods", p.namespace, p.name), now)
        out.append(f"  {p.namespace}\t{p.name}\t\t0 (0%)\t0 (0%)\t0 (0%)\t0 (0%)\t{age}\n")
    out += ["Allocated resources:\n",
            "  (Total limits may be over 100 percent, i.e., overcommitted.)\n",
            "  Resource\tRequests\tLimits\n", "  --------\t--------\t------\n",
            "  cpu\t0 (0%)\t0 (0%)\n", "  memory\t0 (0%)\t0 (0%)\n",
            "  ephemeral-storage\t0 (0%)\t0 (0%)\n", "  hugepages-1Gi\t0 (0%)\t0 (0%)\n",
            "  hugepages-2Mi\t0 (0%)\t0 (0%)\n"]
    out += events_lines((), now)
    return describe_text("".join(out))


def _uuid(*parts: str) -> str:
    h = _hex(*parts, n=32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
