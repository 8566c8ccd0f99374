"""tox plugin: let tox find every interpreter pyenv has installed.

A pyenv shim such as ``python3.8`` runs only the versions pyenv has made active, so
tox would report the others missing. Making every installed version active for
the run lets the README's single ``tox`` command test them all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

from tox.plugin import impl


@impl
def tox_add_core_config(core_conf: Any, state: Any) -> None:
    pyenv = shutil.which("pyenv")
    if pyenv is None or "PYENV_VERSION" in os.environ:
        return
    run = subprocess.run
    current = run([pyenv, "version-name"], capture_output=True, text=True).stdout.split(":")
    installed = run([pyenv, "versions", "--bare"], capture_output=True, text=True).stdout.split()
    os.environ["PYENV_VERSION"] = ":".join(dict.fromkeys(current[:1] + installed))
