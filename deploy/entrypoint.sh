#!/bin/sh
# Entrypoint of the web image: apply migrations, share the static files with the proxy,
# then exec the command (daphne by default) so it is PID 1's child and gets the signals.
#
# Run from the project directory (the image's WORKDIR /app; the two-daphne test runs it
# from the source tree). Environment, besides what clusterlab/settings.py reads:
#   MIGRATE_ON_START   1 (default) runs `migrate --noinput`; 0 skips it.
#   STATIC_SHARED_DIR  when set, the collected static files (STATIC_ROOT) are copied there
#                      for the proxy to serve (docker-compose.yml mounts a named volume).
set -eu

if [ "${MIGRATE_ON_START:-1}" = "1" ]; then
    # Several replicas start at once under `docker compose up --scale web=3`. Django's
    # migrate takes no lock of its own: two of them racing on an empty PostgreSQL database
    # fail with "duplicate key ... django_migrations_id_seq" or "relation already exists".
    # So each one first takes a PostgreSQL session-level advisory lock on the same
    # connection migrate then uses; the others wait for it and find nothing left to apply.
    # PostgreSQL's DDL is transactional, so a replica killed halfway leaves no half-applied
    # migration, and its lock dies with its session. SQLite (embedded runs) has one writer.
    python - <<'PY'
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clusterlab.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

MIGRATION_LOCK = 0x436C75737465724C  # "ClusterL": one advisory lock id for every replica

if connection.vendor == "postgresql":
    with connection.cursor() as cursor:
        print("entrypoint: waiting for the migration lock", flush=True)
        cursor.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK])
    try:
        call_command("migrate", interactive=False)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK])
else:
    call_command("migrate", interactive=False)
PY
fi

if [ -n "${STATIC_SHARED_DIR:-}" ]; then
    # Copy, not mount: a named volume is seeded from the image only while it is empty, so
    # mounting it over STATIC_ROOT would keep serving the first release's files forever.
    # Each changed file is written beside its target and renamed over it, so the proxy
    # never reads a half-written file and replicas copying at once do not clash. Old
    # hashed files stay (pages still cached by browsers may ask for them).
    python - <<'PY'
import filecmp
import os
import shutil
from pathlib import Path

source = Path(os.environ.get("STATIC_ROOT", "/app/staticfiles"))
target_root = Path(os.environ["STATIC_SHARED_DIR"])
if not source.is_dir():
    raise SystemExit(f"entrypoint: STATIC_ROOT {source} does not exist; run collectstatic")
copied = 0
for path in source.rglob("*"):
    if not path.is_file():
        continue
    target = target_root / path.relative_to(source)
    if target.is_file() and filecmp.cmp(path, target):
        continue
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    shutil.copyfile(path, partial)
    os.replace(partial, target)
    copied += 1
print(f"entrypoint: {copied} static files updated in {target_root}", flush=True)
PY
fi

exec "$@"
