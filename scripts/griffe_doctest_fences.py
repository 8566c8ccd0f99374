"""A griffe extension for the docs build: hug-cors' docstrings as Markdown.

The docstrings are written for ``help()`` and ``pytest --doctest-modules``: bare
``>>>`` doctest paragraphs, reST literal blocks introduced by ``::`` and roles such as
``:class:`CORSPolicy```. Markdown would read a doctest as nested block quotes (and
``['https://app.example.com']`` in its output as a link, which ``mkdocs build
--strict`` rejects) and show the rest verbatim. When mkdocstrings loads a docstring,
this fences each doctest block as ``pycon`` (dropping ``# doctest:`` directives),
turns ``::`` into ``:`` and a role into a cross-reference to the API reference, or
into code when its target is not documented there. The source is unchanged.
Registered in mkdocs.yml, in the python handler's ``extensions`` option.
"""

from __future__ import annotations

import re
from typing import Any, List, Match

import griffe

# The objects docs/reference.md documents, by the names docstrings use for them.
REFERENCE = {
    name.rpartition(".")[2]: name
    for name in (
        "hug_cors.CORSMiddleware",
        "hug_cors.CORSPolicy",
        "hug_cors.route_policy",
        "hug_cors.explain",
        "hug_cors.Explanation",
        "hug_cors.browser_accepts",
        "hug_cors.CORSConfigurationError",
        "hug_cors.CORSConfigurationTypeError",
        "hug_cors.CORSConfigurationWarning",
        "hug_cors.Answer",
    )
}

_PROMPT = re.compile(r"(?P<indent>[ \t]*)>>>")
_DIRECTIVE = re.compile(r"[ \t]*# doctest:.*$")
_ROLE = re.compile(r":(?:class|func|meth|attr|mod|exc|data|obj):`(?P<tilde>~?)(?P<target>[\w.]+)`")


def fence_doctests(text: str) -> str:
    """``text`` with every doctest block (a ``>>>`` line up to a blank line) fenced."""
    lines = text.split("\n")
    out: List[str] = []
    index = 0
    while index < len(lines):
        prompt = _PROMPT.match(lines[index])
        if prompt is None:
            out.append(lines[index])
            index += 1
            continue
        indent = prompt.group("indent")
        if out and out[-1].strip():
            out.append("")
        out.append(f"{indent}```pycon")
        while index < len(lines) and lines[index].strip():
            out.append(_DIRECTIVE.sub("", lines[index]))
            index += 1
        out.extend((f"{indent}```", ""))
    return "\n".join(out).rstrip("\n")


def literal_block_markers(text: str) -> str:
    """``text`` with reST's ``::`` (before an indented block) shown as ``:``."""
    lines = text.split("\n")
    for index, line in enumerate(lines[:-1]):
        if line.endswith("::") and not lines[index + 1].strip():
            lines[index] = line[:-1] if line.strip() != "::" else ""
    return "\n".join(lines)


def _role(found: Match[str]) -> str:
    target = found.group("target")
    shown = target.rpartition(".")[2] if found.group("tilde") else target
    identifier = REFERENCE.get(target.rpartition(".")[2])
    return f"[`{shown}`][{identifier}]" if identifier else f"`{shown}`"


def markdown(text: str) -> str:
    """A docstring's text, as Markdown."""
    return _ROLE.sub(_role, literal_block_markers(fence_doctests(text)))


class DoctestFences(griffe.Extension):
    """Rewrite every docstring griffe loads with :func:`markdown`."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown(obj.docstring.value)
