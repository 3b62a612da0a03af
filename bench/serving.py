"""Serving an app with gunicorn (2 sync workers) on loopback for the benchmarks, and stopping it."""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, path: str, timeout: float = 60, until_ok: bool = False) -> bool:
    """Whether the server on `port` answered GET `path` (with 200 when `until_ok`) within `timeout` s."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            if not until_ok or response.status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def gunicorn(app_spec: str, env: dict, probe: str, *, chdir: Path = ROOT, options: tuple = (), until_ok: bool = False,
             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) -> tuple[subprocess.Popen, int]:  # fmt: skip
    """Start `app_spec` under gunicorn -w 2 on a free port and wait until it answers GET `probe`."""
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "--chdir", str(chdir), *options, app_spec],
        cwd=ROOT, env=env, start_new_session=True, stdout=stdout, stderr=stderr,
    )  # fmt: skip
    if not wait_for(port, probe, until_ok=until_ok):
        stop(process)
        raise RuntimeError(f"gunicorn did not start ({app_spec})")
    return process, port


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)
