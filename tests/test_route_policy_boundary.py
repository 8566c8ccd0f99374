"""Per-route policies are a security boundary: the policy that answers a request is the
policy of the function that served it, whatever spelling of the path reached it.

A differential property test against hug's and Falcon's own routing: hypothesis makes up
an API (literal, field and converter segments, versioned routes, a sink, a not-found
handler), gives some functions a policy and some templates a pattern, and sends hostile
spellings of paths to it (leading, repeated and trailing slashes, hug's ``/v{version}``
prefix and ``?api_version=``, ``%``-encoding, a newline in a field, dot segments, case).
Each function answers with its own name, so the test knows which one ran; each policy
leaves its own mark (an exposed header on responses, a ``Max-Age`` on preflights).
"""

from __future__ import annotations

import io
import itertools
import json
import re
import warnings
from typing import Any, Dict, List, Tuple

import hug
from falcon.testing import create_environ
from falcon.util import uri
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hug_cors import CORSConfigurationWarning, CORSMiddleware, CORSPolicy, route_policy
from tests.helpers import examples

ORIGIN = "https://page.example"
POLICIES = [
    CORSPolicy(allow_origins=["*"], max_age=100 + k, expose_headers=[f"x-policy-{k}"])
    for k in range(3)
]
DEFAULT_MARK = ("x-policy-default", "99")
# For the writes: each policy lets one origin of its own write, and only that one.
WRITERS: Dict[Any, str] = {k: f"https://writer-{k}.example" for k in (0, 1, 2, "default")}
WRITE_POLICIES = [CORSPolicy(allow_origins=[WRITERS[k]]) for k in range(3)]
_names = itertools.count()

# A policy choice: an index into POLICIES, "none" (no CORS), or "inherit" (most often,
# so that patterns decide).
choices = st.sampled_from([0, 1, 2, "none", "inherit", "inherit", "inherit"])
LITERALS = ["a", "b", "admin", "v1", "x"]


@st.composite
def templates(draw: Any) -> str:
    segments = []
    for depth in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["literal", "literal", "field", "int"]))
        if kind == "literal":
            segments.append(draw(st.sampled_from(LITERALS)))
        else:
            segments.append(f"{{f{depth}}}" if kind == "field" else f"{{f{depth}:int}}")
    return "/" + "/".join(segments)


@st.composite
def apis(draw: Any) -> Dict[str, Any]:
    routes = draw(
        st.lists(
            st.tuples(templates(), st.booleans(), choices, choices),  # template, versioned,
            min_size=1,  # GET's policy, PUT's policy
            max_size=5,
            unique_by=lambda route: re.sub(r"{[^}]*}", "{}", route[0]),
        )
    )
    sink = draw(st.one_of(st.none(), st.tuples(st.sampled_from(["/s", "/admin"]), choices)))
    not_found = draw(st.one_of(st.none(), choices))
    pattern_sources = [template for template, *_ in routes] + ([sink[0]] if sink else [])
    patterns = draw(
        st.dictionaries(
            st.builds(
                _pattern,
                st.sampled_from(pattern_sources),
                st.sampled_from(["exact", "star-tail", "version", "prefix"]),
            ),
            st.sampled_from([0, 1, 2, "none"]),
            max_size=3,
        )
    )
    return {"routes": routes, "sink": sink, "not_found": not_found, "patterns": patterns}


def _pattern(template: str, how: str) -> str:
    if how == "exact":
        return template
    if how == "star-tail":
        return template.rsplit("/", 1)[0] + "/*" if template.count("/") > 1 else template + "*"
    if how == "version":
        return "/v*" + template
    return template[:2] + "*"


def _policy(choice: Any, policies: List[CORSPolicy] = POLICIES) -> Any:
    return None if choice == "none" else policies[choice]


def _decorate(function: Any, choice: Any, policies: List[CORSPolicy] = POLICIES) -> Any:
    if choice == "inherit":
        return function
    return route_policy(_policy(choice, policies))(function)


