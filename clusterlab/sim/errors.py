"""Field errors in the API server's words (validation.md VAL-1).

`FieldError` renders exactly like apimachinery's `field.Error`:
`<path>: <type>[: <value>][: <detail>]`. `InvalidObject` groups the errors of one
object the way the API answers (`Service "web" is invalid: …`), and `ManifestError`
carries every problem of a load, so nothing is half-applied.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_NO_VALUE = object()

REQUIRED = "Required value"
INVALID = "Invalid value"
UNSUPPORTED = "Unsupported value"
DUPLICATE = "Duplicate value"
FORBIDDEN = "Forbidden"
TOO_LONG = "Too long"
TOO_MANY = "Too many"
NOT_FOUND = "Not found"


def render_value(value: Any) -> str:
    """Go `%q` for strings, plain numbers/bools, JSON for lists and structs (k8s ≥ 1.34)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return str(value)
    if value is None:
        return "null"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(frozen=True, slots=True)
class FieldError:
    path: str
    type: str
    value: Any = _NO_VALUE
    detail: str = ""

    def __str__(self) -> str:
        out = f"{self.path}: {self.type}"
        if self.value is not _NO_VALUE and self.type not in (REQUIRED, FORBIDDEN, TOO_LONG):
            out += f": {render_value(self.value)}"
        if self.detail:
            out += f": {self.detail}"
        return out

    @property
    def message(self) -> str:
        """Everything after the path, as the console prints it after `<path>: `."""
        return str(self)[len(self.path) + 2:]

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.path, "type": self.type, "message": str(self)}


def required(path: str, detail: str = "") -> FieldError:
    return FieldError(path, REQUIRED, detail=detail)


def invalid(path: str, value: Any, detail: str) -> FieldError:
    return FieldError(path, INVALID, value, detail)


def unsupported(path: str, value: Any, supported: list[str] | tuple[str, ...]) -> FieldError:
    return FieldError(path, UNSUPPORTED, value,
                      "supported values: " + ", ".join(json.dumps(s) for s in supported))


def duplicate(path: str, value: Any) -> FieldError:
    return FieldError(path, DUPLICATE, value)


def forbidden(path: str, detail: str) -> FieldError:
    return FieldError(path, FORBIDDEN, detail=detail)


def not_found(path: str, value: Any) -> FieldError:
    return FieldError(path, NOT_FOUND, value)


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """Where a problem is: kind, namespace, name, and the manifest document it came from."""

    kind: str
    name: str
    namespace: str = ""
    source: str = ""  # e.g. "app.yaml#2"

    def __str__(self) -> str:
        ident = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {ident}" + (f" in {self.source}" if self.source else "")


class InvalidObject(Exception):
    """One object failed validation: the API server's 422 `Invalid`."""

    def __init__(self, ref: ObjectRef, errors: list[FieldError]):
        self.ref = ref
        self.errors = errors
        super().__init__(self.api_message())

    def api_message(self) -> str:
        """`Service "web" is invalid: <err>` or `… is invalid: [<e1>, <e2>]`."""
        body = str(self.errors[0]) if len(self.errors) == 1 else \
            "[" + ", ".join(str(e) for e in self.errors) + "]"
        return f'{self.ref.kind} "{self.ref.name}" is invalid: {body}'

    def kubectl_message(self) -> str:
        """kubectl's `The Service "web" is invalid: …` with `* ` bullets for several errors."""
        head = f'The {self.ref.kind} "{self.ref.name}" is invalid: '
        if len(self.errors) == 1:
            return head + str(self.errors[0])
        return head + "\n" + "\n".join(f"* {e}" for e in self.errors)


@dataclass(frozen=True, slots=True)
class Problem:
    """One line of a failed load: a field error located in an object (or in the file itself)."""

    error: FieldError
    ref: ObjectRef | None = None

    def __str__(self) -> str:
        return str(self.error) + (f" [{self.ref}]" if self.ref else "")

    def to_dict(self) -> dict[str, Any]:
        out = self.error.to_dict()
        if self.ref:
            out["object"] = {"kind": self.ref.kind, "namespace": self.ref.namespace,
                             "name": self.ref.name, "source": self.ref.source}
        return out


class ManifestError(Exception):
    """A load was refused; `problems` lists every reason. Nothing was loaded."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    def cli_lines(self) -> list[str]:
        return [f"error: {p}" for p in self.problems]
