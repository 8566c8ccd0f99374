"""Smoke test of an installed hug-cors, run by ``tox -e package``.

It runs with the interpreter of a bare venv that holds only the built wheel and the
dependencies it declares, so it shows that ``pip install hug-cors`` leaves a working
hug (and hug_cors) on that Python. A plain script: pytest never collects scripts/.
"""

from __future__ import annotations

import importlib.metadata as metadata
import os
import sys
from typing import Dict

import falcon
import hug

import hug_cors

ORIGIN = "https://app.example.com"

# The installed copy, not a checkout that happens to be on sys.path.
assert os.path.realpath(hug_cors.__file__).startswith(os.path.realpath(sys.prefix)), hug_cors
assert falcon.__version__ == "2.0.0", falcon.__version__

api = hug.API("hug_cors_smoke")
api.http.add_middleware(hug_cors.CORSMiddleware(api, allow_origins=[ORIGIN]))


@hug.get("/hello", api=api)
def hello() -> Dict[str, str]:
    return {"hello": "world"}


response = hug.test.get(api, "/hello", headers={"Origin": ORIGIN})
assert response.status == falcon.HTTP_200, response.status
assert response.data == {"hello": "world"}, response.data
assert response.headers_dict["Access-Control-Allow-Origin"] == ORIGIN, response.headers

response = hug.test.call("GET", api, "/hello", headers={"Origin": "https://evil.example"})
assert response.status == falcon.HTTP_200, response.status
assert "Access-Control-Allow-Origin" not in response.headers_dict, response.headers

preflight = {"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
response = hug.test.call("OPTIONS", api, "/hello", headers=preflight)
assert response.headers_dict["Access-Control-Allow-Origin"] == ORIGIN, response.headers

names = {d.metadata["Name"].lower().replace("_", "-"): d.version for d in metadata.distributions()}
wanted = ("hug", "hug-upgraded", "hug-cors", "falcon", "setuptools", "legacy-cgi")
installed = [f"{name}=={names[name]}" for name in wanted if name in names]
print(f"hug-cors smoke test passed on Python {sys.version.split()[0]}:", ", ".join(installed))