def _named(name: str) -> Any:
    def handler(**fields: Any) -> str:
        return name

    return handler


def build(spec: Dict[str, Any], writes: bool = False) -> Tuple[Any, Dict[str, Any]]:
    """The hug API ``spec`` describes, and the expected policy choice of each function.
    With ``writes``, each policy lets its own writer write (``WRITERS``), and the
    middleware refuses other cross-origin writes."""
    api = hug.API(f"route_policy_boundary_{next(_names)}")
    policies = WRITE_POLICIES if writes else POLICIES
    route_policies = {
        pattern: _policy(choice, policies) for pattern, choice in spec["patterns"].items()
    }
    if writes:
        middleware = CORSMiddleware(
            api,
            allow_origins=[WRITERS["default"]],
            route_policies=route_policies,
            reject_cross_origin_writes=True,
        )
    else:
        middleware = CORSMiddleware(
            api,
            allow_origins=["*"],
            max_age=99,
            expose_headers=["x-policy-default"],
            route_policies=route_policies,
        )
    api.http.add_middleware(middleware)
    registered = []
    for number, (template, is_versioned, get_choice, put_choice) in enumerate(spec["routes"]):
        for method, choice in (("get", get_choice), ("put", put_choice)):
            name = f"{method}-{number}"
            function = _decorate(_named(name), choice, policies)
            getattr(hug, method)(template, api=api, versions=1 if is_versioned else None)(function)
            registered.append((name, choice, template))
    # hug 2.6.1 serves every route under /v{api_version} too, versioned or not: its
    # test compares the set of versions with a tuple. Ask it the same question.
    versioned = bool(api.http.versions) and api.http.versions != (None,)

    def served_as(template: str) -> List[str]:
        return [template] + ([f"/v{{api_version}}{template}"] if versioned else [])

    expected: Dict[str, Any] = {
        name: _expected(choice, served_as(template), spec) for name, choice, template in registered
    }
    # A method no function of a route serves (Falcon's 405, or 400 for a method it does
    # not know): the patterns on the route's templates, else the default.
    for _, _, template in registered:
        expected[f"unserved {template}"] = _expected("inherit", served_as(template), spec)
    if spec["sink"] is not None:
        url, choice = spec["sink"]

        def sink(request: Any) -> str:
            return "sink"

        hug.sink(url, api=api)(_decorate(sink, choice, policies))
        expected["sink"] = _expected(choice, [url, url + "/{path}"], spec)
    if spec["not_found"] is not None:
        hug.not_found(api=api)(_decorate(_named("not-found"), spec["not_found"], policies))
    with warnings.catch_warnings():  # made-up patterns may match no route: that is allowed
        warnings.simplefilter("ignore", CORSConfigurationWarning)
        return api.http.server(), expected


def _expected(choice: Any, templates: List[str], spec: Dict[str, Any]) -> Any:
    """The oracle: the function's own policy, else the longest pattern matching one of
    its templates, else the default."""
    patterns = spec["patterns"]
    if choice != "inherit":
        return choice
    for pattern in sorted(patterns, key=len, reverse=True):
        regex = re.compile(".*".join(map(re.escape, pattern.split("*"))), re.DOTALL)
        if any(regex.fullmatch(template) for template in templates):
            return patterns[pattern]
    return "default"


def _unrouted(path: str, spec: Dict[str, Any]) -> Any:
    """A path nothing serves: the not-found handler's own policy, else the patterns on
    the path (leading slashes ignored, as by Falcon's router), else the default."""
    if spec["not_found"] not in (None, "inherit"):
        return spec["not_found"]
    return _expected("inherit", ["/" + path.lstrip("/")], spec)


def call(app: Any, method: str, path: str, query: str, headers: Dict[str, str]) -> Any:
    """One request through the WSGI app, the path %-decoded as a server does."""
    environ = create_environ(path=path, query_string=query, method=method, headers=headers)
    environ["wsgi.input"] = io.BytesIO(b"")
    status: List[str] = []
    response_headers: List[Tuple[str, str]] = []

    def start_response(line: str, sent: List[Tuple[str, str]], exc_info: Any = None) -> None:
        status.append(line)
        response_headers.extend(sent)

    body = b"".join(app(environ, start_response))
    return status[0], {name.lower(): value for name, value in response_headers}, body


