"""Command-line parsing with cobra/pflag's rules and kubectl's error texts.

pflag semantics: flags may come before or after positional arguments; `--` ends the
flags; `--flag=value`, `--flag value`, `-f value`, `-fvalue`, `-f=value`; boolean
shorthands combine (`-it`); a boolean takes a value only as `--flag=false`.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field


class UsageError(Exception):
    """A flag error: printed as `error: <msg>` + `See 'kubectl <cmd> --help' for usage.`"""


@dataclass(frozen=True, slots=True)
class Flag:
    name: str
    short: str = ""
    boolean: bool = False


@dataclass
class Parsed:
    values: dict[str, str | bool] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    after_dash: list[str] | None = None  # what followed `--`, if present
    dash_at: int = -1  # number of positional args before `--`

    def get(self, name: str, default: str | bool | None = None) -> str | bool | None:
        return self.values.get(name, default)

    def text(self, name: str) -> str | None:
        v = self.values.get(name)
        return v if isinstance(v, str) else None

    def flag(self, name: str) -> bool:
        return bool(self.values.get(name, False))


def split_command(line: str) -> list[str]:
    """Shell words (POSIX quoting). Raises ValueError on an unterminated quote."""
    return shlex.split(line, comments=False, posix=True)


# strconv.ParseBool's spellings (pflag parses booleans with it)
TRUE_WORDS = frozenset({"1", "t", "T", "TRUE", "true", "True"})
FALSE_WORDS = frozenset({"0", "f", "F", "FALSE", "false", "False"})


def _bool(value: str, name: str) -> bool:
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise UsageError(f'invalid argument "{value}" for "--{name}" flag: strconv.ParseBool: '
                     f'parsing "{value}": invalid syntax')


def parse(words: list[str], flags: list[Flag]) -> Parsed:
    """Parse `words` (after the sub-command) with pflag's rules."""
    longs = {f.name: f for f in flags}
    shorts = {f.short: f for f in flags if f.short}
    out = Parsed()
    i = 0
    while i < len(words):
        w = words[i]
        i += 1
        if w == "--":
            out.dash_at = len(out.args)
            out.after_dash = words[i:]
            break
        if w.startswith("--") and len(w) > 2:
            name, eq, value = w[2:].partition("=")
            f = longs.get(name)
            if f is None:
                raise UsageError(f"unknown flag: --{name}")
            if f.boolean:
                out.values[f.name] = _bool(value, f.name) if eq else True
            elif eq:
                out.values[f.name] = value
            elif i < len(words):
                out.values[f.name] = words[i]
                i += 1
            else:
                raise UsageError(f"flag needs an argument: --{name}")
            continue
        if w.startswith("-") and len(w) > 1:
            letters = w[1:]
            j = 0
            while j < len(letters):
                c = letters[j]
                f = shorts.get(c)
                if f is None:
                    raise UsageError(f"unknown shorthand flag: '{c}' in {w}")
                rest = letters[j + 1:]
                if f.boolean:
                    if rest.startswith("="):
                        out.values[f.name] = _bool(rest[1:], f.name)
                        break
                    out.values[f.name] = True
                    j += 1
                    continue
                if rest:
                    out.values[f.name] = rest[1:] if rest.startswith("=") else rest
                elif i < len(words):
                    out.values[f.name] = words[i]
                    i += 1
                else:
                    raise UsageError(f"flag needs an argument: '{c}' in {w}")
                break
            continue
        out.args.append(w)
    return out
