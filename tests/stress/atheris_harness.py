"""Coverage-guided fuzzing of hug-cors with atheris (libFuzzer), run by test_atheris.py:

    python atheris_harness.py -runs=N -max_total_time=S [libFuzzer options]

Each input picks a configuration and a request (method, path, Origin,
Access-Control-Request-Method, -Headers, -Private-Network, each any latin-1 text, as a
WSGI server hands it over, possibly with CR, LF, NUL or a joined repeated line) and sends it
through the WSGI app. hug_cors is instrumented, so libFuzzer steers towards new branches of
its origin parsing and policy. A violated property raises, and libFuzzer reports the input
and exits non-zero. With HUG_CORS_ATHERIS_PLANTED_DEFECT set, the oracle is wrong on
purpose, to show that a violation is caught.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from typing import Any, Dict, List, Optional, Tuple

import atheris

with atheris.instrument_imports(include=["hug_cors"]):
    import hug
    from falcon import testing

    from hug_cors import CORSMiddleware

ORIGIN = "https://app.example.com"
TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
FIELD_VALUE = re.compile(r"(?:[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?)?")
SUBDOMAIN = re.compile(r"https://(?:[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?\.)+example\.com")
LOCALHOST = re.compile(r"http://localhost(?::[1-9][0-9]{0,4})?")
REGEX = r"https://[a-z]+\.example\.org"


def subdomain_or_localhost(origin: str) -> bool:
    if SUBDOMAIN.fullmatch(origin):
        return True
    local = LOCALHOST.fullmatch(origin)
    return bool(local) and origin != "http://localhost:80" and int(origin[17:] or 1) < 65536


# (configuration, may this origin be allowed?, credentials?)
CONFIGS: List[Tuple[Dict[str, Any], Any, bool]] = [
    (
        {"allow_origins": [ORIGIN, "http://localhost:3000"], "allow_headers": ["X-Token"]},
        {ORIGIN, "http://localhost:3000"}.__contains__,
        True,
    ),
    ({}, lambda origin: True, False),
    (
        {"allow_origins": ["https://*.example.com", "http://localhost:*"], "allow_methods": ["*"]},
        subdomain_or_localhost,
        True,
    ),
    (
        {"allow_origin_regex": REGEX, "allow_headers": ["*"], "expose_headers": ["*"]},
        lambda origin: re.fullmatch(REGEX, origin) is not None,
        True,
    ),
    (
        {
            "allow_origins": [ORIGIN, "null"],
            "allow_credentials": False,
            "allow_methods": ["*"],
            "allow_headers": ["*", "Authorization"],
            "allow_private_network": True,
        },
        {ORIGIN, "null"}.__contains__,
        False,
    ),
]
SEEDS = [
    ORIGIN,
    "https://a.example.com",
    "http://localhost:3000",
    "https://a.example.org",
    "null",
    "PUT",
    "x-token, content-type",
    "true",
    "",
    ", ",
]
PATHS = ["/demo", "/demo/1", "/nowhere"]
METHODS = ["OPTIONS", "OPTIONS", "GET", "POST", "PUT", "HEAD"]


def build_apps() -> List[Any]:
    apps = []
    for number, (config, _, _) in enumerate(CONFIGS):
        api = hug.API(f"hug_cors_atheris_{number}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            api.http.add_middleware(CORSMiddleware(api, **config))

        @hug.get("/demo", api=api)
        def demo(response: Any) -> str:
            response.set_header("X-Total-Count", "1")
            return "ok"

        @hug.put("/demo/{id}", api=api)
        def put_item(id: str) -> str:
            return id

        apps.append(api.http.server())
    return apps


APPS = build_apps()
if os.environ.get("HUG_CORS_ATHERIS_PLANTED_DEFECT"):  # the oracle wrongly refuses everything:
    CONFIGS[0] = (CONFIGS[0][0], lambda origin: False, True)  # the run must fail


def text(data: atheris.FuzzedDataProvider) -> Optional[str]:
    """A header value: absent, a seed, fuzzed latin-1, or a seed with fuzz around it."""
    choice = data.ConsumeIntInRange(0, 5)
    if choice == 0:
        return None
    if choice == 1:
        return SEEDS[data.ConsumeIntInRange(0, len(SEEDS) - 1)]
    fuzz = data.ConsumeBytes(data.ConsumeIntInRange(0, 300)).decode("latin-1")
    if choice == 2:
        return fuzz
    seed = SEEDS[data.ConsumeIntInRange(0, len(SEEDS) - 1)]
    if choice == 3:
        return seed + fuzz
    if choice == 4:
        return fuzz + seed
    return seed + [", ", ","][data.ConsumeIntInRange(0, 1)] + fuzz  # a joined repeated line


def one_input(raw: bytes) -> None:
    data = atheris.FuzzedDataProvider(raw)
    number = data.ConsumeIntInRange(0, len(CONFIGS) - 1)
    _, may_allow, credentials = CONFIGS[number]
    method = METHODS[data.ConsumeIntInRange(0, len(METHODS) - 1)]
    path = PATHS[data.ConsumeIntInRange(0, len(PATHS) - 1)]
    environ = testing.create_environ(path=path, method=method)
    fields = {
        "HTTP_ORIGIN": text(data),
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": text(data),
        "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": text(data),
        "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK": text(data),
    }
    environ.update({name: value for name, value in fields.items() if value is not None})
    started: Dict[str, Any] = {}

    def start_response(status: str, headers: List[Tuple[str, str]], exc_info: Any = None) -> None:
        started.update(status=status, headers=headers)

    b"".join(APPS[number](environ, start_response))
    check(started["status"], started["headers"], fields["HTTP_ORIGIN"], may_allow, credentials)


def check(
    status: str,
    headers: List[Tuple[str, str]],
    origin: Optional[str],
    may_allow: Any,
    credentials: bool,
) -> None:
    if status.startswith("5"):
        raise AssertionError(f"status {status}")
    for name, value in headers:
        if not TOKEN.fullmatch(name) or not FIELD_VALUE.fullmatch(value):
            raise AssertionError(f"invalid header {name!r}: {value!r}")
    answered = {name.lower(): value for name, value in headers}
    allowed = answered.get("access-control-allow-origin")
    if allowed not in (None, "*") and (allowed != origin or not may_allow(origin)):
        raise AssertionError(f"Access-Control-Allow-Origin {allowed!r} for {origin!r}")
    credentialed = "access-control-allow-credentials" in answered
    if credentialed and (allowed in (None, "*") or not credentials):
        raise AssertionError(f"credentials with {allowed!r}")


if __name__ == "__main__":
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