def mark_of(headers: Dict[str, str], preflight: bool) -> Any:
    """Which policy answered: its index, "none" (no CORS), or "default"."""
    if "access-control-allow-origin" not in headers:
        return "none"
    if preflight:
        age = int(headers["access-control-max-age"])
        return "default" if age == 99 else age - 100
    exposed = headers["access-control-expose-headers"]
    return "default" if exposed == DEFAULT_MARK[0] else int(exposed.rsplit("-", 1)[1])


@st.composite
def spellings(draw: Any, spec: Dict[str, Any]) -> Tuple[str, str]:
    """A hostile spelling of a path to one of the API's routes (or to nothing)."""
    template = draw(st.sampled_from([route[0] for route in spec["routes"]] + ["/s/x", "/nope"]))
    values = st.sampled_from(["1", "7", "1\n", "abc", "%31", "a%2Fb"])
    path = re.sub(r"{[^}]*}", lambda _: draw(values), template)
    for change in draw(st.lists(st.sampled_from(SPELLINGS), max_size=3)):
        path = change(path)
    query = draw(st.sampled_from(["", "", "api_version=1"]))
    return path, query


# Every route serves GET and PUT; no function serves DELETE, and Falcon does not know PURGE.
METHODS = ("GET", "PUT", "DELETE", "PURGE")

SPELLINGS = [
    lambda path: "/" + path,  # //admin
    lambda path: path + "/",  # a trailing slash
    lambda path: "/v1" + path,  # hug's version prefix
    lambda path: "/v2" + path,
    lambda path: "/vX" + path,
    lambda path: path.replace("a", "%61", 1),  # %-encoding
    lambda path: path.replace("/", "/./", 1),  # dot segments
    lambda path: path.replace("/", "/x/../", 1),
    lambda path: path.upper(),  # case
    lambda path: path + "%0A",  # a newline
    lambda path: path.replace("/", "//", 2)[1:] if path.count("/") > 1 else path,
]


@settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_the_policy_that_answers_is_the_policy_of_the_function_that_ran(data: Any) -> None:
    spec = data.draw(apis())
    try:
        app, expected = build(spec)
    except ValueError:  # routes Falcon refuses to hold together
        assume(False)
    for _ in range(8):
        path, query = data.draw(spellings(spec))
        for method in METHODS:
            try:
                _, headers, body = call(app, method, path, query, {"Origin": ORIGIN})
            except ValueError:  # hug's version router on "/vX": a 500 with no CORS at all
                continue
            ran = _handler_that_ran(body)
            want = _policy_of_what_ran(app, spec, expected, method, path, ran)
            if want is SKIP:
                continue
            assert mark_of(headers, preflight=False) == want, (method, path, query, ran)
            # The preflight for that request is answered by that function's policy.
            preflight = {"Origin": ORIGIN, "Access-Control-Request-Method": method}
            _, answered, _ = call(app, "OPTIONS", path, query, preflight)
            fell_back = ran in ("404", "not-found") and app._router.find(_decoded(path))
            if ran == "sink":  # a sink serves every standard method, but not PURGE
                want = want if method != "PURGE" else "none"
            elif fell_back:  # hug's version router ran the not-found handler: a route's
                pass
            elif not ran.startswith(("get-", "put-")) and method != "GET":
                want = "none"  # no route: a preflight gets only the safelisted methods
            assert mark_of(answered, preflight=True) == want, ("preflight", method, path, ran)


SKIP = object()  # hug's own routing error: no function and no policy to compare


