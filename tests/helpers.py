"""Helpers the test modules share."""

from __future__ import annotations

import os

# mutmut sets MUTANT_UNDER_TEST in every process that runs the tests against mutants. A
# surviving mutant runs the whole suite, property tests included, so there each of those
# tries fewer examples: a mutant that only more examples would catch counts as surviving,
# which makes the score a lower bound, never an overstatement.
UNDER_MUTATION = "MUTANT_UNDER_TEST" in os.environ


def examples(count: int) -> int:
    """``count`` hypothesis examples; at most 40 under mutation testing."""
    return min(count, 40) if UNDER_MUTATION else count
