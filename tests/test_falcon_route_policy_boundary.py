"""Per-route policies are a security boundary in a plain Falcon app too: the policy that
answers a request is the policy of the responder that served it, whatever spelling of the
path reached it.

A differential property test against Falcon's own routing (Falcon 3.1 and 4, WSGI and
ASGI): hypothesis makes up an app (literal, field and ``int`` converter segments, suffixed
responders, a sink), gives some responders a policy and some templates a pattern, and
sends hostile spellings of paths to it (leading, repeated and trailing slashes,
``%``-encoding, dot segments, case, numbers a converter may or may not take). Each
responder answers with its own name, so the test knows which one ran; each policy leaves
its own mark (an exposed header on responses, a ``Max-Age`` on preflights). It runs where
``tests/test_falcon_app.py`` runs, without hug.
"""

from __future__ import annotations

import importlib
import re
import warnings
from typing import Any, Dict, List, Optional, Tuple

import falcon
import pytest
from falcon import testing
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hug_cors import CORSConfigurationWarning, CORSMiddleware, CORSPolicy, route_policy

pytestmark = pytest.mark.skipif(
    not hasattr(falcon, "App"),
    reason="falcon.App is Falcon 3.0 and later; tox -e py38-falcon4 and the others run it",
)

ORIGIN = "https://page.example"
POLICIES = [
    CORSPolicy(allow_origins=["*"], max_age=100 + k, expose_headers=[f"x-policy-{k}"])
    for k in range(3)
]
# A policy choice: an index into POLICIES, "none" (no CORS), or "inherit" (most often, so
# that patterns decide).
choices = st.sampled_from([0, 1, 2, "none", "inherit", "inherit", "inherit"])
SEGMENTS = ["a", "b", "admin", "{f}", "{n:int}"]


@st.composite
def apps(draw: Any) -> Dict[str, Any]:
    templates = draw(
        st.lists(
            st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=3).map(
                lambda segments: "/" + "/".join(segments)
            ),
            min_size=1,
            max_size=4,
            unique_by=lambda template: re.sub(r"{[^}]*}", "{}", template),
        )
    )
    # Per route: GET's and PUT's policy, and whether a suffixed twin serves "<route>/all".
    routes = [(t, draw(choices), draw(choices), draw(st.booleans())) for t in templates]
    sink = draw(st.one_of(st.none(), st.tuples(st.sampled_from(["/s", "/admin"]), choices)))
    sources = templates + ([sink[0]] if sink else [])
    patterns = draw(
        st.dictionaries(
            st.builds(_pattern, st.sampled_from(sources), st.sampled_from(["exact", "tail"])),
            st.sampled_from([0, 1, 2, "none"]),
            max_size=3,
        )
    )
    return {"routes": routes, "sink": sink, "patterns": patterns}


def _pattern(template: str, how: str) -> str:
    if how == "exact":
        return template
    return template.rsplit("/", 1)[0] + "/*" if template.count("/") > 1 else template + "*"


def _decorate(function: Any, choice: Any) -> Any:
    if choice == "inherit":
        return function
    return route_policy(None if choice == "none" else POLICIES[choice])(function)


def _responder(name: str, choice: Any, asgi: bool) -> Any:
    def respond(self: Any, req: Any, resp: Any, **fields: Any) -> None:
        resp.media = name

    async def respond_async(self: Any, req: Any, resp: Any, **fields: Any) -> None:
        resp.media = name

    return _decorate(respond_async if asgi else respond, choice)


def build(spec: Dict[str, Any], kind: str) -> Tuple[Any, Dict[str, Any]]:
    """The app ``spec`` describes, and the expected policy choice of each responder."""
    asgi = kind == "asgi"
    app = importlib.import_module("falcon.asgi").App() if asgi else falcon.App()
    route_policies = {
        pattern: None if choice == "none" else POLICIES[choice]
        for pattern, choice in spec["patterns"].items()
    }
    with warnings.catch_warnings():  # a policy of "*" with credentials off: no warning here
        warnings.simplefilter("ignore", CORSConfigurationWarning)
        middleware = CORSMiddleware(
            app,
            allow_origins=["*"],
            max_age=99,
            expose_headers=["x-policy-default"],
            route_policies=route_policies,
        )
    app.add_middleware(middleware)
    expected: Dict[str, Any] = {}
    for number, (template, get_choice, put_choice, suffixed) in enumerate(spec["routes"]):
        responders = {
            "on_get": _responder(f"get-{number}", get_choice, asgi),
            "on_put": _responder(f"put-{number}", put_choice, asgi),
        }
        templates = [template]
        if suffixed:  # the same resource, its suffixed responders at "<route>/all"
            responders["on_get_all"] = _responder(f"get-all-{number}", put_choice, asgi)
            templates.append(template + "/all")
        resource = type(f"Resource{number}", (), responders)()
        app.add_route(template, resource)
        expected[f"get-{number}"] = _expected(get_choice, [template], spec)
        expected[f"put-{number}"] = _expected(put_choice, [template], spec)
        expected[f"unserved {template}"] = _expected("inherit", [template], spec)
        if suffixed:
            app.add_route(template + "/all", resource, suffix="all")
            expected[f"get-all-{number}"] = _expected(put_choice, [template + "/all"], spec)
            expected[f"unserved {template}/all"] = _expected("inherit", [template + "/all"], spec)
    if spec["sink"] is not None:
        url, choice = spec["sink"]

        def sink(req: Any, resp: Any, **fields: Any) -> None:
            resp.media = "sink"

        async def sink_async(req: Any, resp: Any, **fields: Any) -> None:
            resp.media = "sink"

        app.add_sink(_decorate(sink_async if asgi else sink, choice), url)
        expected["sink"] = _expected(choice, [url, url + "/{path}"], spec)
    return app, expected