def _policy_of_what_ran(
    app: Any, spec: Dict[str, Any], expected: Dict[str, Any], method: str, path: str, ran: str
) -> Any:
    """The oracle's policy choice for the request that ``ran`` answered."""
    if ran in expected:
        return expected[ran]
    route = app._router.find(_decoded(path))
    if ran == "other":  # no function of ours ran
        if method in ("GET", "PUT") or route is None:
            return SKIP
        template = route[3].replace("/v{api_version}", "", 1)
        return expected[f"unserved {template}"]  # Falcon's 405 or 400
    if route is None:  # hug's 404 or the not-found handler
        return _unrouted(_decoded(path), spec)
    # hug's version router fell back to the not-found handler, for a version the route does
    # not serve: that handler's own policy, else (having none) the route function's.
    if spec["not_found"] not in (None, "inherit"):
        return spec["not_found"]
    template = route[3].replace("/v{api_version}", "", 1)
    number = [template for template, *_ in spec["routes"]].index(template)
    return expected[f"{method.lower()}-{number}"]


@settings(
    max_examples=examples(100),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_a_cross_origin_write_is_judged_by_the_policy_of_the_function_it_reaches(
    data: Any,
) -> None:
    """A browser's cross-site PUT from each policy's own writer, through hostile spellings:
    it runs exactly when the function it reaches has that writer's policy, and a refused
    one reaches no function (sent again without browser headers, it shows which it would)."""
    spec = data.draw(apis())
    try:
        app, expected = build(spec, writes=True)
    except ValueError:  # routes Falcon refuses to hold together
        assume(False)
    for _ in range(8):
        path, query = data.draw(spellings(spec))
        writer = data.draw(st.sampled_from(list(WRITERS)))
        browser = {"Origin": WRITERS[writer], "Sec-Fetch-Site": "cross-site"}
        try:
            status, _, body = call(app, "PUT", path, query, browser)
            _, _, plain = call(app, "PUT", path, query, {})  # not a browser: never refused
        except ValueError:  # hug's version router on "/vX": a 500 with no CORS at all
            continue
        reached = _handler_that_ran(plain)
        want = _policy_of_what_ran(app, spec, expected, "PUT", path, reached)
        if want is SKIP:
            continue
        if status.startswith("403"):
            assert want != writer, (path, query, writer, reached)
            assert _handler_that_ran(body) == "other"
        else:
            assert want == writer, (path, query, writer, reached, status)
            assert _handler_that_ran(body) == reached


def _handler_that_ran(body: bytes) -> str:
    try:
        value = json.loads(body)
    except ValueError:
        return "other"
    if isinstance(value, str):
        return value
    return "404" if isinstance(value, dict) and "404" in value else "other"


def _decoded(path: str) -> str:
    """The path as Falcon sees it: %-decoded by the server, the trailing slash stripped."""
    decoded: str = uri.decode(path, unquote_plus=False)
    return decoded[:-1] if len(decoded) > 1 and decoded.endswith("/") else decoded


def test_the_property_test_sees_which_function_ran() -> None:
    """The oracle's own inputs: a body names its function, marks name their policy."""
    app, expected = build(
        {
            "routes": [("/admin/{f1}", False, "inherit", 0)],
            "sink": None,
            "not_found": None,
            "patterns": {"/admin/*": 1},
        }
    )
    assert expected == {"get-0": 1, "put-0": 0, "unserved /admin/{f1}": 1}
    _, headers, body = call(app, "GET", "//admin/1%0A", "", {"Origin": ORIGIN})
    assert _handler_that_ran(body) == "get-0"
    assert mark_of(headers, preflight=False) == 1
    _, headers, _ = call(
        app, "OPTIONS", "/admin/1", "", {"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    )
    assert mark_of(headers, preflight=True) == 0
    _, headers, body = call(app, "DELETE", "/v1/admin/1/", "", {"Origin": ORIGIN})
    assert _handler_that_ran(body) == "other"
    assert mark_of(headers, preflight=False) == 1
    _, headers, body = call(app, "GET", "/elsewhere", "", {"Origin": ORIGIN})
    assert _handler_that_ran(body) == "404"
    assert mark_of(headers, preflight=False) == "default"
