"""Every example under examples/ runs, and does what its docstring says."""

from __future__ import annotations

import importlib.util
import runpy
from pathlib import Path
from types import ModuleType
from typing import Any

import hug
import pytest
from falcon import testing

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def origin_answer(api: Any, path: str, origin: str) -> Any:
    response = hug.test.call("GET", api, path, headers={"Origin": origin})
    return response.headers_dict.get("access-control-allow-origin")


def test_per_route_policies() -> None:
    example = load("per_route_policies")
    other = "https://other.example"
    assert origin_answer(example.api, "/public/prices", other) == "*"
    assert origin_answer(example.api, "/status", other) == "*"
    assert origin_answer(example.api, "/account", other) is None
    assert origin_answer(example.api, "/account", example.FRONT_END) == example.FRONT_END
    assert origin_answer(example.api, "/admin/users", example.FRONT_END) is None


def test_debug_mode(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / "debug_mode.py"), run_name="__main__")
    printed = capsys.readouterr().out
    assert "200 OK" in printed
    assert "Hug-CORS-Refused: header 'x-trace-id' is not allowed" in printed


def test_configure_at_runtime(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / "configure_at_runtime.py"), run_name="__main__")
    first, second = capsys.readouterr().out.splitlines()
    assert "https://globex.example.com" in first
    assert "trailing slash" in second
    assert "https://initech.example.com'" in second


def test_plain_falcon() -> None:
    example = load("plain_falcon")
    client = testing.TestClient(example.app)
    headers = {"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"}
    answer = client.simulate_options("/items/1", headers=headers)
    assert answer.headers["Access-Control-Allow-Methods"] == "GET, OPTIONS, PUT"


def test_every_example_is_covered_here() -> None:
    tested = {"per_route_policies", "debug_mode", "configure_at_runtime", "plain_falcon"}
    elsewhere = {"demo": "tests/browser/test_demo.py", "explain_request": "tests/test_explain.py"}
    assert {p.stem for p in EXAMPLES.glob("*.py")} == tested | set(elsewhere)
