"""The Falcon/Hug adapter: hug-cors' whole request flow, in two Falcon hooks.

``process_request`` answers preflights before routing, authentication or the
handler run; ``process_response`` adds the CORS headers to every other response,
errors and redirects included. What to answer is decided by :class:`CORSPolicy`.
"""

from __future__ import annotations

import inspect
import json
import logging
import threading
from time import monotonic
from typing import (
    AbstractSet,
    Any,
    Callable,
    Collection,
    Dict,
    Iterator,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Pattern,
    Set,
    Tuple,
    Union,
)

import falcon

from ._config import (
    NAMES,
    POLICY_NAMES,
    CORSConfigurationError,
    CORSConfigurationTypeError,
    check_boolean,
    snapshot,
    warn_about_configuration,
)
from ._policy import (
    SAFE_METHODS,
    Answer,
    CORSPolicy,
    cross_origin_write,
    loggable,
    merge_vary,
)
from ._route_index import NO_ROUTER, RouteFinder, RouterSnapshot, all_routes, served_methods
from ._route_policies import (
    ATTRIBUTE,
    INHERIT,
    PathPolicies,
    RoutePolicies,
    Sink,
    attached_policy,
    function_of,
    sink_templates,
)

__all__ = ["CORSMiddleware"]

logger = logging.getLogger("hug_cors")
# The logger's own cache of whether it logs each level (Logger._cache, CPython 3.7 and
# later): isEnabledFor() fills it and any setLevel() or logging.disable() empties it. A
# refused request reads it, a dict lookup, where a call would cost 1% of the request;
# when the level is not in it (or there is no cache), isEnabledFor() decides.
_logged_levels: Dict[int, bool] = getattr(logger, "_cache", {})
DEBUG = logging.DEBUG

# The request headers, as WSGI names them (what req.get_header would look up).
ORIGIN = "HTTP_ORIGIN"
REQUEST_METHOD = "HTTP_ACCESS_CONTROL_REQUEST_METHOD"
REQUEST_HEADERS = "HTTP_ACCESS_CONTROL_REQUEST_HEADERS"
REQUEST_PRIVATE_NETWORK = "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK"
FETCH_SITE = "HTTP_SEC_FETCH_SITE"
HOST = "HTTP_HOST"
DEBUG_HEADER = "Hug-CORS-Refused"
DEBUG_FIELD = DEBUG_HEADER.lower()  # as Falcon keys it in Response._headers
# The methods process_request leaves alone: neither a preflight nor a write.
NOTHING_BEFORE_ROUTING = SAFE_METHODS - {"OPTIONS"}

# The request headers read here, by the lower-case byte name an ASGI request keys them by.
ASGI_NAMES = {
    ORIGIN: b"origin",
    REQUEST_METHOD: b"access-control-request-method",
    REQUEST_HEADERS: b"access-control-request-headers",
    REQUEST_PRIVATE_NETWORK: b"access-control-request-private-network",
    FETCH_SITE: b"sec-fetch-site",
    HOST: b"host",
}

# How the hooks read a request header, by its WSGI name, from what holds the headers.
ReadHeader = Callable[[Any, str], Optional[str]]

# A WSGI request's environ: a dict of strings by WSGI name.
_wsgi_header: ReadHeader = dict.get


def _asgi_header(raw: Dict[bytes, bytes], name: str) -> Optional[str]:
    """A header of an ASGI request, which has no environ, from the dict Falcon (3.0 to 4.x)
    keeps them in (``Request._asgi_headers``: by lower-case byte name, repeated ones joined
    by commas), decoded only when read (``Request.headers`` would decode every header of
    the request, and ``get_header()`` raises inside for each absent one)."""
    value = raw.get(ASGI_NAMES[name])
    return None if value is None else value.decode("latin-1")


