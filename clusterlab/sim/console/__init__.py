"""The ClusterLab console: kubectl and the tools run through `kubectl exec`.

Modules: `argv` (pflag rules), `objects` (resource kinds and API list order), `get`
(tables), `describe`, `documents` (-o yaml/json), `tabwriter` (Go text/tabwriter),
`timefmt` (HumanDuration, RFC 1123), `facts` (what the snapshot does not record),
`probe` (ICMP and connection outcomes from the trace), `ping`, `curl`, `httpserver`,
`tools` (exec), `commands` (dispatch). The entry point is `clusterlab.sim.kubectl`.
"""
