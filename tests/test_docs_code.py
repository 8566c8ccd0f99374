"""The Python code the guides show runs as shown: each page's ``python`` blocks, in order,
as one module, and the page's own tests (functions named ``test_...``) pass."""

from __future__ import annotations

import doctest
import itertools
import logging
import re
import types
from pathlib import Path
from typing import Any, List, Optional

import hug
import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
FRONT_END = "https://app.example.com"
_loads = itertools.count()  # hug keeps one API per module name: each load is a new one


def page_module(page: str, block: Optional[int] = None) -> types.ModuleType:
    """The page's ``python`` blocks (or the one numbered ``block``, from 0) run as one new
    module, named after the page."""
    text = (DOCS / page).read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, re.DOTALL | re.MULTILINE)
    assert blocks, f"{page} shows no Python code"
    module = types.ModuleType(f"docs_{Path(page).stem}_{next(_loads)}")
    code = "\n".join(blocks) if block is None else blocks[block]
    exec(compile(code, str(DOCS / page), "exec"), module.__dict__)
    return module


def page_tests(module: types.ModuleType) -> List[Any]:
    return [value for name, value in vars(module).items() if name.startswith("test_")]


def test_the_testing_guides_tests_pass() -> None:
    tests = page_tests(page_module("testing.md"))
    assert len(tests) == 5
    for test in tests:
        test()


def test_the_testing_guides_tests_fail_when_cors_is_wrong() -> None:
    """The same tests notice a middleware that lets every origin in."""
    module = page_module("testing.md")
    module.cors.configure(allow_origins=["*"], allow_credentials=False)
    failed = []
    for test in page_tests(module):
        try:
            test()
        except AssertionError:
            failed.append(test.__name__)
    assert failed == [
        "test_the_front_end_reads_the_items",
        "test_another_site_cannot_read_the_items",
        "test_the_front_end_may_put_json",
    ]


def test_the_errors_guides_first_example_makes_a_crash_a_readable_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    module = page_module("errors.md", block=0)

    @hug.get("/crash", api=module.api)
    def crash() -> None:
        raise RuntimeError("the database password is hunter2")

    with caplog.at_level(logging.ERROR, logger="hug_cors"):
        response = hug.test.get(module.api, "/crash", headers={"Origin": FRONT_END})
    assert response.status == "500 Internal Server Error"
    assert response.headers_dict["access-control-allow-origin"] == FRONT_END
    assert response.data == {"errors": {"500 Internal Server Error": None}}
    assert "hunter2" in caplog.text  # logged with its traceback, never sent
    assert "Traceback" in caplog.text


def test_the_errors_guides_handler_makes_a_crash_a_readable_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    module = page_module("errors.md")

    @hug.get("/crash", api=module.api)
    def crash() -> None:
        raise RuntimeError("the database password is hunter2")

    with caplog.at_level(logging.ERROR, logger=module.__name__):
        response = hug.test.get(module.api, "/crash", headers={"Origin": FRONT_END})
    assert response.status == "500 Internal Server Error"
    assert response.headers_dict["access-control-allow-origin"] == FRONT_END
    assert response.data == {"errors": {"server": "internal error"}}
    assert "hunter2" in caplog.text  # logged with its traceback, never sent
    assert "Traceback" in caplog.text


PYCON_PAGES = sorted(
    path.name for path in DOCS.glob("*.md") if "```pycon" in path.read_text(encoding="utf-8")
)


@pytest.mark.parametrize("page", PYCON_PAGES)
def test_the_interactive_sessions_a_page_shows_give_what_it_shows(page: str) -> None:
    """Each ``pycon`` block is run as a doctest: its output is what the code prints."""
    text = (DOCS / page).read_text(encoding="utf-8")
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for number, block in enumerate(re.findall(r"^```pycon\n(.*?)^```", text, re.DOTALL | re.M)):
        test = parser.get_doctest(block, {}, f"{page} block {number + 1}", page, 0)
        assert test.examples, f"{page}: a pycon block without >>>"
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_the_csrf_pages_example_refuses_a_cross_site_form_post() -> None:
    module = page_module("cross-origin-writes.md")
    placed: List[int] = []

    @hug.post("/orders", api=module.api)
    def place_order() -> None:
        placed.append(1)

    forged = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    assert hug.test.post(module.api, "/orders", headers=forged).status == "403 Forbidden"
    assert placed == []
    allowed = {"Origin": FRONT_END, "Sec-Fetch-Site": "cross-site"}
    assert hug.test.post(module.api, "/orders", headers=allowed).status == "200 OK"
    assert placed == [1]
