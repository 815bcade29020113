// The packet player's clock: a trace's hops laid out on a timeline, and a small state
// machine (play / pause / step / seek / speed) that answers "what is on screen at t".
// Pure: no DOM, no canvas, so node's test runner checks it.
//
// The server sends a packet's whole timeline at once (all hops); the browser animates
// it. Each hop gets a duration by what it does: moving along a wire takes longer than
// a table lookup, crossing the underlay longest.

const DURATION_MS = {
  send: 500,
  veth: 450,
  bridge: 450,
  route: 350,
  dnat: 600,
  snat: 600,
  encapsulate: 600,
  underlay: 900,
  decapsulate: 600,
  "policy-allow": 400,
  "policy-deny": 700,
  deliver: 500,
  drop: 700,
  reject: 700,
  reply: 450,
  "dns-query": 500,
  "dns-answer": 500,
};
const DEFAULT_MS = 450;
export const SPEEDS = [0.25, 0.5, 1, 2, 4];

/** Build the timeline: hop i runs from starts[i] to starts[i] + durations[i]. */
export function buildTimeline(hops) {
  const starts = [];
  const durations = [];
  let t = 0;
  for (const hop of hops) {
    const d = DURATION_MS[hop.action] ?? DEFAULT_MS;
    starts.push(t);
    durations.push(d);
    t += d;
  }
  return { hops, starts, durations, total: t };
}

/** Which hop is playing at time t (ms), and how far through it (0..1). */
export function frameAt(timeline, t) {
  const { hops, starts, durations, total } = timeline;
  if (hops.length === 0) return { index: -1, progress: 0, hop: null, done: true };
  const clamped = Math.max(0, Math.min(t, total));
  let lo = 0;
  let hi = hops.length - 1;
  while (lo < hi) {
    // last hop that started strictly before t: a boundary belongs to the hop it ends,
    // so seeking hop i shows hop i finished (its output packet), not hop i+1 unstarted.
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] < clamped) lo = mid;
    else hi = mid - 1;
  }
  const progress = Math.min(1, (clamped - starts[lo]) / durations[lo]);
  const hop = hops[lo];
  return {
    index: lo,
    progress,
    hop,
    packet: progress < 1 ? hop.packet_in : hop.packet_out,
    outer: (progress < 1 ? hop.packet_in : hop.packet_out)?.outer ?? null,
    done: clamped >= total,
    stopped: clamped >= total && isTerminalFailure(hops[hops.length - 1]),
  };
}

export function isTerminalFailure(hop) {
  return hop != null && ["drop", "reject", "policy-deny"].includes(hop.action);
}

/**
 * The player: a record replaced on every transition (never mutated), so the UI can
 * compare old and new state and re-render only when something moved.
 */
export function initialPlayer(timeline) {
  return { timeline, t: 0, playing: false, speed: 1 };
}

export function reduce(player, event) {
  const { timeline } = player;
  switch (event.type) {
    case "play":
      // Replay from the start when the packet already arrived.
      return { ...player, playing: true, t: player.t >= timeline.total ? 0 : player.t };
    case "pause":
      return { ...player, playing: false };
    case "tick": {
      if (!player.playing) return player;
      const t = Math.min(timeline.total, player.t + event.dt * player.speed);
      return { ...player, t, playing: t < timeline.total };
    }
    case "stepForward": {
      // Hop boundaries are the ends of hops; step to the next one after t.
      const next = hopEnds(timeline).find((end) => end > player.t);
      return { ...player, playing: false, t: next ?? timeline.total };
    }
    case "stepBack": {
      const ends = hopEnds(timeline).filter((end) => end < player.t);
      return { ...player, playing: false, t: ends.length ? ends[ends.length - 1] : 0 };
    }
    case "seek": {
      const i = Math.max(0, Math.min(event.index, timeline.hops.length - 1));
      return { ...player, playing: false, t: timeline.starts[i] + timeline.durations[i] };
    }
    case "speed":
      if (!SPEEDS.includes(event.speed)) return player;
      return { ...player, speed: event.speed };
    case "replay":
      return { ...player, t: 0, playing: true };
    default:
      return player;
  }
}

function hopEnds(timeline) {
  return timeline.starts.map((start, i) => start + timeline.durations[i]);
}

/** A one-line header summary: what changed between a hop's input and output packet. */
export function headerChanges(hop) {
  if (!hop.packet_in || !hop.packet_out) return "";
  const a = hop.packet_in;
  const b = hop.packet_out;
  const out = [];
  for (const key of ["src", "sport", "dst", "dport", "ttl"]) {
    if (a[key] !== b[key] && b[key] !== undefined) out.push(`${key} ${a[key]} → ${b[key]}`);
  }
  if (!a.outer && b.outer) out.push(`+outer ${b.outer.src} → ${b.outer.dst} ${b.outer.proto}`);
  if (a.outer && !b.outer) out.push("−outer");
  return out.join(", ");
}
