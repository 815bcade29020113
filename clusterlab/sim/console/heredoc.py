"""Shell input as a browser console receives it: one command line, maybe a here-document.

Users paste what they would type into bash:

    kubectl apply -f - <<EOF          cat <<'EOF' | kubectl apply -f -
    apiVersion: v1                    apiVersion: v1
    ...                               ...
    EOF                               EOF

`split_input` splits such text the way bash reads it: the command line (up to the first
newline outside quotes; `\\` + newline continues it), then the bodies of its
here-documents in the order their `<<` operators appear, each up to a line equal to the
delimiter. bash's rules kept:

* `<<WORD`, `<< WORD`, `<<'WORD'`, `<<"WORD"`, `<<W"OR"D`: any quoted part makes the
  delimiter the word without quotes and leaves the body untouched; `<<-` strips leading
  TABs from every body line and from the terminator line.
* Without quotes bash expands the body: `\\` + newline joins lines, `\\$`, `` \\` `` and
  `\\\\` lose their backslash, and `$VAR`, `${…}`, `$(…)` and backquotes would be replaced by
  the user's shell. This console has no shell environment, so such a body is refused with
  a hint to quote the delimiter, rather than silently losing text.
* An unterminated here-document is read up to the end of the input, with bash's warning
  `bash: warning: here-document at line 1 delimited by end-of-file (wanted `EOF')`.
* A pipeline may feed kubectl from `cat` (no file arguments, or `-`) or `echo`
  (`-n`, `-e`); `foo | kubectl …` answers `bash: foo: command not found` (exit 127) like
  the console does for any unknown first word.

The console runs one command at a time: text after the command line that is not a
here-document body is refused, and so are `;`, `&&`, `||`, `&`, here-strings (`<<<`) and
output redirection. Pure: no Django, no I/O.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from clusterlab.sim.console.result import CommandResult

MULTI_LINE = ("error: one command per line; multi-line input is only read as a here-document "
              "(<<EOF … EOF)")
ONE_COMMAND = ("error: the ClusterLab console runs one command at a time (no ;, &, && or ||); "
               "type the next command on its own")
NO_HERESTRING = ("error: the ClusterLab console reads standard input only from a here-document "
                 "(<<EOF … EOF) or from cat/echo through a pipe, not from <<<")
NO_OUTPUT_REDIRECT = "error: the ClusterLab console does not redirect output (>, >>)"
PIPE_ONLY = ("error: the ClusterLab console pipes only cat and echo into kubectl, e.g. "
             "cat <<EOF | kubectl apply -f -")
EXPANSION = ("error: the here-document body contains {what}, which bash would expand in your "
             "shell; the ClusterLab console has no shell variables: quote the delimiter "
             "(<<'{delim}') to pass the text unchanged")

# Real commands a user might pipe through; anything else is "command not found".
_KNOWN_TOOLS = frozenset({"printf", "sed", "awk", "grep", "tee", "envsubst", "jq", "yq",
                          "base64", "curl", "wget", "helm", "kustomize", "kubectl", "sort",
                          "head", "tail", "tr", "cut", "xargs", "sh", "bash"})
_BLANK = " \t"
_WORD_END = set(" \t\n|&;<>()")
_EXPANDS = re.compile(r"[A-Za-z_0-9{(@*#?$!-]")


@dataclass(frozen=True, slots=True)
class ShellInput:
    """What bash would hand to the last command: its words as text, and its stdin.

    `command` is shell text (quotes intact) for `argv.split_command`; `stdin` is None when
    nothing feeds the command; `stderr` holds bash's (or cat's) warnings, printed before
    the command's own output.
    """

    command: str
    stdin: str | None = None
    stderr: str = ""


@dataclass
class _HereDoc:
    delimiter: str
    quoted: bool
    strip_tabs: bool
    line: int  # physical line of the `<<` operator (bash's warning names it)
    body: str = ""


@dataclass
class _Stage:
    raw: list[str] = field(default_factory=list)
    heredocs: list[_HereDoc] = field(default_factory=list)
    input_file: str | None = None

    @property
    def text(self) -> str:
        return "".join(self.raw).strip()


class _ShellError(Exception):
    def __init__(self, text: str, code: int = 1):
        super().__init__(text)
        self.result = CommandResult("", text if text.endswith("\n") else text + "\n", code)


def _syntax_error(token: str) -> _ShellError:
    return _ShellError(f"bash: syntax error near unexpected token `{token}'", 2)


def _unterminated(quote: str) -> _ShellError:
    return _ShellError(f"bash: unexpected EOF while looking for matching `{quote}'", 2)


def _quoted_end(text: str, i: int) -> int:
    """Index just past the quoted string starting at `text[i]` (a ' or ")."""
    quote = text[i]
    j = i + 1
    while j < len(text):
        c = text[j]
        if c == quote:
            return j + 1
        if c == "\\" and quote == '"':
            j += 2
            continue
        j += 1
    raise _unterminated(quote)


def _word(text: str, i: int) -> tuple[str, int]:
    """The shell word starting at `i` (raw, quotes kept) and the index after it."""
    j = i
    while j < len(text) and text[j] not in _WORD_END:
        if text[j] in "'\"":
            j = _quoted_end(text, j)
        elif text[j] == "\\":
            j += 2
        else:
            j += 1
    return text[i:j], j


def _unquote(word: str) -> tuple[str, bool]:
    """Quote removal on a here-document delimiter; True when any part was quoted."""
    quoted = any(c in word for c in "'\"\\")
    try:
        parts = shlex.split(word, posix=True)
    except ValueError:
        parts = [word]
    return "".join(parts), quoted


def _scan_command(text: str) -> tuple[list[_Stage], int, int]:
    """Parse the command line; return its stages, the index after it, and its last line."""
    stages = [_Stage()]
    line = 1
    i = 0
    n = len(text)
    word_start = True
    while i < n:
        c = text[i]
        stage = stages[-1]
        if c == "\n":
            return stages, i + 1, line
        if c == "\\":
            if text.startswith("\\\n", i):  # line continuation
                i += 2
                line += 1
                continue
            stage.raw.append(text[i:i + 2])
            i += 2
            word_start = False
            continue
        if c in "'\"":
            j = _quoted_end(text, i)
            stage.raw.append(text[i:j])
            line += text.count("\n", i, j)
            i = j
            word_start = False
            continue
        if c == "#" and word_start:  # a comment runs to the end of the line
            while i < n and text[i] != "\n":
                i += 1
            continue
        if c == "|":
            if text.startswith("||", i):
                raise _ShellError(ONE_COMMAND)
            if not stage.text and not stage.heredocs:
                raise _syntax_error("|")
            i += 2 if text.startswith("|&", i) else 1
            stages.append(_Stage())
            word_start = True
            continue
        if c in ";&":
            raise _ShellError(ONE_COMMAND)
        if c == ">":
            raise _ShellError(NO_OUTPUT_REDIRECT)
        if c == "<":
            if text.startswith("<<<", i):
                raise _ShellError(NO_HERESTRING)
            heredoc = text.startswith("<<", i)
            i += 2 if heredoc else 1
            strip = heredoc and text.startswith("-", i)
            if strip:
                i += 1
            while i < n and text[i] in _BLANK:
                i += 1
            raw, i = _word(text, i)
            if not raw:
                raise _syntax_error("newline" if i >= n or text[i] == "\n" else text[i])
            target, quoted = _unquote(raw)
            if heredoc:
                stage.heredocs.append(_HereDoc(target, quoted, strip, line))
            else:
                stage.input_file = target
            word_start = False
            continue
        stage.raw.append(c)
        word_start = c in _BLANK
        i += 1
    return stages, n, line


def _read_bodies(stages: list[_Stage], text: str, start: int) -> tuple[int, str]:
    """Fill every here-document body from the lines after the command line."""
    lines = text[start:].split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the text's final newline ends the last line, it does not start one
    at = 0
    warnings = ""
    for stage in stages:
        for doc in stage.heredocs:
            body: list[str] = []
            while at < len(lines):
                current = lines[at]
                at += 1
                if doc.strip_tabs:
                    current = current.lstrip("\t")
                if current == doc.delimiter:
                    break
                body.append(current)
            else:
                warnings += (f"bash: warning: here-document at line {doc.line} delimited by "
                             f"end-of-file (wanted `{doc.delimiter}')\n")
            doc.body = "".join(b + "\n" for b in body)
            if not doc.quoted:
                doc.body = _expand(doc.body, doc.delimiter)
    rest = lines[at:]
    if any(r.strip() for r in rest):
        raise _ShellError(MULTI_LINE)
    return at, warnings


def _expand(body: str, delimiter: str) -> str:
    """bash's processing of an unquoted here-document, without any variables to expand."""
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        nxt = body[i + 1] if i + 1 < len(body) else ""
        if c == "\\" and nxt == "\n":
            i += 2
            continue
        if c == "\\" and nxt in ("$", "`", "\\"):
            out.append(nxt)
            i += 2
            continue
        if c == "`" or (c == "$" and _EXPANDS.match(nxt)):
            if c == "`":
                what = "`…`"
            elif nxt in "({":
                what = f"${nxt}…"
            else:
                name = re.match(r"[A-Za-z_][A-Za-z_0-9]*", body[i + 1:])
                what = "$" + (name.group() if name else nxt)
            raise _ShellError(EXPANSION.format(what=what, delim=delimiter))
        out.append(c)
        i += 1
    return "".join(out)


def _echo(words: list[str]) -> str:
    newline, escapes = True, False
    args = words[1:]
    while args and re.fullmatch(r"-[neE]+", args[0]):
        newline = newline and "n" not in args[0]
        if "e" in args[0]:
            escapes = True
        if "E" in args[0]:
            escapes = False
        args = args[1:]
    text = " ".join(args)
    if escapes:
        table = {"n": "\n", "t": "\t", "\\": "\\", "a": "\a", "b": "\b", "r": "\r",
                 "v": "\v", "f": "\f", "e": "\x1b"}
        text = re.sub(r"\\(.)", lambda m: table.get(m.group(1), m.group(0)), text)
    return text + ("\n" if newline else "")


def _run_stage(words: list[str], stdin: str | None) -> tuple[str, str]:
    """Output and stderr of a `cat` or `echo` in the pipeline."""
    if words[0] == "echo":
        return _echo(words), ""
    out, err = "", ""
    files = words[1:] or ["-"]
    for name in files:
        if name == "-":
            out += stdin or ""
            stdin = ""
        else:
            err += f"cat: {name}: No such file or directory\n"
    return out, err


def split_input(text: str) -> ShellInput | CommandResult:
    """Split console input into the command line and its standard input (see module doc).

    Returns a CommandResult for what bash itself answers (syntax errors, unknown piped
    commands, a missing input file) and for input this console refuses.
    """
    text = text.replace("\r\n", "\n")
    try:
        stages, end, _ = _scan_command(text)
        only = stages[0]
        if len(stages) == 1 and not only.heredocs and only.input_file is None:
            if text[end:].strip():
                raise _ShellError(MULTI_LINE)
            return ShellInput(only.text)  # a plain command line: the console's business
        if not stages[-1].text:
            raise _syntax_error("newline")
        _, warnings = _read_bodies(stages, text, end)
        data: str | None = None
        for index, stage in enumerate(stages):
            try:
                words = shlex.split(stage.text, posix=True)
            except ValueError as exc:  # cannot happen after the scan; be safe
                raise _unterminated("'") from exc
            if not words:
                raise _syntax_error("|")
            if stage.input_file is not None:
                raise _ShellError(f"bash: {stage.input_file}: No such file or directory")
            stdin = stage.heredocs[-1].body if stage.heredocs else data
            last = index == len(stages) - 1
            name = words[0]
            if last and name == "kubectl":
                return ShellInput(stage.text, stdin, warnings)
            if name in ("cat", "echo"):
                data, err = _run_stage(words, stdin)
                warnings += err
                if last:  # bash prints it
                    return CommandResult(data, warnings, 1 if err else 0)
                continue
            if last and len(stages) == 1:  # `foo <<EOF`: the console answers for foo
                return ShellInput(stage.text, stdin, warnings)
            if name in _KNOWN_TOOLS:
                raise _ShellError(PIPE_ONLY)
            raise _ShellError(f"bash: {name}: command not found", 127)
    except _ShellError as exc:
        return exc.result
    raise AssertionError("unreachable")  # pragma: no cover
