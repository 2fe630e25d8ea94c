"""Start and stop a throwaway Sachet server for the client checks.

Each server gets a fresh data directory and a free port (`SACHET_BIND=127.0.0.1:0`); its
URL is read from the line it prints on stdout. It is stopped by its PID, and its data
directory removed, even when the code using it fails.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "client-checks-admin-password"
STARTUP_TIMEOUT_SECONDS = 60
LISTENING = re.compile(r"Sachet listening on (http://\S+)")


@dataclasses.dataclass(frozen=True)
class RunningServer:
    url: str
    pid: int
    data_dir: Path
    log_path: Path


def server_binary() -> Path:
    """The binary to test: `SACHET_BIN`, else the workspace's debug build."""
    binary = Path(os.environ.get("SACHET_BIN", REPO / "target" / "debug" / "sachet"))
    if not binary.is_file():
        raise RuntimeError(f"no Sachet binary at {binary}; run `cargo build -p sachet` or set SACHET_BIN")
    return binary


@contextlib.contextmanager
def running_server(log_dir: Path | None = None) -> Iterator[RunningServer]:
    """A fresh server with the admin password `ADMIN_PASSWORD`, stopped on exit."""
    data_dir = Path(tempfile.mkdtemp(prefix="sachet-client-checks-"))
    log_dir = log_dir or data_dir
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "server.log"
    env = {
        **os.environ,
        "SACHET_DATA_DIR": str(data_dir),
        "SACHET_BIND": "127.0.0.1:0",
        "SACHET_INITIAL_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "SACHET_LOG": "warn",
    }
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(server_binary()), "serve"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
    try:
        url = _wait_for_url(process, log_path)
        yield RunningServer(url=url, pid=process.pid, data_dir=data_dir, log_path=log_path)
    finally:
        _stop(process)
        shutil.rmtree(data_dir, ignore_errors=True)


def _wait_for_url(process: subprocess.Popen[bytes], log_path: Path) -> str:
    # The stdout pipe is drained by a thread for the server's whole life, so the server never
    # blocks on a full pipe; the first `listening` line is handed over through a queue.
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for raw in process.stdout:
            lines.put(raw.decode("utf-8", "replace"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    while True:
        try:
            line = lines.get(timeout=STARTUP_TIMEOUT_SECONDS)
        except queue.Empty:
            raise RuntimeError(f"server printed no URL in {STARTUP_TIMEOUT_SECONDS}s") from None
        if line is None:
            log = log_path.read_text(errors="replace")
            raise RuntimeError(f"server exited with {process.wait()} before listening:\n{log}")
        match = LISTENING.search(line)
        if match:
            return match.group(1).rstrip("/")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
