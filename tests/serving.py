"""A real `perfrules serve` for the tests: a subprocess on a free loopback port with its own
database, started the way a bureau starts it, waited for on /healthz, and stopped (or killed)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, db: Path, *args: str, port: int | None = None):
        self.db, self.args = db, args
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.output = ""

    def start(self, timeout: float = 60) -> "Server":
        env = {**os.environ, "PYTHONPATH": str(ROOT / "engine")}
        self.log = open(self.db.with_name(self.db.name + f".{self.port}.log"), "w+b")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "perfrules", "serve", "--port", str(self.port), "--db", str(self.db), *self.args],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"perfrules serve exited: {self.stop()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("perfrules serve did not start")

    def kill(self) -> None:
        """kill -9 of the whole process group (the server and its workers)."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    def stop(self) -> str:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc is not None and not self.log.closed:
            self.log.seek(0)
            self.output = self.log.read().decode("utf-8", "replace")
            self.log.close()
        return self.output

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
