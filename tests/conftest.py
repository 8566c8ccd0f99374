"""pytest's configuration: hypothesis profiles, the order of the tests, the suites left out,
and the ``api`` fixture (the helpers the tests share are in ``helpers.py``)."""

from __future__ import annotations

import functools
import os
from typing import Any, List

import pytest
from hypothesis import settings

from tests.helpers import FRAMEWORKS, ORIGIN, UNDER_MUTATION, MakeApi, build_app, examples

# In CI, hypothesis searches the same examples on every run: a failure it finds there
# reproduces, instead of coming and going with the random seed.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI") == "true":
    settings.load_profile("ci")
# Under mutation testing, fewer examples for property tests that set no number of their own.
settings.register_profile("mutation", max_examples=examples(100))
if UNDER_MUTATION:
    settings.load_profile("mutation")


def pytest_collection_modifyitems(items: List[pytest.Item]) -> None:
    """Examples first, property tests (hypothesis, seconds each) last: a change that breaks
    something fails in the first seconds, which is also what makes mutation testing
    affordable (each mutant stops at its first failing test)."""
    items.sort(key=lambda item: getattr(getattr(item, "obj", None), "is_hypothesis_test", False))


# The browser suite, tests/browser, needs playwright, waitress and Chromium: it runs in the
# tox `browser` env, which sets HUG_CORS_BROWSER=1. The stress suite, tests/stress, needs a
# CORS scanner, waitress, gunicorn and atheris, and minutes: it runs in the tox `stress`
# env, which sets HUG_CORS_STRESS=1. The other envs leave both out.
collect_ignore = [
    suite
    for suite, variable in [("browser", "HUG_CORS_BROWSER"), ("stress", "HUG_CORS_STRESS")]
    if not os.environ.get(variable)
]


@pytest.fixture(scope="session", params=FRAMEWORKS)
def framework(request: pytest.FixtureRequest) -> str:
    """The kind of app a test builds: ``"hug"``, or plain Falcon's ``"falcon-wsgi"`` and
    ``"falcon-asgi"``, as this environment has (each test runs once per kind)."""
    return str(request.param)


@pytest.fixture(scope="session")
def make_api(framework: str) -> MakeApi:
    """``make_api(**config)``: the suite's routes (``tests.helpers.build_api``) in an app
    of the :func:`framework` kind, with the middleware configured so."""
    return functools.partial(build_app, framework)


@pytest.fixture
def api(make_api: MakeApi) -> Any:
    """The usual configuration: one front end, credentialed, a few headers."""
    return make_api(allow_origins=[ORIGIN], allow_headers=["X-Token"], max_age=600)