def _expected(choice: Any, templates: List[str], spec: Dict[str, Any]) -> Any:
    """The oracle: the responder's own policy, else the longest pattern matching one of its
    templates, else the default."""
    if choice != "inherit":
        return choice
    patterns = spec["patterns"]
    for pattern in sorted(patterns, key=len, reverse=True):
        regex = re.compile(".*".join(map(re.escape, pattern.split("*"))), re.DOTALL)
        if any(regex.fullmatch(template) for template in templates):
            return patterns[pattern]
    return "default"


@st.composite
def spellings(draw: Any, spec: Dict[str, Any]) -> str:
    """A path to one of the routes (or near one), spelled as a hostile client may."""
    template = draw(st.sampled_from([route[0] for route in spec["routes"]]))
    segments = []
    for segment in template.strip("/").split("/"):
        if segment == "{n:int}":
            segment = draw(st.sampled_from(["7", "007", "-1", "x", "7%0A", " 7"]))
        elif segment == "{f}":
            segment = draw(st.sampled_from(["x", "admin", "%61", "a%2Fb", ".."]))
        else:
            segment = draw(
                st.sampled_from(
                    [segment, segment.upper(), "%" + segment.encode().hex()[:2] + segment[1:]]
                )
            )
        segments.append(segment)
    path = "/" + "/".join(segments)
    if draw(st.booleans()):
        path += draw(st.sampled_from(["/all", "/", "/x"]))
    prefix = draw(st.sampled_from(["", "/", "//", "/./", "/s/..", "/admin"]))
    return prefix + path


def mark_of(headers: Any, preflight: bool) -> Any:
    """Which policy answered: the exposed header or the Max-Age, "none" without CORS."""
    if "access-control-allow-origin" not in headers:
        return "none"
    if preflight:
        age = int(headers.get("access-control-max-age", "0"))
        return "default" if age == 99 else age - 100
    exposed = headers.get("access-control-expose-headers", "")
    return "default" if exposed == "x-policy-default" else int(exposed.rsplit("-", 1)[1])


@pytest.mark.parametrize("kind", ["wsgi", "asgi"])
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_the_policy_that_answers_is_the_policy_of_the_responder_that_ran(
    kind: str, data: Any
) -> None:
    spec = data.draw(apps())
    try:
        app, expected = build(spec, kind)
    except ValueError:  # templates Falcon refuses to hold together
        assume(False)
    client = testing.TestClient(app)
    for _ in range(6):
        path = data.draw(spellings(spec))
        for method in ("GET", "PUT", "DELETE"):
            response = client.simulate_request(method, path, headers={"Origin": ORIGIN})
            ran = response.json if isinstance(response.json, str) else None
            want = _want(app, expected, ran, method, path)
            if want is None:
                continue
            assert mark_of(response.headers, preflight=False) == want, (method, path, ran)
            asked = {"Origin": ORIGIN, "Access-Control-Request-Method": method}
            answered = client.simulate_options(path, headers=asked)
            if ran is None or (ran != "sink" and not ran.startswith(method.lower())):
                want = "none"  # a method the route does not serve: refused
            assert mark_of(answered.headers, preflight=True) == want, ("preflight", path, ran)


def _want(app: Any, expected: Dict[str, Any], ran: Optional[str], method: str, path: str) -> Any:
    """The expected policy choice for the response; None where the test cannot tell."""
    if ran is not None:
        return expected[ran]
    route = app._router.find(falcon.uri.decode(path, unquote_plus=False))
    if route is None:
        return None  # a 404: the patterns on the path, tested elsewhere
    return expected.get(f"unserved {route[3]}")  # Falcon's 405 for this route
