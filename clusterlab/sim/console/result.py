"""The outcome of one console command."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What the command wrote to stdout and stderr, and its exit status."""

    stdout: str
    stderr: str
    exit_code: int

    def to_dict(self) -> dict[str, object]:
        return {"stdout": self.stdout, "stderr": self.stderr, "exit_code": self.exit_code}
