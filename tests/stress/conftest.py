"""The stress suite: a CORS scanner, load on real servers, and coverage-guided fuzzing.

It runs in the tox env ``stress`` (HUG_CORS_STRESS=1, dependency group ``stress``), with
hug; ``test_scanner_falcon.py``, plain Falcon 4 without hug, runs in the tox env
``stress-falcon`` (dependency group ``stress-falcon``). The other envs do not collect the
suite. A missing tool skips its tests with a message saying what to install, or fails them
when the environment variable ``CI`` is ``"true"``.
"""

from __future__ import annotations

import importlib.util
import os
import ssl
from typing import Dict

import pytest

# The tool each test module needs, by the name it is imported as: PyPI distribution.
TOOLS: Dict[str, Dict[str, str]] = {
    "test_scanner.py": {"CORScanner": "cors", "waitress": "waitress", "trustme": "trustme"},
    "test_scanner_falcon.py": {
        "CORScanner": "cors",
        "waitress": "waitress",
        "uvicorn": "uvicorn",
        "httptools": "httptools",
        "trustme": "trustme",
    },
    "test_load.py": {"waitress": "waitress", "gunicorn": "gunicorn"},
    "test_keepalive.py": {"waitress": "waitress", "gunicorn": "gunicorn"},
    "test_route_policy_leaks.py": {"waitress": "waitress", "gunicorn": "gunicorn"},
    "test_atheris.py": {"atheris": "atheris"},
}


@pytest.fixture(scope="module", autouse=True)
def tools(request: pytest.FixtureRequest) -> None:
    needed = TOOLS.get(request.path.name, {})
    missing = sorted(
        dist for module, dist in needed.items() if not importlib.util.find_spec(module)
    )
    if not missing:
        return
    env = "stress-falcon" if request.path.name == "test_scanner_falcon.py" else "stress"
    reason = (
        f"{request.path.name} needs {', '.join(missing)}: run `tox -e {env}`, or "
        f"`python -m pip install --group {env}` (pip >= 25.1)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the stress suite must run, not skip)", pytrace=False)
    pytest.skip(reason)


# Scripts the tests run as subprocesses, not test modules (--doctest-modules would import
# them: the harness instruments hug_cors, the driver needs gevent's monkey-patching first).
collect_ignore = ["atheris_harness.py", "corscanner_driver.py"]
# Plain Falcon 3.1+ apps, WSGI and ASGI: hug's Falcon 2.0 (the env `stress`) has no falcon.asgi.
if importlib.util.find_spec("falcon.asgi") is None:
    collect_ignore += ["falcon_apps.py", "test_scanner_falcon.py"]


@pytest.fixture(scope="module")
def tls_context() -> ssl.SSLContext:
    """A server's TLS context with a certificate for api.example.com from a throwaway
    authority: the scanner tests' https:// target (tests/stress/scanning.py)."""
    import trustme

    authority = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    authority.issue_cert("api.example.com").configure_cert(context)
    return context