class _Settings(NamedTuple):
    """One whole configuration; configure() replaces it in a single assignment."""

    config: Mapping[str, Any]  # the checked keyword arguments, snapshotted
    policy: CORSPolicy
    paths: PathPolicies
    debug: bool
    reject_cross_origin_writes: bool
    handle_uncaught_errors: bool

    @classmethod
    def build(cls, config: Mapping[str, Any]) -> _Settings:
        config = snapshot(config)
        flags = (
            check_boolean(name, config[name])
            for name in ("debug", "reject_cross_origin_writes", "handle_uncaught_errors")
        )
        policy = CORSPolicy(**{name: config[name] for name in POLICY_NAMES})
        settings = cls(config, policy, PathPolicies(config["route_policies"]), *flags)
        if settings.reject_cross_origin_writes and policy.allow_all_origins:
            warn_about_configuration(
                "reject_cross_origin_writes: the policy allows every origin ('*'), so it "
                "refuses no write but on routes with a policy of their own; list the "
                "origins that may write in allow_origins."
            )
        return settings


class _Compiled:
    """The configuration, and under it the policy of each route of a router snapshot,
    with the app's sinks as they were (Falcon's add_sink leaves the router as it is).
    ``by_template`` is ``table.by_template``, one attribute nearer for each response."""

    __slots__ = ("by_template", "settings", "sinks", "snapshot", "table")

    def __init__(
        self, snapshot: RouterSnapshot, settings: _Settings, table: RoutePolicies, sinks: List[Any]
    ) -> None:
        self.snapshot = snapshot
        self.settings = settings
        self.table = table
        self.by_template = table.by_template
        self.sinks = sinks

    @classmethod
    def nothing(cls, settings: _Settings) -> _Compiled:
        """No route yet: what a middleware holds before it first looks at the router."""
        return cls(NO_ROUTER, settings, RoutePolicies((), (), settings.policy, settings.paths), [])


