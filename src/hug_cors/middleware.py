"""The Falcon/Hug adapter: hug-cors' whole request flow, in two Falcon hooks.

``process_request`` answers preflights before routing, authentication or the
handler run; ``process_response`` adds the CORS headers to every other response,
errors and redirects included. What to answer is decided by :class:`CORSPolicy`.
"""

from __future__ import annotations

import logging
from typing import Any, Collection, FrozenSet, List, Optional, Pattern, Union

import falcon

from .policy import Answer, CORSPolicy, loggable, merge_vary

__all__ = ["CORSMiddleware"]

logger = logging.getLogger("hug_cors")


class CORSMiddleware:
    """CORS for a hug API; a drop-in replacement for ``hug.middleware.CORSMiddleware``.

    Add it first, so that preflights are answered before other middleware runs::

        import hug
        from hug_cors import CORSMiddleware

        api = hug.API(__name__)
        api.http.add_middleware(
            CORSMiddleware(api, allow_origins=["https://app.example.com"])
        )

    Args:
        api: the ``hug.API`` whose routes say which methods a preflight may use.
        allow_origins: exact origins (``"https://app.example.com"``) and patterns
            (``"https://*.example.com"``, ``"http://localhost:*"``); ``None`` means
            ``["*"]``, or no exact origins when ``allow_origin_regex`` is given.
        allow_credentials: send ``Access-Control-Allow-Credentials: true`` to allowed
            origins. ``None`` (the default) is hug's ``True``, except that ``"*"``
            never carries credentials; ``True`` with ``"*"`` is refused.
        max_age: seconds a browser may cache a preflight; ``None`` omits the header.
        allow_methods: methods a preflight may ask for (GET, HEAD and POST always
            pass); ``None`` means the methods the requested route serves.
        allow_headers: request headers a preflight may ask for; ``None`` means any
            well-formed header name. Accept, Accept-Language, Content-Language and
            Content-Type are always allowed.
        expose_headers: response headers the browser may let scripts read.
        allow_origin_regex: a pattern the whole origin must match (``fullmatch``).
        allow_private_network: answer Private Network Access preflights.

    Raises:
        TypeError, ValueError: for a configuration that cannot be right, with a
            message naming the parameter, the value and the fix.
    """

    __slots__ = ("_api", "_policy")
    _api: Any
    _policy: CORSPolicy

    def __init__(
        self,
        api: Any,
        allow_origins: Optional[Collection[str]] = None,
        allow_credentials: Optional[bool] = None,
        max_age: Optional[int] = None,
        allow_methods: Optional[Collection[str]] = None,
        allow_headers: Optional[Collection[str]] = None,
        expose_headers: Collection[str] = (),
        allow_origin_regex: Union[str, Pattern[str], None] = None,
        allow_private_network: bool = False,
    ) -> None:
        if not hasattr(getattr(api, "http", None), "routes"):  # a hug.API instance
            raise TypeError(
                f"api must be the hug API the middleware serves, not {api!r}: "
                "write CORSMiddleware(hug.API(__name__), ...)."
            )
        policy = CORSPolicy(
            allow_origins,
            allow_credentials,
            max_age,
            allow_methods,
            allow_headers,
            expose_headers,
            allow_origin_regex,
            allow_private_network,
        )
        object.__setattr__(self, "_api", api)
        object.__setattr__(self, "_policy", policy)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a CORSMiddleware is immutable; build a new one to change {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a CORSMiddleware is immutable; {name} cannot be deleted")

    @property
    def api(self) -> Any:
        return self._api

    @property
    def policy(self) -> CORSPolicy:
        """The compiled configuration that makes every decision."""
        return self._policy

    @property
    def allow_origins(self) -> List[str]:
        """The allowed origins and patterns, normalised (as hug's attribute of that name)."""
        return sorted(self._policy.allowed_origins)

    @property
    def allow_credentials(self) -> bool:
        return self._policy.allow_credentials

    @property
    def max_age(self) -> Optional[int]:
        return self._policy.max_age

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Answer a preflight (OPTIONS with Origin and Access-Control-Request-Method)."""
        if not _is_preflight(req):
            return
        env, policy = req.env, self._policy
        answer = policy.preflight(
            env[ORIGIN],
            env[REQUEST_METHOD],
            env.get(REQUEST_HEADERS),
            env.get(REQUEST_PRIVATE_NETWORK),
            self._route_methods(req) if policy.methods_from_route else frozenset(),
        )
        # 204 whether allowed or refused: the browser acts on the headers alone.
        resp.status = falcon.HTTP_NO_CONTENT
        resp.complete = True  # Falcon skips routing, other middleware and the handler
        _apply(answer, req, resp)

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, req_succeeded: bool
    ) -> None:
        """Add CORS headers to every response but a preflight's, errors included."""
        if req.method == "OPTIONS":
            if _is_preflight(req):
                return  # answered in process_request
            if resource is not None:  # a plain OPTIONS: the route-aware headers hug sends
                methods = _served_methods(resource)
                resp.set_header("Allow", ", ".join(sorted(methods | {"OPTIONS"})))
                resp.set_header("Access-Control-Allow-Methods", self._policy.methods_value(methods))
                if self._policy.max_age is not None:
                    resp.set_header("Access-Control-Max-Age", str(self._policy.max_age))
        answer = self._policy.actual(req.env.get(ORIGIN), lambda: resp.headers)
        _apply(answer, req, resp)

    def _route_methods(self, req: falcon.Request) -> FrozenSet[str]:
        """The methods of the route Falcon's own router finds for the request's path."""
        app = getattr(self._api.http, "falcon", None)  # the falcon.API hug's server() built
        route = app._router.find(req.path, req=req) if app is not None else None
        return _served_methods(route[0]) if route else frozenset()


# The request headers, as WSGI names them (what req.get_header would look up).
ORIGIN = "HTTP_ORIGIN"
REQUEST_METHOD = "HTTP_ACCESS_CONTROL_REQUEST_METHOD"
REQUEST_HEADERS = "HTTP_ACCESS_CONTROL_REQUEST_HEADERS"
REQUEST_PRIVATE_NETWORK = "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"
# Falcon calls a resource's on_<method> responders; precomputed, since Falcon's own
# map_http_methods costs more than the rest of a preflight.
RESPONDERS = tuple((method, "on_" + method.lower()) for method in falcon.COMBINED_METHODS)


def _is_preflight(req: falcon.Request) -> bool:
    return req.method == "OPTIONS" and ORIGIN in req.env and REQUEST_METHOD in req.env


def _served_methods(resource: object) -> FrozenSet[str]:
    return frozenset([method for method, name in RESPONDERS if hasattr(resource, name)])


def _apply(answer: Answer, req: falcon.Request, resp: falcon.Response) -> None:
    for name, value in answer.headers:
        resp.set_header(name, value)
    if answer.vary:
        resp.set_header("Vary", merge_vary(resp.get_header("Vary"), answer.vary))
    if answer.refusal is not None:
        logger.debug("CORS refused for %s %s: %s", req.method, loggable(req.path), answer.refusal)
