"""What the Fetch standard and HTTP define, and browsers do: the names and grammars
that both the configuration checks and the decisions rely on."""

from __future__ import annotations

import re

SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
# fetch() throws a TypeError for these, so no page can ask for them.
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})
# Configured in lower case, these are written in upper case, as pages send them (a
# page's method is matched case-sensitively).
STANDARD_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"})
# A browser lists these safelisted names only for values outside the safelist, such as
# a JSON Content-Type, which every API expects to accept: they are always allowed.
SAFELISTED_HEADERS = frozenset({"accept", "accept-language", "content-language", "content-type"})
# A "*" in Access-Control-Allow-Headers never covers Authorization.
NON_WILDCARD_HEADER = "authorization"
SAFELISTED_RESPONSE_HEADERS = frozenset(
    {"cache-control", "content-language", "content-length", "content-type"}
    | {"expires", "last-modified", "pragma"}
)
FORBIDDEN_RESPONSE_HEADERS = frozenset({"set-cookie", "set-cookie2"})
# Chromium ignores a longer Access-Control-Max-Age and uses this (Firefox: 86400).
BROWSER_MAX_AGE = 7200

# RFC 9110 token characters: what header names and method names are made of.
TOKEN_CHARACTERS = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
TOKEN = re.compile(TOKEN_CHARACTERS + r"+\Z")
