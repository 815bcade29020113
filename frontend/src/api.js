// REST client for the editor: JSON in and out, CSRF header on writes, optimistic
// concurrency with If-Match, and API errors kept whole (`detail` + field `errors`) so
// the inspector can put each message next to its field.

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.detail ?? `HTTP ${status}`);
    this.status = status;
    this.body = body ?? {};
    this.errors = body?.errors ?? [];
  }

  /** Errors for one field path prefix, e.g. `spec.ports`. */
  forField(prefix) {
    return this.errors.filter((e) => e.field === prefix || e.field?.startsWith(prefix + ".") || e.field?.startsWith(prefix + "["));
  }
}

function csrfToken() {
  const m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : document.querySelector("meta[name=csrf-token]")?.content ?? "";
}

export async function request(method, url, { json, body, version, headers = {} } = {}) {
  const h = { Accept: "application/json", ...headers };
  if (method !== "GET") h["X-CSRFToken"] = csrfToken();
  if (json !== undefined) {
    h["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  }
  if (version !== undefined && version !== null) h["If-Match"] = `"${version}"`;
  const res = await fetch(url, { method, headers: h, body, credentials: "same-origin" });
  const type = res.headers.get("Content-Type") ?? "";
  const data = type.includes("json") ? await res.json().catch(() => ({})) : await res.text();
  if (!res.ok) throw new ApiError(res.status, typeof data === "string" ? { detail: data.slice(0, 500) } : data);
  return data;
}

export function clusterApi(base) {
  const kindUrl = (plural, ns, name) => {
    let url = `${base}${plural}/`;
    if (name) url += ns ? `${ns}/${name}/` : `${name}/`;
    return url;
  };
  return {
    fetch: () => request("GET", `${base}?include=objects`),
    create: (plural, manifest, pos, version) => request("POST", kindUrl(plural), { json: { manifest, ...pos }, version }),
    update: (plural, ns, name, manifest, version) => request("PUT", kindUrl(plural, ns, name), { json: { manifest }, version }),
    remove: (plural, ns, name, version) => request("DELETE", kindUrl(plural, ns, name), { version }),
    move: (plural, ns, name, x, y) => request("PATCH", `${kindUrl(plural, ns, name)}position/`, { json: { x, y } }),
    exportYaml: () => request("GET", `${base}manifests`, { headers: { Accept: "text/yaml" } }),
    apply: (yaml, { dryRun = false, prune = false, version } = {}) => {
      const q = new URLSearchParams();
      if (dryRun) q.set("dryRun", "All");
      if (prune) q.set("prune", "true");
      return request("POST", `${base}manifests?${q}`, { json: { yaml }, version });
    },
  };
}
