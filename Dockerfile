# ClusterLab web image: daphne serving clusterlab.asgi:application on :8000.
# Built and run by docker-compose.yml (see docs/deploy.md); usable on its own too:
#   docker build -t clusterlab . && docker run -e SECRET_KEY=... -e ALLOWED_HOSTS=... clusterlab
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=clusterlab.settings \
    PYTHONPATH=/app \
    STATIC_ROOT=/app/staticfiles

WORKDIR /app

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml changes.
# A stub package lets pip resolve and install the project's dependencies without the source.
COPY pyproject.toml ./
RUN mkdir clusterlab && touch clusterlab/__init__.py \
    && pip install . \
    && pip uninstall -y clusterlab \
    && rm -rf clusterlab build ./*.egg-info

# The project itself. The app runs from /app (PYTHONPATH, WORKDIR): settings find
# templates/ and static/ next to the package; `pip install` adds the console scripts.
COPY . .
RUN pip install --no-deps . \
    && rm -rf build ./*.egg-info \
    && chmod 0755 deploy/entrypoint.sh

# Static files are collected at build time (DEBUG off: hashed, compressed names and a
# manifest). The key only satisfies settings' refusal to start without one; it is not kept.
RUN SECRET_KEY=collectstatic-build-only-not-a-secret python manage.py collectstatic --noinput

# Unprivileged runtime user. /srv/static is the mount point of the volume shared with the
# proxy; created here so a fresh named volume inherits this owner.
RUN useradd --system --uid 10001 --user-group --home-dir /nonexistent --shell /usr/sbin/nologin app \
    && mkdir -p /srv/static \
    && chown app:app /srv/static
USER app

EXPOSE 8000

# Ready = database and channel layer answer (/readyz). localhost must be in ALLOWED_HOSTS
# (docker-compose.yml appends it); urlopen raises on 503, so the exit code is non-zero.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8000/readyz', timeout=4)"]

ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["daphne", "--bind", "0.0.0.0", "--port", "8000", "--proxy-headers", "clusterlab.asgi:application"]
