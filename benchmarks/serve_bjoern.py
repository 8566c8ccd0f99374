"""Serve the demo-like benchmark app with bjoern in N forked worker processes.

    HUG_CORS_BENCH_VARIANT=hug-cors python benchmarks/serve_bjoern.py PORT [WORKERS]

bjoern is single-threaded; like gunicorn's workers, the forks share one listening socket
on 127.0.0.1. SIGTERM or SIGINT to this process stops the workers too.
"""

import contextlib
import os
import signal
import sys

import bjoern
from bench_apps import demo_app_from_environment


def main() -> int:
    port = int(sys.argv[1])
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    app = demo_app_from_environment()
    bjoern.listen(app, "127.0.0.1", port)
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            bjoern.run()
            os._exit(0)
        children.append(pid)

    def stop(signum, frame):
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(child, 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
