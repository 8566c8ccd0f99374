"""Smoke test of an installed hug-cors, run by ``tox -e package``:
``python smoke_installed.py hug`` or ``python smoke_installed.py falcon``.

It runs with the interpreter of a bare venv that holds the built wheel and what it
declares. ``hug``: hug and hug_cors work there, on Falcon 2.0 (``pip install
hug-cors[hug]``, or a hug user's ``pip install hug-cors``). ``falcon``: a plain Falcon app
works with the newest Falcon, and hug is not installed (a Falcon user's ``pip install
hug-cors``). A plain script: pytest never collects scripts/.
"""

from __future__ import annotations

import importlib.metadata as metadata
import importlib.util
import os
import sys
from typing import Any, Dict

import falcon
import falcon.testing

import hug_cors

ORIGIN = "https://app.example.com"
PREFLIGHT = {"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}


def smoke_hug() -> None:
    import hug

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

    response = hug.test.call("OPTIONS", api, "/hello", headers=PREFLIGHT)
    assert response.headers_dict["Access-Control-Allow-Origin"] == ORIGIN, response.headers


def smoke_falcon() -> None:
    assert importlib.util.find_spec("hug") is None, "a Falcon user's install brought hug"
    assert int(falcon.__version__.split(".")[0]) >= 4, falcon.__version__

    class Hello:
        def on_get(self, req: Any, resp: Any) -> None:
            resp.media = {"hello": "world"}

    app = falcon.App()
    app.add_middleware(hug_cors.CORSMiddleware(app, allow_origins=[ORIGIN]))
    app.add_route("/hello", Hello())
    client = falcon.testing.TestClient(app)
    response = client.simulate_get("/hello", headers={"Origin": ORIGIN})
    assert response.json == {"hello": "world"}, response.text
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN, response.headers
    response = client.simulate_options("/hello", headers=PREFLIGHT)
    assert response.headers["Access-Control-Allow-Methods"] == "GET, OPTIONS", response.headers


# The installed copy, not a checkout that happens to be on sys.path.
assert os.path.realpath(hug_cors.__file__).startswith(os.path.realpath(sys.prefix)), hug_cors
{"hug": smoke_hug, "falcon": smoke_falcon}[sys.argv[1]]()

names = {d.metadata["Name"].lower().replace("_", "-"): d.version for d in metadata.distributions()}
wanted = ("hug", "hug-upgraded", "hug-cors", "falcon", "setuptools", "legacy-cgi")
installed = [f"{name}=={names[name]}" for name in wanted if name in names]
print(
    f"hug-cors smoke test ({sys.argv[1]}) passed on Python {sys.version.split()[0]}:",
    ", ".join(installed),
)