class CORSMiddleware:
    """CORS for a hug API; a drop-in replacement for ``hug.middleware.CORSMiddleware``.

    Add it first, so that preflights are answered before other middleware's
    ``process_request`` (authentication, sessions) runs:

    >>> import hug
    >>> from hug_cors import CORSMiddleware
    >>> api = hug.API("middleware_docstring")
    >>> api.http.add_middleware(CORSMiddleware(api, allow_origins=["https://app.example.com"]))
    >>> @hug.get("/items", api=api)
    ... def items():
    ...     return []
    >>> response = hug.test.get(api, "/items", headers={"Origin": "https://app.example.com"})
    >>> response.headers_dict["access-control-allow-origin"], response.headers_dict["vary"]
    ('https://app.example.com', 'Origin')

    Args:
        api: the ``hug.API`` whose routes say which methods a preflight may use.
        allow_origins: exact origins (``"https://app.example.com"``) and patterns
            (``"https://*.example.com"``, ``"http://localhost:*"``); ``None`` means
            ``["*"]``, or no exact origins when ``allow_origin_regex`` is given.
        allow_credentials: send ``Access-Control-Allow-Credentials: true`` to allowed
            origins. ``None`` (the default) is hug's ``True``, except that ``"*"``
            never carries credentials; ``True`` with ``"*"`` is refused. A list of
            origins and patterns gives credentials to those only.
        max_age: seconds a browser may cache a preflight; ``None`` omits the header.
        allow_methods: methods a preflight may ask for (GET, HEAD and POST always
            pass); ``None`` means the methods the requested route serves.
        allow_headers: request headers a preflight may ask for; ``None`` means any
            well-formed header name. Accept, Accept-Language, Content-Language and
            Content-Type are always allowed.
        expose_headers: response headers the browser may let scripts read.
        allow_origin_regex: a pattern the whole origin must match (``fullmatch``).
        allow_private_network: answer Private Network Access preflights.
        allow_origin_func: ``origin -> bool``, for the origins the lists and the regex do
            not allow: origins from your own data, such as a tenants table.
        allow_origin_func_ttl: seconds each process keeps each of its decisions.
        route_policies: path patterns (``"/admin/*"``) mapped to a :class:`CORSPolicy`,
            or to ``None`` for no CORS; the longest matching pattern wins, and a
            function's own :func:`route_policy` wins over both.
        debug: say why a request was refused, in a ``Hug-CORS-Refused`` header and a
            refused preflight's JSON body. For development only: never in production.
        reject_cross_origin_writes: answer 403, before routing, authentication and the
            handler, to a browser's write (any method but GET, HEAD and OPTIONS) from
            another origin that the route's policy does not allow: a cross-site form
            POST or ``no-cors`` fetch, which CORS alone lets run.
        handle_uncaught_errors: answer an exception that no handler catches with a
            generic 500 that carries the CORS headers, so that the page can read the
            status, and log it with its traceback. ``falcon.HTTPError``s and hug's
            ``@hug.exception`` handlers keep their behaviour.

    Raises:
        TypeError, ValueError: for a configuration that cannot be right, with a
            message naming the parameter, the value and the fix.
    """

    __slots__ = ("_api", "_compiled", "_lock", "_routes")
    _api: Any
    _compiled: _Compiled  # the configuration, and the routes compiled under it
    _lock: threading.Lock  # held to replace _compiled from what it was
    _routes: RouteFinder

    def __init__(
        self,
        api: Any,
        allow_origins: Optional[Collection[str]] = None,
        allow_credentials: Union[bool, Collection[str], None] = None,
        max_age: Optional[int] = None,
        *,
        allow_methods: Optional[Collection[str]] = None,
        allow_headers: Optional[Collection[str]] = None,
        expose_headers: Collection[str] = (),
        allow_origin_regex: Union[str, Pattern[str], None] = None,
        allow_private_network: bool = False,
        allow_origin_func: Optional[Callable[[str], bool]] = None,
        allow_origin_func_ttl: float = 60.0,
        route_policies: Optional[Mapping[str, Optional[CORSPolicy]]] = None,
        debug: bool = False,
        reject_cross_origin_writes: bool = False,
        handle_uncaught_errors: bool = False,
    ) -> None:
        arguments = locals()
        object.__setattr__(self, "_routes", _route_finder(api))
        settings = _Settings.build({name: arguments[name] for name in NAMES})
        object.__setattr__(self, "_api", api)
        _check_errors_can_be_handled(api, settings)
        object.__setattr__(self, "_lock", threading.Lock())
        # No route compiled yet: the first request compiles the routes it finds.
        object.__setattr__(self, "_compiled", _Compiled.nothing(settings))
        if hasattr(api, "add_startup_handler"):
            # hug runs its startup handlers at the start of each server() call, when the
            # Falcon app it builds exists but holds no route yet.
            api.add_startup_handler(self._handle_errors_of_new_app)
            api.add_startup_handler(self._check_routes)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"a CORSMiddleware is immutable; use configure() to change {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"a CORSMiddleware is immutable; {name} cannot be deleted")

    def configure(self, **changes: Any) -> None:
        """Check a new configuration and put it in place at once, for every thread.

        Takes the constructor's keyword arguments but ``api``; those not given keep
        their current value. A bad value raises, and the current configuration stays:

        >>> import hug
        >>> cors = CORSMiddleware(hug.API("configure_docstring"), allow_origins=["https://a.example"])
        >>> cors.configure(allow_origins=["https://a.example", "https://b.example"])
        >>> cors.allow_origins
        ['https://a.example', 'https://b.example']
        >>> cors.configure(allow_origins=["https://c.example/"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        hug_cors.CORSConfigurationError: allow_origins: 'https://c.example/' is not an origin: ...
        >>> cors.allow_origins
        ['https://a.example', 'https://b.example']

        A request sees the old configuration or the new one, never a mix of both.
        """
        unknown = sorted(set(changes) - set(NAMES))
        if unknown:
            raise CORSConfigurationTypeError(
                unknown[0],
                changes[unknown[0]],
                f"configure() got an unknown parameter {unknown[0]!r};",
                f"it takes {', '.join(NAMES)}.",
            )
        with self._lock:  # so that no route table compiled under the old one replaces it
            settings = _Settings.build({**self._settings.config, **changes})
            _check_errors_can_be_handled(self._api, settings)
            # One reference swap, atomic: the routes are compiled again on the next request.
            object.__setattr__(self, "_compiled", _Compiled.nothing(settings))
        if getattr(self._api, "http", None) is not None:
            self._warn_about_unmatched_patterns(self._api)

    @property
    def api(self) -> Any:
        return self._api

    @property
    def config(self) -> Dict[str, Any]:
        """The configuration in place, every parameter as it was given (lists as tuples).

        It reads back whole, so ``cors.configure(**cors.config)`` changes nothing, and a
        copy can be changed and applied: ``cors.configure(**{**cors.config, "max_age": 600})``.
        """
        return snapshot(self._settings.config)

    @property
    def _settings(self) -> _Settings:
        return self._compiled.settings

    @property
    def policy(self) -> CORSPolicy:
        """The compiled configuration that makes every decision but per-route ones."""
        return self._settings.policy

    @property
    def allow_origins(self) -> List[str]:
        """The allowed origins and patterns, normalised (as hug's attribute of that name)."""
        return sorted(self._settings.policy.allowed_origins)

    @property
    def allow_credentials(self) -> bool:
        return self._settings.policy.allow_credentials

    @property
    def max_age(self) -> Optional[int]:
        return self._settings.policy.max_age

    def process_request(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        headers: Any = None,
        read: ReadHeader = _wsgi_header,
    ) -> None:
        """Answer a preflight (OPTIONS with Origin and Access-Control-Request-Method), and
        refuse a cross-origin write if asked to.

        ``headers`` and ``read`` are how to read the request's headers: by default its
        WSGI environ, and for an ASGI request, which has none, see
        :meth:`process_request_async`.
        """
        if req.method in NOTHING_BEFORE_ROUTING:
            return
        method = req.method
        if headers is None:
            headers = req.env
        if method == "OPTIONS":
            origin, requested = read(headers, ORIGIN), read(headers, REQUEST_METHOD)
            if origin is not None and requested is not None:
                self._answer_preflight(req, resp, origin, requested, headers, read)
        elif self._compiled.settings.reject_cross_origin_writes:  # any method but the safe ones
            self._refuse_cross_origin_write(req, resp, headers, read)

    async def process_request_async(self, req: Any, resp: Any) -> None:
        """:meth:`process_request`, as Falcon's ASGI app calls it (nothing is awaited)."""
        if req.method not in NOTHING_BEFORE_ROUTING:  # the call saved: 1% of a GET
            self.process_request(req, resp, req._asgi_headers, _asgi_header)

    def _answer_preflight(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        origin: str,
        method: str,
        headers: Any,
        read: ReadHeader,
    ) -> None:
        compiled = self._current()
        settings, table, path = compiled.settings, compiled.table, req.path
        # The route says which methods it serves, and whose policy applies.
        route = None
        policy: Optional[CORSPolicy] = settings.policy
        if settings.policy.methods_from_route or not table.uniform:
            route = compiled.snapshot.find(path, req)
            if not table.uniform:
                policy = table.for_path(path, route, method)
        if policy is None:
            return  # no CORS for this route: the app answers as if there were no middleware
        served: AbstractSet[str] = frozenset()
        if policy.methods_from_route:
            served = route.methods if route is not None else table.unrouted_methods(path)
        answer = policy.preflight(
            origin,
            method,
            read(headers, REQUEST_HEADERS),
            read(headers, REQUEST_PRIVATE_NETWORK),
            served,
        )
        resp.complete = True  # Falcon skips routing, later process_request hooks and the handler
        # 200 with an empty body (Content-Length: 0), allowed or refused: the browser acts
        # on the headers alone, and waitress closes the connection after every HTTP/1.1 204.
        resp.status = falcon.HTTP_OK
        if answer.refusal is not None and settings.debug:
            resp.content_type = falcon.MEDIA_JSON
            refused = {"refused": answer.refusal, "policy": policy.summary()}
            resp.data = json.dumps(refused, indent=2).encode()  # Falcon 4 has no resp.body
        _apply(answer, req, resp, settings.debug)

    def _refuse_cross_origin_write(
        self, req: falcon.Request, resp: falcon.Response, headers: Any, read: ReadHeader
    ) -> None:
        fetch_site, origin = read(headers, FETCH_SITE), read(headers, ORIGIN)
        if fetch_site is None and origin is None:
            return  # not from a browser: curl, a server, a mobile app
        compiled = self._current()
        settings = compiled.settings
        policy: Optional[CORSPolicy] = settings.policy
        if not compiled.table.uniform:  # the policy of the function the request would reach
            route = compiled.snapshot.find(req.path, req)
            policy = compiled.table.for_path(req.path, route, req.method)
        refusal = cross_origin_write(policy, req.method, fetch_site, origin, read(headers, HOST))
        if refusal is None:
            return
        level = logging.WARNING if settings.debug else logging.INFO
        if logger.isEnabledFor(level):
            logger.log(level, "refused for %s: %s", loggable(req.path), refusal)
        if settings.debug:
            resp.set_header(DEBUG_HEADER, refusal)
        # Raised, so that Falcon skips routing, later process_request hooks and the
        # handler, and the app's error serializer writes the body.
        raise falcon.HTTPForbidden(
            title="Cross-origin request refused",
            description=refusal if settings.debug else "A page on another origin sent it.",
        )

    def process_response(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: object,
        req_succeeded: bool,
        headers: Any = None,
        read: ReadHeader = _wsgi_header,
    ) -> None:
        """Add CORS headers to every response but a preflight's, errors included.

        ``headers`` and ``read`` are as for :meth:`process_request`.
        """
        if req.method == "OPTIONS":
            self._options_response(req, resp, resource, headers, read)
            return
        # Every line below runs on each GET: what could be done once is in the compiled
        # route table and the policy's ready answers.
        compiled = self._compiled
        # The route table's entry for the template Falcon routed through, if it holds the
        # resource that served the request.
        entry = compiled.by_template.get(req.uri_template)
        if entry is not None and entry.resource is resource:
            policy = entry.policy
            if policy is INHERIT:  # its methods have policies of their own
                policy = entry.policy_of(req.method)
        else:  # new routes, a sink, no route, no routing
            policy = _policy_of_response(req, resource, req.method, self._current())
        if policy is None:
            return  # no CORS for this route
        origin = req.env.get(ORIGIN) if headers is None else read(headers, ORIGIN)
        # A listed origin's answer, or one decided before (allow_origin_func's until it
        # expires): one lookup. Otherwise the policy decides.
        answer = policy.ready_answers.get(origin)
        if answer is None or (answer.expires is not None and answer.expires <= monotonic()):
            answer = _decide(policy, origin, resp)
        written: Dict[str, str] = resp._headers
        if "vary" in written:
            _apply(answer, req, resp, compiled.settings.debug)
            return
        written.update(answer.fields)  # _apply's common case, inline: a call costs 1%
        # Nothing to report unless in debug mode or logging at debug level: not even a call.
        if answer.refusal is not None and (
            compiled.settings.debug or _logged_levels.get(DEBUG) is not False
        ):
            _report_refusal(answer.refusal, req, resp, compiled.settings.debug)

    def _options_response(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        resource: object,
        headers: Any,
        read: ReadHeader,
    ) -> None:
        """A plain OPTIONS gets the route-aware headers hug's class sends, but no
        Access-Control-Allow-* for a refused origin. A preflight was answered in
        process_request, or left to the app."""
        if headers is None:
            headers = req.env
        origin = read(headers, ORIGIN)
        if origin is not None and read(headers, REQUEST_METHOD) is not None:
            return
        compiled = self._current()
        settings = compiled.settings
        policy = _policy_of_response(req, resource, "OPTIONS", compiled)
        if policy is None:
            return
        answer = _decide(policy, origin, resp)
        if resource is not None:
            entry = compiled.by_template.get(req.uri_template)
            methods = served_methods(resource)
            if entry is not None and entry.resource is resource:  # suffixed responders too
                methods = entry.methods
            resp.set_header("Allow", ", ".join(sorted(methods)))
            if answer.refusal is None:
                resp.set_header("Access-Control-Allow-Methods", policy.methods_value(methods))
                if policy.max_age is not None:
                    resp.set_header("Access-Control-Max-Age", str(policy.max_age))
        _apply(answer, req, resp, settings.debug)

    async def process_response_async(
        self, req: Any, resp: Any, resource: object, req_succeeded: bool
    ) -> None:
        """:meth:`process_response`, as Falcon's ASGI app calls it (nothing is awaited)."""
        self.process_response(req, resp, resource, req_succeeded, req._asgi_headers, _asgi_header)

    def _handle_errors_of_new_app(self, api: Any) -> None:
        """Give the Falcon app hug is building an error handler for every exception.

        Falcon 2.0 tries its error handlers newest first, by ``isinstance``: this one,
        added before any route or app code exists, comes after every handler added later
        and hands Falcon's own HTTPError and HTTPStatus back to it.
        """
        api.http.falcon.add_error_handler(Exception, self._uncaught_error)

    def _uncaught_error(
        self, req: falcon.Request, resp: falcon.Response, error: Exception, params: object
    ) -> None:
        if isinstance(error, (falcon.HTTPError, falcon.HTTPStatus)):
            raise error  # Falcon's own handling, as without this handler
        if not self._settings.handle_uncaught_errors:
            raise error  # uncaught, as without this handler: the server answers 500
        logger.error(
            "uncaught %s on %s %s; answered 500 with the CORS headers",
            type(error).__name__,
            req.method,
            loggable(req.path),
            exc_info=(type(error), error, error.__traceback__),
        )
        # Nothing of the exception in the body; process_response then adds the CORS headers.
        raise falcon.HTTPInternalServerError()

    def _current(self) -> _Compiled:
        """The configuration, and the policy of each route of the router as it is now;
        compiled again only when the routes changed (or, after configure(), the first
        time)."""
        snapshot = self._routes.current()
        app = self._falcon_app()
        sinks: List[Any] = [] if app is None else app._sinks
        compiled = self._compiled
        if compiled.snapshot is snapshot and compiled.sinks == sinks:
            return compiled
        # Under the lock, so that configure() cannot put a new configuration in place
        # between reading the one in place and storing the routes compiled under it (and
        # so that threads that found the routes changed compile them once).
        with self._lock:
            compiled = self._compiled
            if compiled.snapshot is not snapshot or compiled.sinks != sinks:
                settings = compiled.settings
                table = RoutePolicies(
                    all_routes(snapshot.router), self._sinks(sinks), settings.policy, settings.paths
                )
                compiled = _Compiled(snapshot, settings, table, list(sinks))
                object.__setattr__(self, "_compiled", compiled)  # one reference swap: atomic
        return compiled

    def _falcon_app(self) -> Any:
        """The Falcon app served (for hug, the one it built last), or None for a router."""
        if _is_falcon_app(self._api):
            return self._api
        return getattr(getattr(self._api, "http", None), "falcon", None)

    def _sinks(self, app_sinks: List[Any]) -> List[Sink]:
        """The app's sinks (``app._sinks``: none known for a router), in the order Falcon
        tries them."""
        http: Any = getattr(self._api, "http", None)
        declared, not_found = {}, None
        if http is not None:  # hug adds "(?P<path>.*)" to the URL a sink was declared at
            declared = {
                id(sink): base_url + url
                for base_url, sinks in http.sinks.items()
                for url, sink in sinks.items()
            }
            not_found = getattr(http, "_not_found", None)
        found = []
        for prefix, sink, *_ in app_sinks:  # Falcon 3 and later add whether it is async
            url = declared.get(id(sink), prefix.pattern)
            found.append(Sink(prefix, sink, sink_templates(url), sink is not_found))
        return found

    def _check_routes(self, api: Any) -> None:
        """When the hug API starts: refuse route policies that cannot be honoured, and
        warn of patterns that match no route."""
        served: Set[int] = set()
        # hug runs the not-found handler for a version a route does not serve: where it has
        # a policy of its own, the route must have the same.
        fallback = {attached_policy(h) for h in api.http.not_found_handlers.values()} - {INHERIT}
        for where, handlers, falls_back in _hug_handlers(api.http):
            served.update(id(function_of(handler)) for handler in handlers)
            if falls_back and fallback - {attached_policy(handlers[0])}:
                raise CORSConfigurationError(
                    "route_policy",
                    where,
                    f"route_policy: {where} has no default version, so hug runs the "
                    "not-found handler for any other version (/v9/..., or no version), and "
                    "that handler's route_policy is not the route's:",
                    "give both the same route_policy, or the not-found handler none (it then "
                    "takes the route's), or give the route a default version (versions=None).",
                )
            if len({attached_policy(handler) for handler in handlers}) > 1:
                raise CORSConfigurationError(
                    "route_policy",
                    where,
                    f"route_policy: the versions of {where} have different policies. A "
                    "preflight cannot know which version the request will run (hug picks "
                    "it from the path, the X-API-VERSION header or ?api_version=):",
                    "give every version the same route_policy, or serve them on different paths.",
                )
        module = api.module  # None for hug.API() made without one
        for name, value in sorted(vars(module).items()) if module is not None else ():
            if inspect.isfunction(value) and ATTRIBUTE in vars(value) and id(value) not in served:
                raise CORSConfigurationError(
                    "route_policy",
                    value,
                    f"route_policy: {name}() carries a policy but serves no route, sink or "
                    "not-found handler of this API, so it would be ignored (hug.static "
                    "serves files through a function of its own):",
                    "use route_policies={'/static/*': ...} with the path it serves, or "
                    "remove the decorator.",
                )
        self._warn_about_unmatched_patterns(api)

    def _warn_about_unmatched_patterns(self, api: Any) -> None:
        templates = list(_hug_templates(api.http))
        for pattern in self._settings.paths.unmatched(templates) if templates else ():
            warn_about_configuration(
                f"route_policies: {pattern!r} matches no route of the API; check it "
                "against the route templates ('/items/{id}'; '*' matches any characters)."
            )


