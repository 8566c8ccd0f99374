"""Origins from your database: each tenant registers its front end's origin in a table
that every worker of every machine reads.

Run it under several workers, register an origin, and every worker grants it within the
TTL; remove it, and every worker refuses it again within the TTL:

    export TENANTS_DB=/tmp/tenants.sqlite3
    python examples/multi_tenant.py add https://shop.tenant.example
    gunicorn --workers 4 --chdir examples multi_tenant:app
    curl -si -H 'Origin: https://shop.tenant.example' http://127.0.0.1:8000/whoami
    python examples/multi_tenant.py remove https://shop.tenant.example

SQLite stands in for the database here: a file the workers share. With PostgreSQL or
Redis, only ``tenant_allows`` changes (see docs/origins-from-your-database.md).
"""

import os
import sqlite3
import sys

import hug

from hug_cors import CORSMiddleware

DATABASE = os.environ.get("TENANTS_DB", "tenants.sqlite3")
# Seconds each worker keeps a decision: how long a new tenant waits, and how long a
# removed one keeps access. The database is asked at most once per origin per TTL.
TTL = float(os.environ.get("TENANTS_TTL", "60"))


def connect() -> sqlite3.Connection:
    connection = sqlite3.connect(DATABASE, timeout=5)
    connection.execute("CREATE TABLE IF NOT EXISTS tenant_origins (origin TEXT PRIMARY KEY)")
    return connection


def tenant_allows(origin: str) -> bool:
    """Whether a tenant registered ``origin``: one indexed lookup. If it raises (the
    database is down), hug-cors refuses the origin and logs the error."""
    with connect() as connection:
        row = connection.execute(
            "SELECT 1 FROM tenant_origins WHERE origin = ?", (origin,)
        ).fetchone()
    return row is not None


api = hug.API(__name__)
api.http.add_middleware(
    CORSMiddleware(
        api,
        allow_origins=["https://app.example.com"],  # your own front end, listed as usual
        allow_origin_func=tenant_allows,
        allow_origin_func_ttl=TTL,
        # Your front end signs in with cookies; tenants' pages call the API without them.
        allow_credentials=["https://app.example.com"],
    )
)


@hug.get("/whoami", api=api)
def whoami():
    """Which worker answered: the process id."""
    return {"worker": os.getpid()}


app = api.http.server()  # the WSGI app: gunicorn multi_tenant:app, waitress multi_tenant:app


def manage(command: str, origin: str) -> None:
    """``add`` or ``remove`` a tenant's origin in the table."""
    with connect() as connection:
        if command == "add":
            connection.execute("INSERT OR IGNORE INTO tenant_origins VALUES (?)", (origin,))
        else:
            connection.execute("DELETE FROM tenant_origins WHERE origin = ?", (origin,))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("add", "remove"):
        sys.exit("usage: python examples/multi_tenant.py add|remove ORIGIN")
    manage(sys.argv[1], sys.argv[2])
    print(f"{sys.argv[1]}: {sys.argv[2]} ({DATABASE})")
