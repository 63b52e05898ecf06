"""The TLS context every client shares is made on a worker thread when the window starts."""

from __future__ import annotations

import subprocess
import sys


def test_warm_up_makes_the_shared_context_off_the_calling_thread() -> None:
    # A fresh interpreter: in this one another test may have made the context already.
    script = (
        "import threading\n"
        "import httpx\n"
        "from composer.client import api\n"
        "makers = []\n"
        "real = httpx.create_ssl_context\n"
        "def create(*args, **kwargs):\n"
        "    makers.append(threading.current_thread().name)\n"
        "    return real(*args, **kwargs)\n"
        "httpx.create_ssl_context = create\n"
        "assert api._ssl_context is None\n"
        "api.warm_up_tls().join(30)\n"
        "assert makers and 'MainThread' not in makers, makers\n"
        "assert api.shared_ssl_context() is api._ssl_context is not None\n"
        "assert len(makers) == 1, makers  # made once, then shared\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