def _check_errors_can_be_handled(api: Any, settings: _Settings) -> None:
    if settings.handle_uncaught_errors and not hasattr(api, "add_startup_handler"):
        raise CORSConfigurationError(
            "handle_uncaught_errors",
            True,
            "handle_uncaught_errors needs the hug.API: the error handler goes on the Falcon "
            "app that hug builds. A router does not say which app serves it, and Falcon 3 "
            "and later answer an uncaught exception with a 500 that carries the CORS "
            "headers by themselves;",
            "pass the hug.API as api, or leave handle_uncaught_errors out.",
        )


def _route_finder(api: Any) -> RouteFinder:
    """How to find a request's route in ``api``: a hug API, a Falcon router or None."""
    if api is None:  # plain Falcon without its router: no route is known
        return RouteFinder(lambda: None)
    if callable(getattr(api, "find", None)) and callable(getattr(api, "add_route", None)):
        return RouteFinder(lambda: api)  # a Falcon router, also given to falcon.API(router=...)
    if _is_falcon_app(api):  # falcon.asgi.App is one too
        return RouteFinder(lambda: api._router)
    http: Any = getattr(api, "http", None)
    if not hasattr(http, "routes"):
        raise CORSConfigurationTypeError(
            "api",
            api,
            f"api must be a hug.API, a falcon.App, a Falcon router or None, not {api!r}:",
            "write CORSMiddleware(hug.API(__name__), ...); for plain Falcon, "
            "app.add_middleware(CORSMiddleware(app, ...)), or on Falcon 2.0 "
            "CORSMiddleware(router, ...) with falcon.API(router=router, ...).",
        )
    # The router of the falcon.API hug's server() built last; requests come only through
    # one, so it is there whenever a request asks.
    return RouteFinder(lambda: http.falcon._router)


