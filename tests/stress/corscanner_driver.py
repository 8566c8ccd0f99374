"""Run every check of CORScanner (PyPI ``cors``) against one URL, through a proxy.

    python corscanner_driver.py URL PROXY

prints one JSON object: {"checks": [names run], "findings": [CORScanner's messages]}.

It runs in a process of its own: CORScanner monkey-patches the whole standard library
with gevent when imported. Its library API, ``CORScanner.cors_scan.cors_check(url)``,
stops at the first finding and takes no proxy, so this calls each ``test_*`` check of its
``CORSCheck`` class in turn, with the proxy its command line would pass (``-p``). Its
``tldextract`` is made to use its bundled public suffix list instead of downloading one.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

# The checks of CORScanner 1.0.1, in the order its check_one_by_one() runs them.
CHECKS = [
    "test_reflect_origin",
    "test_prefix_match",
    "test_suffix_match",
    "test_trust_null",
    "test_include_match",
    "test_not_escape_dot",
    "test_custom_third_parties",
    "test_special_characters_bypass",
    "test_trust_any_subdomain",
    "test_https_trust_http",
]


def main(url: str, proxy: str) -> None:
    import importlib.util

    spec = importlib.util.find_spec("CORScanner")
    if spec is None or spec.submodule_search_locations is None:
        sys.exit("CORScanner is not installed: pip install cors")
    # CORScanner imports its modules as top-level ones (from common.corscheck import ...).
    sys.path.insert(0, str(Path(next(iter(spec.submodule_search_locations)))))
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        os.environ.pop(name, None)
        os.environ.pop(name.lower(), None)

    # isort: off
    # First: it monkey-patches ssl, which must not have been imported before (gevent
    # would then recurse forever in every TLS handshake).
    from common.corscheck import CORSCheck  # type: ignore[import-not-found]
    from common.logger import Log  # type: ignore[import-not-found]
    import tldextract

    # isort: on

    offline = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())
    tldextract.extract = offline  # what CORSCheck calls

    available = sorted(name for name in dir(CORSCheck) if name.startswith("test_"))
    if available != sorted(CHECKS):
        sys.exit(f"CORScanner's checks changed: {available}; update CHECKS")
    config = {"logger": Log(None, print_level=4), "headers": None, "timeout": 5, "proxy": proxy}
    scanner = CORSCheck(url, config)
    ran = []
    for name in CHECKS:
        getattr(scanner, name)()
        ran.append(name)
    print(json.dumps({"checks": ran, "findings": scanner.all_results}))


if __name__ == "__main__":
    main(*sys.argv[1:3])
