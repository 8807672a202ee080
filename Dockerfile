# syntax=docker/dockerfile:1
# Build stage: wheels for the pinned requirements.
FROM python:3.11-slim-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY requirements.txt .
RUN pip wheel --no-cache-dir --wheel-dir /wheels -r requirements.txt

# Run stage: WeasyPrint's system libraries, pg_dump/pg_restore for the backup and restore commands
# (PostgreSQL 15's, as the compose file's server), the app, a non-root user, gunicorn.
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 dashboard
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/* && rm -rf /wheels
WORKDIR /app
COPY --chown=dashboard:dashboard . .
ENV PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    DATA_DIR=/data
# collectstatic needs settings but no real secrets; the placeholders exist only for this step.
RUN DEBUG=0 SECRET_KEY=collectstatic-only \
    ENCRYPTION_KEYS=ZmFrZS1rZXktZm9yLWNvbGxlY3RzdGF0aWMtb25seTA= \
    python manage.py collectstatic --noinput \
    && mkdir -p /data/media && chown -R dashboard:dashboard /data
USER dashboard
EXPOSE 8000
# The web server's readiness; docker-compose.yml gives every other service a check of its own.
HEALTHCHECK --interval=30s --timeout=10s --retries=3 --start-period=120s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz/ready', timeout=5)"
CMD ["gunicorn", "config.wsgi", "--config", "config/gunicorn.py"]
