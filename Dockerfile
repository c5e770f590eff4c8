# Production image: one image for web (daphne), worker and beat.

# The staff console's scripts and styles and the technician app (/tech/), built by Vite from package-lock.json
# (not committed).
FROM node:20-bookworm-slim AS assets
WORKDIR /src
COPY package.json package-lock.json vite.config.js ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend frontend
RUN node_modules/.bin/vite build --logLevel warn
COPY technician_app technician_app
RUN node_modules/.bin/vite build --config technician_app/vite.config.ts --logLevel warn

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/app/.venv \
    DJANGO_SETTINGS_MODULE=backend.config.settings.production \
    PATH=/app/.venv/bin:$PATH

WORKDIR /app
RUN pip install --no-cache-dir uv==0.13.9 \
    && apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project
COPY --from=assets /src/backend/console/static/console/build backend/console/static/console/build
COPY --from=assets /src/technician_app/dist technician_app/dist
COPY . .
RUN python -m backend.tools.compile_messages \
    && SECRET_KEY=build-time-only-0123456789abcdefghijklmnopqrstuvwxyz-not-a-secret ALLOWED_HOSTS=build \
       DATABASE_URL=sqlite:////tmp/build.sqlite3 REDIS_URL=redis://build \
       ID_HASH_KEY=build-time-only-0123456789abcdefghij QR_SIGNING_KEY=build-time-only-0123456789abcdefghij \
       PUBLIC_BASE_URL=https://build python manage.py collectstatic --noinput -v0 \
    && useradd --create-home --uid 10001 anxin && mkdir -p /app/var/media /app/var/uploads && chown -R anxin /app/var
USER anxin
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "backend.config.asgi:application"]
