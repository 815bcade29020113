"""The docker-compose deployment, checked without a Docker engine.

CI has no Docker engine, so these tests check what can be checked from the files: the
compose file against the Compose Specification schema, the topology facts that make
`docker compose up -d --scale web=3` work, the proxy's WebSocket and static handling,
the image recipe, the entrypoint (run for real on SQLite), and that the settings module
behaves in production mode as the deployment expects.
"""

from __future__ import annotations

import os
import re
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def nginx_conf() -> str:
    # Comments removed so an assertion cannot be satisfied by prose.
    return re.sub(r"#[^\n]*", "", NGINX_CONF.read_text())


def nginx_block(conf: str, opening: str) -> str:
    """Body of the `{ ... }` block whose header is `opening` (e.g. `location /ws/`)."""
    match = re.search(re.escape(opening) + r"\s*\{", conf)
    assert match, f"no `{opening} {{` block in {NGINX_CONF.name}"
    depth, start = 1, match.end()
    for i in range(start, len(conf)):
        depth += {"{": 1, "}": -1}.get(conf[i], 0)
        if depth == 0:
            return conf[start:i]
    raise AssertionError(f"unbalanced braces after `{opening}`")


def directives(block: str, name: str) -> list[str]:
    """Arguments of each `name ...;` directive in a block (nested blocks included)."""
    return [m.group(1).strip() for m in re.finditer(rf"(?m)^\s*{name}\s+([^;]*);", block)]


def check_compose_schema(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True, text=True, timeout=60)


def env_names(service: dict) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v) for k, v in env.items()}


# --- Compose Specification ---------------------------------------------------------------

def test_compose_file_validates_against_the_compose_specification():
    result = check_compose_schema(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_validation_rejects_a_broken_compose_file(tmp_path, compose):
    """The validator is not a no-op: a misspelt key and a wrong type are caught."""
    broken = {**compose, "services": {**compose["services"]}}
    broken["services"]["web"] = {**compose["services"]["web"], "helthcheck": {"test": "x"},
                                 "restart": ["always"]}
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(broken))
    result = check_compose_schema(path)
    assert result.returncode != 0
    assert "helthcheck" in result.stdout + result.stderr


def test_compose_file_uses_the_specification_not_a_legacy_version(compose):
    assert "version" not in compose
    assert set(compose["services"]) == {"web", "db", "redis", "proxy"}


# --- Topology ------------------------------------------------------------------------------

def test_web_scales_no_container_name_and_no_published_port(compose):
    web = compose["services"]["web"]
    assert "container_name" not in web, "a fixed name allows one container only"
    assert "ports" not in web, "a fixed host port allows one replica only; the proxy is the way in"
    assert web["build"] in (".", {"context": "."})


def test_web_healthcheck_asks_readyz(compose):
    test = compose["services"]["web"]["healthcheck"]["test"]
    command = " ".join(test) if isinstance(test, list) else test
    assert "http://localhost:8000/readyz" in command
    # The healthcheck's Host header is localhost: it must be allowed.
    allowed = env_names(compose["services"]["web"])["ALLOWED_HOSTS"]
    assert "localhost" in allowed.split(",")


