import { test } from "node:test";
import assert from "node:assert/strict";
import {
  appendScrollback,
  applyCarriageReturns,
  createHistory,
  escapeHtml,
  historyDown,
  historyUp,
  linesToHtml,
  promptLine,
  pushHistory,
  renderResult,
  stripAnsi,
  toLines,
} from "../src/console.js";

function typed(...commands) {
  let h = createHistory();
  for (const c of commands) h = pushHistory(h, c);
  return h;
}

test("up walks back through older commands and stops at the oldest", () => {
  let h = typed("kubectl get pods", "kubectl get svc", "kubectl describe svc web");
  let r = historyUp(h, "");
  assert.equal(r.text, "kubectl describe svc web");
  r = historyUp(r.history, r.text);
  assert.equal(r.text, "kubectl get svc");
  r = historyUp(r.history, r.text);
  assert.equal(r.text, "kubectl get pods");
  r = historyUp(r.history, r.text);
  assert.equal(r.text, "kubectl get pods", "stays at the oldest entry");
});

test("down comes forward again and ends on the draft the user was typing", () => {
  const h = typed("a", "b");
  let r = historyUp(h, "kubectl ex");
  r = historyUp(r.history, r.text);
  assert.equal(r.text, "a");
  r = historyDown(r.history, r.text);
  assert.equal(r.text, "b");
  r = historyDown(r.history, r.text);
  assert.equal(r.text, "kubectl ex", "the draft comes back after the newest entry");
  assert.equal(r.history.index, null);
  r = historyDown(r.history, "kubectl ex");
  assert.equal(r.text, "kubectl ex", "down when not browsing leaves the text alone");
});

test("up on an empty history keeps the current text", () => {
  const r = historyUp(createHistory(), "kubectl get");
  assert.equal(r.text, "kubectl get");
  assert.equal(r.history.index, null);
});

test("blank commands and immediate repeats are not recorded; submitting resets browsing", () => {
  let h = typed("kubectl get pods", "kubectl get pods", "   ", "", "kubectl get svc", "kubectl get pods");
  assert.deepEqual(h.entries, ["kubectl get pods", "kubectl get svc", "kubectl get pods"]);
  h = historyUp(h, "").history;
  assert.equal(h.index, 2);
  h = pushHistory(h, "kubectl get ns");
  assert.equal(h.index, null);
  assert.equal(historyUp(h, "").text, "kubectl get ns");
});

test("history keeps only the newest entries up to its limit", () => {
  let h = createHistory([], 3);
  for (const c of ["1", "2", "3", "4", "5"]) h = pushHistory(h, c);
  assert.deepEqual(h.entries, ["3", "4", "5"]);
  assert.deepEqual(createHistory(["a", "b", "c", "d"], 2).entries, ["c", "d"]);
});

test("history functions do not mutate their input", () => {
  const h = typed("a", "b");
  const before = JSON.stringify(h);
  historyUp(h, "x");
  pushHistory(h, "c");
  assert.equal(JSON.stringify(h), before);
});

test("ANSI colour, cursor and OSC sequences are removed", () => {
  assert.equal(stripAnsi("\u001b[31merror\u001b[0m: x"), "error: x");
  assert.equal(stripAnsi("\u001b[2K\u001b[1Gdone"), "done");
  assert.equal(stripAnsi("\u001b]0;title\u0007text"), "text");
  assert.equal(stripAnsi("a\u0000b\u0007c\td"), "abc\td", "stray control characters go, tabs stay");
  assert.equal(stripAnsi(undefined), "");
});

test("carriage returns overwrite the line like a terminal (curl's progress meter)", () => {
  const meter =
    "  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0" +
    "\r100   615  100   615    0     0   200k      0 --:--:-- --:--:-- --:--:--  200k";
  assert.equal(applyCarriageReturns(meter),
    "100   615  100   615    0     0   200k      0 --:--:-- --:--:-- --:--:--  200k");
  assert.equal(applyCarriageReturns("abcdef\rXY"), "XYcdef", "shorter text overwrites only its part");
  assert.equal(applyCarriageReturns("no return"), "no return");
});

test("a curl error glued to the meter stays on the meter's line, as on a terminal", () => {
  const stderr =
    "  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n" +
    "                                 Dload  Upload   Total   Spent    Left  Speed\n" +
    "\r  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0" +
    "curl: (6) Could not resolve host: web\ncommand terminated with exit code 6\n";
  const lines = toLines(stderr);
  assert.equal(lines.length, 4);
  assert.equal(lines[2], "  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0curl: (6) Could not resolve host: web");
  assert.equal(lines[3], "command terminated with exit code 6");
});