def _is_falcon_app(api: Any) -> bool:
    """Whether ``api`` is a ``falcon.App`` (Falcon 3 and later: a Falcon 2.0 app takes no
    middleware once built, so it is served through its router)."""
    app_class = getattr(falcon, "App", None)
    return app_class is not None and isinstance(api, app_class)


def _hug_handlers(http: Any) -> Iterator[Tuple[str, List[object], bool]]:
    """The functions behind each responder of a hug API (one per version), with where
    it serves (routes, sinks and the not-found handlers), and whether hug falls back to
    the not-found handler there (a versioned route without a default version)."""
    for base_url, routes in http.routes.items():
        for url, methods in routes.items():
            for method, versions in methods.items():
                yield f"{method} {base_url + url}", list(versions.values()), None not in versions
    for base_url, sinks in http.sinks.items():
        for url, sink in sinks.items():
            yield f"the sink {base_url + url}", [sink], False
    yield "the not-found handler", list(http.not_found_handlers.values()), False


def _hug_templates(http: Any) -> Iterator[str]:
    """The templates a hug API's routes and sinks serve, as the route table sees them."""
    # hug's own test: it adds the /v{api_version} twin even when the only version is
    # None, as the set of versions never equals the tuple.
    versioned = bool(http.versions) and http.versions != (None,)
    for base_url, routes in http.routes.items():
        for url in routes:
            yield base_url + url
            if versioned:
                yield f"{base_url}/v{{api_version}}{url}"
    for base_url, sinks in http.sinks.items():
        for url in sinks:
            yield from sink_templates(base_url + url)


