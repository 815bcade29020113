import { test } from "node:test";
import assert from "node:assert/strict";
import { buildTimeline, frameAt, headerChanges, initialPlayer, reduce } from "../src/timeline.js";

const pkt = (over = {}) => ({ src: "10.244.1.5", dst: "10.96.0.15", proto: "TCP", sport: 40112, dport: 80, ttl: 64, size: 60, ...over });
const hops = [
  { seq: 0, action: "send", packet_in: pkt(), packet_out: pkt() },
  { seq: 1, action: "dnat", packet_in: pkt(), packet_out: pkt({ dst: "10.244.2.7", dport: 8080 }) },
  { seq: 2, action: "encapsulate", packet_in: pkt({ dst: "10.244.2.7", dport: 8080, ttl: 63 }),
    packet_out: pkt({ dst: "10.244.2.7", dport: 8080, ttl: 63, outer: { src: "192.168.1.11", dst: "192.168.1.12", proto: "UDP", dport: 8472, vni: 1 } }) },
  { seq: 3, action: "deliver", packet_in: pkt({ dst: "10.244.2.7", dport: 8080, ttl: 62 }), packet_out: pkt({ dst: "10.244.2.7", dport: 8080, ttl: 62 }) },
];

test("hops are laid end to end and the underlay-free walk has a known length", () => {
  const tl = buildTimeline(hops);
  assert.deepEqual(tl.starts, [0, 500, 1100, 1700]);
  assert.equal(tl.total, 2200);
});

test("frameAt finds the playing hop and shows the inner and outer packet", () => {
  const tl = buildTimeline(hops);
  assert.equal(frameAt(tl, 0).index, 0);
  assert.equal(frameAt(tl, 1099).index, 1);
  const encap = frameAt(tl, 1700 - 1);
  assert.equal(encap.index, 2);
  assert.equal(encap.outer, null, "before the hop finishes the packet is not yet wrapped");
  const wrapped = frameAt(tl, 1700); // the encapsulate hop just finished
  assert.equal(wrapped.index, 2);
  assert.equal(wrapped.outer.vni, 1, "a finished encapsulate hop shows the outer header");
  assert.equal(frameAt(tl, 1701).index, 3);
  assert.equal(frameAt(tl, 99999).done, true);
});

test("player plays, pauses, steps both ways and seeks a clicked hop", () => {
  const tl = buildTimeline(hops);
  let p = initialPlayer(tl);
  p = reduce(p, { type: "play" });
  p = reduce(p, { type: "tick", dt: 600 });
  assert.equal(frameAt(tl, p.t).index, 1);
  p = reduce(p, { type: "pause" });
  const before = p.t;
  p = reduce(p, { type: "tick", dt: 600 });
  assert.equal(p.t, before, "a paused player does not move");
  p = reduce(p, { type: "stepForward" });
  assert.equal(p.t, 1100, "step forward finishes the hop in progress");
  p = reduce(p, { type: "stepForward" });
  assert.equal(p.t, 1700);
  p = reduce(p, { type: "stepBack" });
  assert.equal(p.t, 1100);
  p = reduce(reduce(reduce(p, { type: "stepBack" }), { type: "stepBack" }), { type: "stepBack" });
  assert.equal(p.t, 0, "stepping back stops at the start");
  p = reduce(p, { type: "seek", index: 3 });
  assert.equal(p.t, 2200);
  p = reduce(p, { type: "play" });
  assert.equal(p.t, 0, "play after the end replays from the start");
});

test("speed multiplies time and rejects unknown speeds", () => {
  const tl = buildTimeline(hops);
  let p = reduce(initialPlayer(tl), { type: "speed", speed: 2 });
  p = reduce(reduce(p, { type: "play" }), { type: "tick", dt: 300 });
  assert.equal(p.t, 600);
  assert.equal(reduce(p, { type: "speed", speed: 3 }).speed, 2);
});

test("a drop stops the animation on a failure", () => {
  const dropped = [...hops.slice(0, 2), { seq: 2, action: "policy-deny", packet_in: pkt(), packet_out: pkt() }];
  const tl = buildTimeline(dropped);
  assert.equal(frameAt(tl, tl.total).stopped, true);
  assert.equal(frameAt(buildTimeline(hops), 1e9).stopped, false);
});

test("headerChanges names DNAT rewrites and the outer header", () => {
  assert.equal(headerChanges(hops[1]), "dst 10.96.0.15 → 10.244.2.7, dport 80 → 8080");
  assert.match(headerChanges(hops[2]), /\+outer 192\.168\.1\.11 → 192\.168\.1\.12 UDP/);
});
