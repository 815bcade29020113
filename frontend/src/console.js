// The console panel's logic: command history (shell-like up/down recall) and turning a
// command's result ({stdout, stderr, exit_code} from the server's kubectl console) into
// lines to show. Pure: no DOM, so node's test runner checks it; the panel only has to
// put `renderResult(...).lines` (or `.html`) on screen.
//
// What real terminals do and the panel must too:
// * curl's progress meter redraws its line with carriage returns: only the text after
//   the last "\r" of a line stays visible ("\r\n" is an ordinary line end);
// * colour and cursor escape sequences (ANSI/VT100) are not interpreted: they are
//   removed, never shown as garbage;
// * everything is text: anything inserted as HTML is escaped first.

export const HISTORY_LIMIT = 500;

/** An empty history. `entries` oldest first; `index` null when not browsing. */
export function createHistory(entries = [], limit = HISTORY_LIMIT) {
  return { entries: entries.slice(-limit), limit, index: null, draft: "" };
}

/**
 * Record a submitted command. Blank commands and a repeat of the previous command are
 * not stored (bash's `ignoreboth`); browsing state is reset either way.
 */
export function pushHistory(history, command) {
  const text = String(command ?? "");
  let entries = history.entries;
  if (text.trim() !== "" && entries[entries.length - 1] !== text) {
    entries = [...entries, text].slice(-history.limit);
  }
  return { ...history, entries, index: null, draft: "" };
}

/**
 * Arrow up: the previous (older) command. The text being typed is kept as the draft and
 * comes back after the newest entry on the way down. At the oldest entry, stays there.
 * Returns { history, text }.
 */
export function historyUp(history, currentText = "") {
  const n = history.entries.length;
  if (n === 0) return { history, text: currentText };
  if (history.index === null) {
    const next = { ...history, index: n - 1, draft: currentText };
    return { history: next, text: history.entries[n - 1] };
  }
  const index = Math.max(0, history.index - 1);
  return { history: { ...history, index }, text: history.entries[index] };
}

/** Arrow down: the next (newer) command, then the draft. Returns { history, text }. */
export function historyDown(history, currentText = "") {
  if (history.index === null) return { history, text: currentText };
  const index = history.index + 1;
  if (index >= history.entries.length) {
    return { history: { ...history, index: null, draft: "" }, text: history.draft };
  }
  return { history: { ...history, index }, text: history.entries[index] };
}

// CSI sequences (colours, cursor moves), OSC sequences (titles, links), other ESC pairs.
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;
// Other control characters a terminal would not print (keep \t, \n, \r).
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001a\u001c-\u001f\u007f]/g;

/** Remove terminal escape sequences and stray control characters. */
export function stripAnsi(text) {
  return String(text ?? "").replace(ANSI, "").replace(CONTROL, "");
}

/**
 * What a terminal shows for one line containing carriage returns: each "\r" moves to
 * column 0 and later text overwrites earlier text character by character.
 */
export function applyCarriageReturns(line) {
  if (!line.includes("\r")) return line;
  let shown = "";
  for (const part of line.split("\r")) {
    shown = part + shown.slice(part.length);
  }
  return shown;
}

/** Split a stream into visible lines (no trailing empty line for a final "\n"). */
export function toLines(text) {
  const clean = stripAnsi(text).replace(/\r\n/g, "\n");
  if (clean === "") return [];
  const lines = clean.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map(applyCarriageReturns);
}

const HTML_ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escape text for insertion into HTML (element content or a quoted attribute). */
export function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** The echo of a submitted command, as a prompt line. */
export function promptLine(command, namespace = "default") {
  const ns = namespace && namespace !== "default" ? ` (${namespace})` : "";
  return { stream: "prompt", text: `$${ns} ${command}` };
}

/**
 * Lines to show for one command's result: stdout first, then stderr (kubectl prints its
 * "command terminated with exit code N" last). `ok` is false for a non-zero exit code.
 */
export function renderResult(result, command = null, namespace = "default") {
  const lines = [];
  if (command !== null) lines.push(promptLine(command, namespace));
  for (const text of toLines(result?.stdout)) lines.push({ stream: "stdout", text });
  for (const text of toLines(result?.stderr)) lines.push({ stream: "stderr", text });
  const exitCode = Number.isInteger(result?.exit_code) ? result.exit_code : 1;
  return { lines, exitCode, ok: exitCode === 0, html: linesToHtml(lines) };
}

/** `<div class="console-line console-stderr">…</div>` per line, text escaped. */
export function linesToHtml(lines) {
  return lines
    .map((l) => `<div class="console-line console-${l.stream}">${escapeHtml(l.text) || "&nbsp;"}</div>`)
    .join("");
}

/**
 * Keep a scrollback of at most `max` lines (drop the oldest), as a terminal does.
 */
export function appendScrollback(scrollback, lines, max = 5000) {
  const all = scrollback.concat(lines);
  return all.length > max ? all.slice(all.length - max) : all;
}

// A here-document opener on the first line, as bash reads it: `<<EOF`, `<<'EOF'`,
// `<<"EOF"`, `<<-EOF` (strips leading tabs), but not a here-string `<<<`.
const HEREDOC = /(?<!<)<<(?!<)(-?)\s*(?:'([^']*)'|"([^"]*)"|([^\s;|&<>()'"]+))/;

/**
 * True while the input holds a here-document that no line has closed yet: Enter then
 * adds a line (as a shell's `>` continuation prompt does) instead of running it.
 */
export function heredocPending(text) {
  const lines = String(text ?? "").split("\n");
  const m = HEREDOC.exec(lines[0]);
  if (!m) return false;
  const strip = m[1] === "-";
  const word = m[2] ?? m[3] ?? m[4];
  return !lines.slice(1).some((l) => (strip ? l.replace(/^\t+/, "") : l) === word);
}

/**
 * Should Enter run the input? Not with Shift held, and not inside an open
 * here-document; otherwise yes.
 */
export function enterRuns(text, { shiftKey = false } = {}) {
  return !shiftKey && !heredocPending(text);
}