def test_web_waits_for_healthy_db_and_redis(compose):
    depends = compose["services"]["web"]["depends_on"]
    assert depends["db"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"
    assert "pg_isready" in str(compose["services"]["db"]["healthcheck"]["test"])
    assert "ping" in str(compose["services"]["redis"]["healthcheck"]["test"])


def test_web_environment_points_at_the_compose_services(compose):
    env = env_names(compose["services"]["web"])
    assert re.fullmatch(r"postgres://\$\{POSTGRES_USER[^}]*\}:\$\{POSTGRES_PASSWORD:\?[^}]+\}"
                        r"@db:5432/\$\{POSTGRES_DB[^}]*\}", env["DATABASE_URL"])
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert env["SECRET_KEY"] == "${SECRET_KEY:?set SECRET_KEY in .env}"
    assert env["SECURE_SSL_REDIRECT"] == "${SECURE_SSL_REDIRECT:-0}"
    assert compose["services"]["web"]["env_file"] in (".env", [".env"])


def test_images_are_the_ones_documented(compose):
    services = compose["services"]
    assert services["db"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    # `server ... resolve` in an upstream block needs nginx >= 1.27.3.
    major, minor = map(int, re.fullmatch(r"nginx:(\d+)\.(\d+)(-alpine)?",
                                         services["proxy"]["image"]).group(1, 2))
    assert (major, minor) >= (1, 28)


def test_db_keeps_its_data_in_a_named_volume(compose):
    mounts = compose["services"]["db"]["volumes"]
    named = [m.split(":")[0] for m in mounts if m.endswith(":/var/lib/postgresql/data")]
    assert named and named[0] in compose["volumes"], "the data directory is not a named volume"


def test_proxy_publishes_a_configurable_port_and_shares_static_files(compose):
    proxy, web = compose["services"]["proxy"], compose["services"]["web"]
    assert proxy["ports"] == ["${HTTP_PORT:-80}:80"]
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    assert "static:/srv/static:ro" in proxy["volumes"]
    assert "static:/srv/static" in web["volumes"]
    assert "static" in compose["volumes"]
    assert env_names(web)["STATIC_SHARED_DIR"] == "/srv/static"


# --- Proxy configuration -----------------------------------------------------------------

def test_proxy_balances_over_every_web_replica(nginx_conf):
    upstream = nginx_block(nginx_conf, "upstream clusterlab_web")
    assert directives(upstream, "server") == ["web:8000 resolve max_fails=3 fail_timeout=10s"]
    assert directives(upstream, "resolver") == ["127.0.0.11 valid=10s ipv6=off"]
    assert directives(upstream, "zone"), "`resolve` needs a shared memory zone"
    for location in ("location /ws/", "location /", "location @web"):
        assert directives(nginx_block(nginx_conf, location), "proxy_pass") == [
            "http://clusterlab_web"]


def test_proxy_upgrades_websockets_on_ws(nginx_conf):
    mapping = nginx_block(nginx_conf, "map $http_upgrade $connection_upgrade")
    assert re.search(r"default\s+upgrade;", mapping)
    server = nginx_block(nginx_conf, "server")
    assert directives(server, "proxy_http_version") == ["1.1"]
    headers = directives(server, "proxy_set_header")
    assert "Upgrade $http_upgrade" in headers
    assert "Connection $connection_upgrade" in headers
    ws = nginx_block(nginx_conf, "location /ws/")
    assert directives(ws, "proxy_read_timeout") == ["1h"]
    assert directives(ws, "proxy_send_timeout") == ["1h"]


def test_proxy_sets_forwarded_headers_and_host(nginx_conf):
    headers = directives(nginx_block(nginx_conf, "server"), "proxy_set_header")
    assert "Host $http_host" in headers
    assert "X-Forwarded-Proto $scheme" in headers
    # $remote_addr, not $proxy_add_x_forwarded_for: daphne --proxy-headers takes the first
    # address, which a client could otherwise choose.
    assert "X-Forwarded-For $remote_addr" in headers


def test_proxy_compresses_api_json_and_nothing_else(nginx_conf):
    api = nginx_block(nginx_conf, "location /api/")
    assert directives(api, "proxy_pass") == ["http://clusterlab_web"]
    assert directives(api, "gzip") == ["on"]
    assert directives(api, "gzip_types") == ["application/json"]
    # pages (they carry the CSRF token) stay uncompressed
    assert directives(nginx_block(nginx_conf, "location / "), "gzip") == []
    server = re.sub(r"location[^{]*\{[^{}]*\}", "", nginx_block(nginx_conf, "server"))
    assert directives(server, "gzip") == []


def test_proxy_serves_static_files_with_long_cache_headers(nginx_conf):
    static = nginx_block(nginx_conf, "location /static/")
    assert directives(static, "root") == ["/srv"]
    assert "$uri @web" in directives(static, "try_files")
    hashed = nginx_block(static, 'location ~ "\\.[0-9a-f]{12}\\.[A-Za-z0-9]+$"')
    assert 'Cache-Control "public, max-age=31536000, immutable" always' in directives(
        hashed, "add_header")
    # The pattern matches the manifest's names (12 hex digits) and nothing else.
    pattern = r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$"
    assert re.search(pattern, "/static/css/site.8b0d57b022ca.css")
    assert not re.search(pattern, "/static/css/site.css")


# --- Environment ---------------------------------------------------------------------------

SETTINGS_ENV = re.compile(
    r"""(?:os\.environ\.get|os\.getenv|env_bool|env_list)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""|os\.environ\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\]""")


def settings_variables() -> set[str]:
    text = (ROOT / "clusterlab" / "settings.py").read_text()
    return {a or b for a, b in SETTINGS_ENV.findall(text)}


def example_variables() -> set[str]:
    """Names assigned in .env.example, commented-out examples (`# NAME=`) included."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"(?m)^#?\s*([A-Z][A-Z0-9_]*)=", text))


def test_every_settings_variable_is_documented_in_env_example():
    read = settings_variables()
    # The regex must find the obvious ones, or an empty set would pass vacuously.
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "DEBUG",
            "CSRF_TRUSTED_ORIGINS"} <= read
    missing = read - example_variables()
    assert not missing, f".env.example does not list {sorted(missing)}"


def test_every_compose_variable_is_documented_in_env_example(compose):
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE.read_text()))
    assert {"SECRET_KEY", "POSTGRES_PASSWORD", "ALLOWED_HOSTS", "HTTP_PORT"} <= used
    missing = used - example_variables()
    assert not missing, f".env.example does not list {sorted(missing)}"


def test_env_example_leaves_the_secrets_empty():
    text = (ROOT / ".env.example").read_text()
    for name in ("SECRET_KEY", "POSTGRES_PASSWORD", "ALLOWED_HOSTS"):
        assert re.search(rf"(?m)^{name}=$", text), f"{name} should be empty, forcing a choice"


# --- Image ---------------------------------------------------------------------------------

def test_dockerfile_builds_a_non_root_daphne_image():
    dockerfile = re.sub(r"(?m)^\s*#.*\n", "", (ROOT / "Dockerfile").read_text())
    assert re.search(r"(?m)^FROM python:3\.11-slim\b", dockerfile)
    users = re.findall(r"(?m)^USER\s+(\S+)", dockerfile)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r"pip install (--no-deps )?\.", dockerfile)
    assert re.search(r"SECRET_KEY=\S+ python manage.py collectstatic --noinput", dockerfile)
    assert "STATIC_ROOT=/app/staticfiles" in dockerfile
    assert 'ENTRYPOINT ["/app/deploy/entrypoint.sh"]' in dockerfile
    cmd = re.search(r"(?m)^CMD\s+(\[.*\])$", dockerfile).group(1)
    assert yaml.safe_load(cmd) == ["daphne", "--bind", "0.0.0.0", "--port", "8000",
                                   "--proxy-headers", "clusterlab.asgi:application"]
    assert "HEALTHCHECK" in dockerfile and "/readyz" in dockerfile


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    patterns = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")}
    assert {".env", ".git", ".venv", "db.sqlite3", "staticfiles"} <= patterns
    for needed in ("pyproject.toml", "manage.py", "clusterlab", "templates", "static",
                   "deploy", "README.md"):
        assert needed not in patterns, f"{needed} is needed in the build context"


# --- Entrypoint ----------------------------------------------------------------------------

def clean_env(**extra: str) -> dict[str, str]:
    """A production-mode environment: nothing inherited but PATH (venv first) and HOME."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {"PATH": path, "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8", **extra}


def test_entrypoint_migrates_shares_static_files_and_execs_the_command(tmp_path):
    assert os.access(ENTRYPOINT, os.X_OK), "entrypoint.sh must be executable"
    collected = tmp_path / "collected"
    (collected / "css").mkdir(parents=True)
    (collected / "css" / "site.0123456789ab.css").write_text("body{}")
    shared = tmp_path / "shared"
    (shared / "css").mkdir(parents=True)
    (shared / "css" / "site.0123456789ab.css").write_text("stale")   # replaced
    (shared / "css" / "site.aaaaaaaaaaaa.css").write_text("older")   # kept
    database = tmp_path / "db.sqlite3"
    env = clean_env(SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="localhost",
                    SQLITE_PATH=str(database), STATIC_ROOT=str(collected),
                    STATIC_SHARED_DIR=str(shared))
    result = subprocess.run([str(ENTRYPOINT), "python", "-c", "print('command ran')"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.rstrip().endswith("command ran")
    assert "1 static files updated" in result.stdout
    assert (shared / "css" / "site.0123456789ab.css").read_text() == "body{}"
    assert (shared / "css" / "site.aaaaaaaaaaaa.css").read_text() == "older"
    assert not list(shared.rglob("*.partial"))
    with sqlite3.connect(database) as db:
        applied = {row[0] for row in db.execute("SELECT app FROM django_migrations")}
    assert {"auth", "contenttypes", "sessions"} <= applied


def test_entrypoint_stops_when_migrations_fail(tmp_path):
    env = clean_env(SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="localhost",
                    SQLITE_PATH=str(tmp_path / "missing-dir" / "db.sqlite3"))
    result = subprocess.run([str(ENTRYPOINT), "python", "-c", "print('command ran')"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "command ran" not in result.stdout


# --- Settings in production mode ------------------------------------------------------------

def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_passes_in_production_mode(tmp_path):
    env = clean_env(SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="clusterlab.example.com",
                    SQLITE_PATH=str(tmp_path / "db.sqlite3"))
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_is_not_a_no_op(tmp_path):
    """A weak key is reported by the same command, so the passing test above means something."""
    env = clean_env(SECRET_KEY="short", ALLOWED_HOSTS="clusterlab.example.com",
                    SQLITE_PATH=str(tmp_path / "db.sqlite3"))
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_production_mode_refuses_to_start_without_secret_key(tmp_path):
    env = clean_env(ALLOWED_HOSTS="clusterlab.example.com", SQLITE_PATH=str(tmp_path / "db"))
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in result.stderr

