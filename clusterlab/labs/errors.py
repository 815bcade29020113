"""The API's error conditions, raised by the write path and turned into responses.

Messages follow the Kubernetes API server (validation.md VAL-1): `pods "web" not
found`, `services "web" already exists`, `Service "web" is invalid: …`, and the
409 text of a stale update.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from clusterlab.sim.errors import FieldError, ManifestError, Problem


class LabsError(Exception):
    status_code = 400

    def __init__(self, detail: str, **extra: Any):
        self.detail = detail
        self.extra = extra
        super().__init__(detail)

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail, **self.extra}


class NotFound(LabsError):
    status_code = 404


class AlreadyExists(LabsError):
    status_code = 409


class Conflict(LabsError):
    """Stale resourceVersion; the body carries the current one."""

    status_code = 409

    def __init__(self, current: int, what: str = "clusters", name: str = ""):
        super().__init__(
            f'Operation cannot be fulfilled on {what} "{name}": the object has been modified; '
            "please apply your changes to the latest version and try again",
            resource_version=current)


class Invalid(LabsError):
    """400 with field-level errors: `{"detail", "errors": [{field, type, message, object?}]}`."""

    status_code = 400

    def __init__(self, detail: str, errors: list[dict[str, Any]]):
        super().__init__(detail, errors=errors)

    @classmethod
    def from_field_errors(cls, kind: str, name: str, errors: list[FieldError],
                          ref: dict[str, Any] | None = None) -> Invalid:
        body = str(errors[0]) if len(errors) == 1 else \
            "[" + ", ".join(str(e) for e in errors) + "]"
        dicts = [e.to_dict() | ({"object": ref} if ref else {}) for e in errors]
        return cls(f'{kind} "{name}" is invalid: {body}', dicts)

    @classmethod
    def from_manifest_error(cls, exc: ManifestError) -> Invalid:
        return cls(describe_problems(exc.problems), [p.to_dict() for p in exc.problems])

    @classmethod
    def field(cls, error: FieldError, kind: str = "", name: str = "") -> Invalid:
        if kind:
            return cls.from_field_errors(kind, name, [error])
        return cls(str(error), [error.to_dict()])


class TooLarge(LabsError):
    status_code = 413


class EngineFailure(LabsError):
    """The simulator could not answer (a bug or stored data it now refuses): 422, not 500."""

    status_code = 422


def describe_problems(problems: list[Problem]) -> str:
    """`Service "web" is invalid: …` per object (API server wording), joined by `; `."""
    groups: OrderedDict[tuple[str, str], list[str]] = OrderedDict()
    loose: list[str] = []
    for problem in problems:
        if problem.ref is None:
            loose.append(str(problem.error))
        else:
            groups.setdefault((problem.ref.kind, problem.ref.name), []).append(str(problem.error))
    parts = [f'{kind} "{name}" is invalid: ' + (errs[0] if len(errs) == 1 else
                                               "[" + ", ".join(errs) + "]")
             for (kind, name), errs in groups.items()]
    return "; ".join(parts + loose) or "invalid manifest"
