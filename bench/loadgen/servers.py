"""Servers for the live benchmarks, started the way the tests start them.

* `TwoDaphne`: the compose topology natively (tests/deploy/test_two_daphne.py): a
  scratch PostgreSQL database, a Redis database number of its own, two daphne
  processes started through deploy/entrypoint.sh in production mode.
* `manage_shell`: run Python in `manage.py shell` with a server's environment (same
  database and SECRET_KEY, so session cookies made there are valid for the server).
* `cpu_seconds`: user+system CPU time of a process from /proc (Linux), for the figures.

The process helpers (`listening`, `free_port`, `get_json`, `stop`) come from the
two-daphne test so both start and stop replicas the same way.
"""

from __future__ import annotations

import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from tests.deploy.test_two_daphne import (  # the test's own helpers, not copies
    ENTRYPOINT,
    HOST,
    PG_ADMIN_URL,
    PG_PORT,
    REDIS_PORT,
    free_port,
    get_json,
    listening,
    stop,
)

ROOT = Path(__file__).resolve().parents[2]
CLK_TCK = os.sysconf("SC_CLK_TCK")

__all__ = ["HOST", "PG_PORT", "REDIS_PORT", "ROOT", "Daphne", "TwoDaphne", "cpu_seconds",
           "listening", "manage_shell", "raise_fd_limit", "services_down"]


def raise_fd_limit() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit (inherited by the processes we start)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def services_down() -> list[str]:
    return [name for name, port in (("PostgreSQL", PG_PORT), ("Redis", REDIS_PORT))
            if not listening(port)]


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process (not its children), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


@dataclass
class Daphne:
    name: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.port}"

    def ws(self, path: str) -> str:
        return f"ws://{HOST}:{self.port}{path}"

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def manage_shell(env: dict[str, str], code: str, timeout: float = 600) -> str:
    """stdout of `manage.py shell -c code` run with `env` (raises with stderr on failure)."""
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"manage.py shell failed ({out.returncode}):\n{out.stderr[-4000:]}")
    return out.stdout


@dataclass
class TwoDaphne:
    """Two daphne replicas on PostgreSQL + Redis; use as a context manager."""

    replicas: int = 2
    application: str = "clusterlab.asgi:application"
    start_timeout: float = 40.0
    extra_env: dict[str, str] = field(default_factory=dict)
    pythonpath: list[str] = field(default_factory=list)
    # `?socket_timeout=` in REDIS_URL (redis-py parses it); None = the settings' own.
    # Before settings set one, redis-py 8's 5 s default met channels-redis' 5 s BZPOPMIN
    # and idle sockets were closed with 1011 (django/channels_redis#422).
    redis_socket_timeout: float | None = None
    tmp: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="clusterlab-bench-")))
    database: str = ""
    env: dict[str, str] = field(default_factory=dict)
    servers: list[Daphne] = field(default_factory=list)

    def __enter__(self) -> TwoDaphne:
        raise_fd_limit()
        name = f"clusterlab_bench_{secrets.token_hex(4)}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.db_name = name
        self.database = f"postgres://postgres@{HOST}:{PG_PORT}/{name}"
        (self.tmp / "staticfiles").mkdir(exist_ok=True)
        venv_bin = str(Path(sys.executable).parent)
        self.env = {
            "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", "")]),
            "HOME": os.environ.get("HOME", str(self.tmp)),
            "LANG": "C.UTF-8",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": f"{HOST},localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "DATABASE_URL": self.database,
            "REDIS_URL": f"redis://{HOST}:{REDIS_PORT}/{secrets.choice(range(1, 16))}" + (
                f"?socket_timeout={self.redis_socket_timeout:g}"
                if self.redis_socket_timeout else ""),
            "CHANNEL_LAYER_PREFIX": f"bench{secrets.token_hex(3)}",
            "STATIC_ROOT": str(self.tmp / "staticfiles"),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": os.pathsep.join([str(ROOT), *self.pythonpath]),
            **self.extra_env,
        }
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self) -> None:
        for i in range(self.replicas):
            port = free_port()
            log = self.tmp / f"daphne-{'AB'[i] if i < 2 else i}.log"
            with log.open("wb") as sink:
                process = subprocess.Popen(
                    [str(ENTRYPOINT), "daphne", "--bind", HOST, "--port", str(port),
                     "--proxy-headers", self.application],
                    cwd=ROOT, env=self.env, stdout=sink, stderr=subprocess.STDOUT,
                    start_new_session=True)
            self.servers.append(Daphne("AB"[i] if i < 2 else str(i), port, process, log))
        deadline = time.monotonic() + self.start_timeout
        for server in self.servers:
            while True:
                if server.process.poll() is not None:
                    raise RuntimeError(f"daphne {server.name} exited:\n{server.output()}")
                try:
                    if get_json(server.base + "/readyz")[0] == 200:
                        break
                except (OSError, ValueError):
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"daphne {server.name} not ready:\n{server.output()}")
                time.sleep(0.1)

    def shell(self, code: str, timeout: float = 600) -> str:
        return manage_shell(self.env, code, timeout)

    def __exit__(self, *exc: object) -> None:
        for server in self.servers:
            stop(server.process)
        if getattr(self, "db_name", None):
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                              .format(sql.Identifier(self.db_name)))
