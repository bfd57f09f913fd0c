# One image for every Minilok process (APIs, outbox relays, event consumers, Celery workers,
# Celery beat, migrations). docker-compose.yml picks the process with `command:`.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

# Unprivileged user the processes run as.
RUN groupadd --system --gid 10001 minilok \
 && useradd --system --uid 10001 --gid minilok --home-dir /home/minilok --create-home \
        --shell /usr/sbin/nologin minilok

WORKDIR /app

# The service packages depend on minilok_shared by path, so they are installed together in one
# pip call (non-editable: the image runs from site-packages, not from /app).
COPY shared/ ./shared/
COPY services/ ./services/
RUN pip install --no-cache-dir \
        ./shared \
        ./services/meetings \
        ./services/indicators \
        ./services/notifications \
 && rm -rf /root/.cache

# The source stays root-owned and read-only for the app user; /app itself and /app/var are
# writable so that files created at run time (SQLite fallback, celerybeat-schedule) can be made.
RUN mkdir -p /app/var && chown minilok:minilok /app /app/var

USER minilok

# APIs on 8001-8003; relays, consumers, workers and beat serve /health, /ready and /metrics on
# MINILOK_HEALTH_PORT when it is set (8080 in docker-compose.yml and deploy/kubernetes/).
EXPOSE 8001 8002 8003 8080

CMD ["minilok", "--help"]
