"""A user's service started from a command: their control service, run as they run it.

Not every user can build an image of their service here; a command line is what they
have (`{python} -m my_control --port {port}`; `{python}` is the harness's own interpreter).
The harness picks a free port, starts the
command in its own process group, waits for its readiness path, and ends the whole group
at the end of the run or on Ctrl-C, like the containers it starts.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import requests

from harness.env.cleanup import forget_process, remember_process
from harness.env.services import READY_TIMEOUT_S, free_port
from harness.errors import EnvironmentFailed


class ServiceProcess:
    """One started command, its URL and its output."""

    def __init__(self, role: str, command: Sequence[str], ready_path: str,
                 env: Mapping[str, str], cwd: Path) -> None:
        self.role = role
        self.port = free_port()
        self.argv = [self._substitute(part) for part in command]
        self._ready_path = ready_path
        self._env = {**os.environ, **{name: self._substitute(value) for name, value in env.items()}}
        self._cwd = cwd
        handle, name = tempfile.mkstemp(prefix=f"stdb-harness-{role}-", suffix=".log")
        os.close(handle)
        self._log_path = Path(name)
        self._process: subprocess.Popen[bytes] | None = None

    def _substitute(self, text: str) -> str:
        """`{port}` and `{python}` in a command part or an environment value: a service that
        reads its bind address from the environment needs no wrapper script."""
        return text.replace("{port}", str(self.port)).replace("{python}", sys.executable)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServiceProcess:
        try:
            with self._log_path.open("wb") as log:
                self._process = subprocess.Popen(self.argv, cwd=self._cwd, env=self._env,
                                                 stdout=log, stderr=subprocess.STDOUT,
                                                 start_new_session=True)
        except OSError as exc:
            raise EnvironmentFailed(f"could not start the {self.role} command "
                                    f"{' '.join(self.argv)}: {exc}",
                                    "check the command in your config") from exc
        remember_process(self._process.pid)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise EnvironmentFailed(
                    f"the {self.role} command exited with {self._process.returncode} before "
                    f"it was ready:\n{self.logs()[-3000:]}", "run the command by hand to see why")
            try:
                if requests.get(self.url + self._ready_path, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.remove()
        raise EnvironmentFailed(f"the {self.role} command did not answer 200 on "
                                f"{self._ready_path} within {READY_TIMEOUT_S:.0f}s",
                                "check ready_path in your config")

    def logs(self) -> str:
        return self._log_path.read_text(encoding="utf-8", errors="replace")

    def remove(self) -> None:
        if self._process is None:
            return
        process, self._process = self._process, None
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        forget_process(process.pid)
        self._log_path.unlink(missing_ok=True)