test("CRLF output (kubectl exec -t) gives the same lines as LF", () => {
  assert.deepEqual(toLines("a\r\nb\r\n"), ["a", "b"]);
  assert.deepEqual(toLines("a\nb"), ["a", "b"]);
  assert.deepEqual(toLines(""), []);
  assert.deepEqual(toLines("\n"), [""]);
});

test("renderResult lists the prompt, stdout then stderr, and reports the exit code", () => {
  const r = renderResult(
    { stdout: "NAME   READY\nweb    1/1\n", stderr: "Warning: x\n", exit_code: 0 },
    "kubectl get pods",
    "shop",
  );
  assert.deepEqual(r.lines, [
    { stream: "prompt", text: "$ (shop) kubectl get pods" },
    { stream: "stdout", text: "NAME   READY" },
    { stream: "stdout", text: "web    1/1" },
    { stream: "stderr", text: "Warning: x" },
  ]);
  assert.equal(r.ok, true);
  const bad = renderResult({ stdout: "", stderr: "error: x\n", exit_code: 1 });
  assert.equal(bad.ok, false);
  assert.equal(bad.exitCode, 1);
  assert.equal(renderResult(null).exitCode, 1, "a missing result is a failure, not a crash");
});

test("rendering keeps the spaces of kubectl's tables (alignment is the point)", () => {
  const r = renderResult({ stdout: "NAME    AGE\nweb-1   5m\n", stderr: "", exit_code: 0 });
  assert.equal(r.lines[1].text, "web-1   5m");
  assert.ok(r.html.includes("web-1   5m"));
});

test("HTML is escaped: output can never inject markup", () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  const r = renderResult({ stdout: "<!DOCTYPE html>\n<script>alert(1)</script>\n", stderr: "", exit_code: 0 });
  assert.ok(!r.html.includes("<script>"));
  assert.ok(r.html.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
  assert.equal(
    linesToHtml([{ stream: "stderr", text: "a<b" }, { stream: "stdout", text: "" }]),
    '<div class="console-line console-stderr">a&lt;b</div><div class="console-line console-stdout">&nbsp;</div>',
  );
});

test("the prompt echo shows the namespace only when it is not default", () => {
  assert.deepEqual(promptLine("kubectl get pods"), { stream: "prompt", text: "$ kubectl get pods" });
  assert.deepEqual(promptLine("kubectl get pods", "kube-system").text, "$ (kube-system) kubectl get pods");
});

test("the scrollback keeps the newest lines", () => {
  const a = [1, 2, 3].map((i) => ({ stream: "stdout", text: String(i) }));
  const b = [4, 5].map((i) => ({ stream: "stdout", text: String(i) }));
  assert.deepEqual(appendScrollback(a, b, 4).map((l) => l.text), ["2", "3", "4", "5"]);
  assert.equal(appendScrollback(a, b).length, 5);
});

test("a here-document stays open until its delimiter line", async () => {
  const { heredocPending, enterRuns } = await import("../src/console.js");
  assert.equal(heredocPending("kubectl get pods"), false);
  assert.equal(heredocPending("kubectl apply -f - <<EOF"), true);
  assert.equal(heredocPending("kubectl apply -f - <<EOF\nkind: Pod"), true);
  assert.equal(heredocPending("kubectl apply -f - <<EOF\nkind: Pod\nEOF"), false);
  assert.equal(heredocPending("cat <<'YAML' | kubectl apply -f -\nkind: Pod\n YAML"), true);
  assert.equal(heredocPending("cat <<'YAML' | kubectl apply -f -\nkind: Pod\nYAML"), false);
  assert.equal(heredocPending('kubectl apply -f - <<"END"\nEND'), false);
  // <<- strips leading tabs from the closing line, plain << does not
  assert.equal(heredocPending("kubectl apply -f - <<-EOF\n\tkind: Pod\n\tEOF"), false);
  assert.equal(heredocPending("kubectl apply -f - <<EOF\n\tkind: Pod\n\tEOF"), true);
  // a here-string is not a here-document
  assert.equal(heredocPending("kubectl apply -f - <<< 'kind: Pod'"), false);
  // a closing word that is only part of a line does not close it
  assert.equal(heredocPending("kubectl apply -f - <<EOF\nEOF2"), true);
  assert.equal(enterRuns("kubectl get pods"), true);
  assert.equal(enterRuns("kubectl get pods", { shiftKey: true }), false);
  assert.equal(enterRuns("kubectl apply -f - <<EOF\nkind: Pod"), false);
});
