#!/bin/sh
# Start one replica: migrate, then serve. Replicas started together migrate once: alembic/env.py
# holds a PostgreSQL advisory lock while it migrates, so the others wait and then find head.
# Arguments replace the default server (the tests serve the API alone with uvicorn).
set -e
alembic upgrade head
if [ "$#" -eq 0 ]; then
    set -- reflex run --env prod --single-port
fi
exec "$@"
