"""tox plugin: let tox find every interpreter pyenv has installed, and outside CI skip
the environments of interpreters the machine does not have.

A pyenv shim such as ``python3.8`` runs only the versions pyenv has made active, so
tox would report the others missing. Making every installed version active for
the run lets the README's single ``tox`` command test them all.

PYENV_VERSION is nearly always set already: a shim (``python -m tox``, or a ``tox``
installed under pyenv) exports the version it picked. So the versions already
active are kept first (``python`` and ``python3`` still mean what they meant) and
every installed version is appended. tox looks for interpreters with only the
variables an environment passes on, so every environment passes PYENV_VERSION.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any, List

from tox.plugin import impl


def _pyenv(pyenv: str, *args: str) -> List[str]:
    done = subprocess.run([pyenv, *args], capture_output=True, text=True, check=False)
    return done.stdout.split() if done.returncode == 0 else []


@impl
def tox_add_core_config(core_conf: Any, state: Any) -> None:
    # On a machine with one Python, run what is there; in CI every interpreter is required.
    # An explicit --skip-missing-interpreters wins either way.
    options = state.conf.options
    if os.environ.get("CI") != "true" and options.skip_missing_interpreters == "config":
        options.skip_missing_interpreters = "true"
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    pyenv = shutil.which("pyenv") or shutil.which("pyenv", path=os.path.join(root, "bin"))
    if pyenv is None:
        return
    active = os.environ.get("PYENV_VERSION") or ":".join(_pyenv(pyenv, "version-name"))
    # --skip-envs (pyenv >= 2.3) keeps pyenv-virtualenv environments out of the list.
    installed = _pyenv(pyenv, "versions", "--bare", "--skip-aliases", "--skip-envs")
    installed = installed or _pyenv(pyenv, "versions", "--bare")
    versions = [v for v in active.split(":") + installed if v]
    if versions:
        os.environ["PYENV_VERSION"] = ":".join(dict.fromkeys(versions))


@impl
def tox_add_env_config(env_conf: Any, state: Any) -> None:
    env_conf["pass_env"].append("PYENV_VERSION")
