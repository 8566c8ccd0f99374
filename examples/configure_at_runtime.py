"""Run-time reconfiguration: origins from a database (here, a list), swapped in at once.

python examples/configure_at_runtime.py
"""

import hug

from hug_cors import CORSMiddleware

TENANT_ORIGINS = ["https://acme.example.com"]  # pretend this is a table

api = hug.API(__name__)
cors = CORSMiddleware(api, allow_origins=TENANT_ORIGINS, max_age=600)
api.http.add_middleware(cors)


@hug.get("/data", api=api)
def data():
    return {"data": 42}


@hug.post("/admin/tenants", api=api)
def add_tenant(origin: hug.types.text):
    """Add a tenant's front end; a bad origin is refused and the old policy stays."""
    try:
        cors.configure(allow_origins=[*TENANT_ORIGINS, origin])
    except ValueError as error:
        return {"error": str(error)}
    TENANT_ORIGINS.append(origin)
    return {"allowed": cors.allow_origins}


if __name__ == "__main__":
    print(hug.test.post(api, "/admin/tenants", origin="https://globex.example.com").data)
    print(hug.test.post(api, "/admin/tenants", origin="https://initech.example.com/").data)