def _policy_of_response(
    req: falcon.Request, resource: object, method: str, compiled: _Compiled
) -> Optional[CORSPolicy]:
    """The policy of the function that served the request, from the route table as it is
    now."""
    if resource is not None:
        return compiled.table.for_resource(resource, req.uri_template, method, req.path)
    return compiled.table.for_path(req.path, compiled.snapshot.find(req.path, req), method)


def _decide(policy: CORSPolicy, origin: Optional[str], resp: falcon.Response) -> Answer:
    """The policy's answer to an actual request, when no ready one holds. The response's
    header names are read only for expose_headers=["*"] with credentials."""
    names = resp._headers.keys if policy.exposes_response_headers else tuple
    return policy.actual(origin, names)


def _apply(answer: Answer, req: falcon.Request, resp: falcon.Response, debug: bool) -> None:
    # Falcon (2.0 to 4.x) keeps a response's headers in the dict Response._headers, by
    # lower-case name. set_headers() would also str() each name and value and refuse
    # Set-Cookie, which the policy's checked strings never need: the answer's ready-made
    # fields go into the dict in one update, the app's own Vary merged when it set one.
    written: Dict[str, str] = resp._headers
    existing = written.get("vary")
    written.update(answer.fields)
    if existing and answer.vary:  # the app's own Vary, with the answer's tokens added
        written["vary"] = merge_vary(existing, answer.vary)
    if answer.refusal is not None:
        _report_refusal(answer.refusal, req, resp, debug)


def _report_refusal(refusal: str, req: falcon.Request, resp: falcon.Response, debug: bool) -> None:
    """Log a refusal (at debug level; in debug mode at warning, and in a response header).
    Refusals are loggable(): quoted, ASCII, short, safe in a header."""
    if debug and DEBUG_FIELD not in resp._headers:  # a refused write keeps its own
        resp.set_header(DEBUG_HEADER, refusal)
    level = logging.WARNING if debug else logging.DEBUG
    if logger.isEnabledFor(level):
        path = loggable(req.path)
        logger.log(level, "CORS refused for %s %s: %s", req.method, path, refusal)
