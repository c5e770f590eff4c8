"""The PostgreSQL database a benchmark runs on: ``$DATABASE_URL`` when it names one, else a scratch
database on the local server that the benchmark drops when it is done."""

from __future__ import annotations

import os

import psycopg

ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def bench_database(name: str) -> tuple[str, bool]:
    """(url, created): ``created`` says the caller must drop it with :func:`drop_bench_database`."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        return url, False
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return f"postgres://postgres@127.0.0.1:5432/{name}", True


def drop_bench_database(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
