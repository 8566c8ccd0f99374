"""WSGI apps served on 127.0.0.1 for the browser and stress suites: the demo's own
waitress ``Server`` (examples/demo.py), so that there is one serving loop to trust."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo.py"


def load_demo() -> ModuleType:
    """examples/demo.py as a module, loaded once (its hug APIs are named by a counter)."""
    module = sys.modules.get("hug_cors_demo")
    if module is None:
        spec = importlib.util.spec_from_file_location("hug_cors_demo", DEMO)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["hug_cors_demo"] = module
        spec.loader.exec_module(module)
    return module


def serve(app: Callable[..., Any]) -> Any:
    """``app`` on a free port in a background thread; ``.url``, ``.port``, ``.stop()``."""
    return load_demo().Server(0).serve(app)
