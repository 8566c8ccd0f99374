"""``python -m hug_cors explain``: what a browser would do with a request, and why.

The configuration flags mirror :class:`hug_cors.CORSMiddleware`'s parameters, the request
flags describe what the page's script does. Exit status: 0 when the browser allows the
request, 1 when it blocks it, 2 for a configuration or usage error, 3 when the command
itself fails (a bug, with its traceback on stderr).

Every value from the request is printed escaped, as the ``hug_cors`` log writes it, and
run as ``python -m hug_cors`` the output never fails to encode: a character the terminal
cannot show is written as a backslash escape.

>>> main(["explain", "--allow-origin", "https://app.example.com",
...       "--origin", "https://evil.example"])  # doctest: +ELLIPSIS
CORS check of GET from 'https://evil.example', without credentials
...
Fix: add 'https://evil.example' to allow_origins
Browser verdict: BLOCKED — the response has no Access-Control-Allow-Origin header
1
"""

from __future__ import annotations

import argparse
import io
import sys
import traceback
import warnings
from typing import Any, List, Optional, Sequence

from ._config import PARAMETERS, Parameter
from ._explain import explain
from ._policy import CORSPolicy

__all__ = ["main"]

ALLOWED, BLOCKED, ERROR, FAILED = 0, 1, 2, 3  # the exit statuses

DESCRIPTION = """\
Simulate what a browser does with a cross-origin request under a hug-cors
configuration: whether it sends a preflight, what the middleware answers, what
the browser checks, and what to change when the request is blocked.

The configuration flags mirror CORSMiddleware's parameters; a flag left out
keeps the library default. The request flags describe what the page's script
does.
"""

EXAMPLES = """\
examples:
  python -m hug_cors explain --allow-origin https://app.example.com \\
      --origin https://app.example.com --method PUT --header "X-Token: abc" \\
      --credentials --route-methods GET,PUT
  python -m hug_cors explain --origin https://app.example.com --credentials

exit status: 0 if the browser allows the request, 1 if it blocks it, 2 for a
configuration or usage error, 3 if the command itself fails (a bug).
"""


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m hug_cors`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m hug_cors",
        description="hug-cors tools. explain: what a browser would do with a cross-origin "
        "request under a hug-cors configuration, and why.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    command = commands.add_parser(
        "explain",
        help="simulate a browser's CORS checks for one request",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    config = command.add_argument_group("configuration (CORSMiddleware's parameters)")
    for parameter in PARAMETERS:
        if parameter.flag:
            _add_flag(config, parameter)
    request = command.add_argument_group("the request the page's script makes")
    request.add_argument(
        "--origin", required=True, help="the page's origin, e.g. https://app.example.com"
    )
    request.add_argument("--method", default="GET", help="the fetch() method (default: GET)")
    request.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="'NAME[: VALUE]'",
        help="a request header the script sets; repeat for more. The value decides whether "
        "Accept, Accept-Language, Content-Language and Content-Type need a preflight",
    )
    request.add_argument(
        "--credentials",
        action="store_true",
        help="the request includes credentials (fetch credentials: 'include')",
    )
    request.add_argument(
        "--route-methods",
        metavar="GET,PUT",
        help="the methods the requested route serves (default: unknown, as if no route)",
    )
    request.add_argument(
        "--private-network",
        action="store_true",
        help="the page is public and the API on a private network (Private Network Access)",
    )
    request.add_argument(
        "--response-header",
        action="append",
        default=[],
        metavar="NAME",
        help="a header the handler's response carries (only matters for expose_headers '*' "
        "with credentials); repeat for more",
    )
    return parser


def _add_flag(group: Any, parameter: Parameter) -> None:
    """The flag of one of CORSMiddleware's parameters; left out, it keeps its default."""
    name, flag, help = parameter.name, parameter.flag, parameter.help
    if parameter.kind == "list":
        group.add_argument(flag, dest=name, action="append", metavar=parameter.metavar, help=help)
    elif parameter.kind == "optional bool":  # None, True or False: a flag for each but None
        either = group.add_mutually_exclusive_group()
        either.add_argument(flag, dest=name, action="store_const", const=True, help=help)
        either.add_argument(
            "--no-" + flag[2:], dest=name, action="store_const", const=False, help=f"{name}=False"
        )
    elif parameter.kind == "bool":
        group.add_argument(flag, dest=name, action="store_true", help=help)
    else:
        kind = int if parameter.kind == "int" else str
        group.add_argument(flag, dest=name, type=kind, metavar=parameter.metavar, help=help)
    default = parameter.default
    # argparse appends to a copy of a list default, and cannot to a tuple.
    group.set_defaults(**{name: list(default) if isinstance(default, tuple) else default})


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); the exit status."""
    args = build_parser().parse_args(argv)  # bad usage exits here, with status 2
    try:
        return _explain(args)
    except Exception:  # uncaught, it would exit 1, which says "blocked"
        traceback.print_exc()
        print(
            "python -m hug_cors explain: internal error, a bug in hug-cors; no verdict",
            file=sys.stderr,
        )
        return FAILED


def _explain(args: argparse.Namespace) -> int:
    route_methods: Optional[List[str]] = None
    if args.route_methods is not None:
        route_methods = [m.strip() for m in args.route_methods.split(",") if m.strip()]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            policy = CORSPolicy(**{p.name: getattr(args, p.name) for p in PARAMETERS if p.flag})
            explanation = explain(
                policy,
                args.origin,
                args.method,
                args.header,
                credentials=args.credentials,
                route_methods=route_methods,
                response_headers=args.response_header,
                private_network=args.private_network,
            )
        except (TypeError, ValueError) as error:
            print(f"python -m hug_cors explain: error: {error}", file=sys.stderr)
            return ERROR
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    print(explanation)
    return ALLOWED if explanation.allowed else BLOCKED


if __name__ == "__main__":  # pragma: no cover - run as python -m hug_cors
    # A terminal that cannot encode a character (an em dash on latin-1, an undecodable
    # argument byte) gets an escape instead of a UnicodeEncodeError: the streams are the
    # process's own only here, not when a program calls main().
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    sys.exit(main())
