# syntax=docker/dockerfile:1
# Build: install the pins and bun, and build the frontend once so the image starts fast.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    REFLEX_USE_SYSTEM_BUN=1 \
    REFLEX_TELEMETRY_ENABLED=false \
    PATH=/opt/bun/node_modules/.bin:/venv/bin:$PATH
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm unzip \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
# Exactly as tests/shipping/test_fresh_venv.py builds its venv: requirements.txt alone.
RUN python -m venv /venv && /venv/bin/python -m pip install -r requirements.txt
RUN npm install --prefix /opt/bun --no-audit --no-fund bun@1.4.4
COPY . .
RUN reflex export --frontend-only --no-zip

# Run: the same files as a non-root user; deploy/start.sh migrates (once across replicas), then serves.
FROM python:3.11-slim-bookworm
ENV PYTHONUNBUFFERED=1 \
    REFLEX_USE_SYSTEM_BUN=1 \
    REFLEX_TELEMETRY_ENABLED=false \
    BACKEND_ENVIRONMENT=prod \
    BACKEND_PORT=8000 \
    PATH=/opt/bun/node_modules/.bin:/venv/bin:$PATH
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 app
COPY --from=build /venv /venv
COPY --from=build /opt/bun /opt/bun
COPY --from=build --chown=app:app /app /app
WORKDIR /app
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=5 \
    CMD ["curl", "-fsS", "http://127.0.0.1:8000/api/v1/monitoring/live"]
CMD ["sh", "deploy/start.sh"]
