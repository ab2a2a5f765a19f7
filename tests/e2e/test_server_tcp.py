"""``codeswitch serve --tcp`` through real sockets: loopback only, a token in ``initialize``, strict
LSP framing (a plain HTTP POST is closed unanswered), one client (a second connection is refused)."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from raw_lsp import WAIT_S, RawPeer

INVALID_REQUEST = -32600


class TcpServer:
    """``codeswitch serve --tcp 127.0.0.1:0`` with the port and token it printed on stderr."""

    def __init__(self, home: Path, *extra: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_BASE_URL"))}
        env.update(XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"))
        self.proc = subprocess.Popen([sys.executable, "-m", "codeswitch", "serve", "--tcp", "127.0.0.1:0",
                                      *extra], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline().decode()
        found = re.search(r"listening on 127\.0\.0\.1:(\d+) for one client; (token in .*|token (\S+))", line)
        assert found, line
        self.port = int(found.group(1))
        self.token = found.group(3)
        self.peers: list[tuple[socket.socket, RawPeer]] = []

    def connect(self) -> tuple[socket.socket, RawPeer]:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=WAIT_S)
        reader = sock.makefile("rb")
        peer = RawPeer(reader, sock.sendall)
        self.peers.append((sock, peer))
        return sock, peer

    def stop(self) -> str:
        for sock, peer in self.peers:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # the reader thread sees the end of the stream
            sock.close()
            peer.thread.join(timeout=WAIT_S)
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=WAIT_S)
        assert self.proc.stderr is not None
        err = self.proc.stderr.read().decode("utf-8", "replace")
        self.proc.stderr.close()
        return err


@pytest.fixture
def tcp(tmp_path: Path) -> Iterator[TcpServer]:
    (tmp_path / "ws").mkdir()
    server = TcpServer(tmp_path)
    yield server
    server.stop()


def closed(peer: RawPeer) -> bool:
    """True when the server closed the connection without sending anything more."""
    return peer.next() is None


def test_a_plain_http_post_is_closed_unanswered(tcp: TcpServer, tmp_path: Path) -> None:
    body = b'{"jsonrpc": "2.0", "id": 1, "method": "shutdown"}'
    _, peer = tcp.connect()
    peer.write(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               b"Content-Length: %d\r\n\r\n" % len(body) + body)
    assert closed(peer)
    _, client = tcp.connect()  # the real client still gets the session
    assert "result" in client.initialize(tmp_path / "ws", {"token": tcp.token})


def test_the_first_message_must_carry_the_token(tcp: TcpServer, tmp_path: Path) -> None:
    for options in (None, {"token": "not-the-token-" + "x" * 20}):
        _, peer = tcp.connect()
        peer.send({"jsonrpc": "2.0", "id": 0, "method": "initialize",
                   "params": {"capabilities": {}, "initializationOptions": options}})
        answer = peer.next()
        assert answer["error"]["code"] == INVALID_REQUEST and "token" in answer["error"]["message"]
        assert closed(peer)
    _, peer = tcp.connect()
    peer.send({"jsonrpc": "2.0", "id": 1, "method": "shutdown"})  # not initialize first
    assert peer.next()["error"]["code"] == INVALID_REQUEST and closed(peer)
    _, client = tcp.connect()
    answer = client.initialize(tmp_path / "ws", {"token": tcp.token, "team": {"max_turns": 4}})
    assert answer["result"]["serverInfo"]["name"] == "codeswitch"
    config_warnings = [m for m in client.others if "token" in str(m)]
    assert config_warnings == []  # the token is not read as a setting


def test_one_client_a_second_connection_is_refused_not_a_takeover(tcp: TcpServer, tmp_path: Path) -> None:
    _, first = tcp.connect()
    first.initialize(tmp_path / "ws", {"token": tcp.token})
    _, second = tcp.connect()
    second.send({"jsonrpc": "2.0", "id": 0, "method": "initialize",
                 "params": {"capabilities": {}, "initializationOptions": {"token": tcp.token}}})
    refusal = second.next()
    assert refusal["error"]["code"] == INVALID_REQUEST and "another client" in refusal["error"]["message"]
    assert closed(second)
    first.send({"jsonrpc": "2.0", "id": "s", "method": "shutdown"})
    assert first.answer("s")["result"] is None  # the first client keeps its session
    first.send({"jsonrpc": "2.0", "method": "exit"})
    assert closed(first)
    assert tcp.proc.wait(timeout=WAIT_S) == 0  # its client gone, the server ends


def test_an_oversized_message_closes_the_connection(tcp: TcpServer) -> None:
    _, peer = tcp.connect()
    peer.write(b"Content-Length: 1099511627776\r\n\r\n{}")
    answer = peer.next()
    assert answer["error"]["code"] == INVALID_REQUEST and closed(peer)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.7", "example.com", "[::]"])
def test_only_loopback_addresses(tmp_path: Path, host: str) -> None:
    done = subprocess.run([sys.executable, "-m", "codeswitch", "serve", "--tcp", f"{host}:0"],
                          capture_output=True, text=True, timeout=WAIT_S, check=False)
    assert done.returncode == 2 and "loopback" in done.stderr


def test_token_file_must_be_private(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("a-long-enough-token-for-tests\n")
    token_file.chmod(0o644)
    done = subprocess.run([sys.executable, "-m", "codeswitch", "serve", "--tcp", "127.0.0.1:0",
                           "--token-file", str(token_file)], capture_output=True, text=True,
                          timeout=WAIT_S, check=False)
    assert done.returncode == 2 and "chmod 600" in done.stderr
    token_file.chmod(0o600)
    server = TcpServer(tmp_path, "--token-file", str(token_file))
    try:
        assert server.token is None  # not printed
        _, client = server.connect()
        (tmp_path / "ws").mkdir()
        assert "result" in client.initialize(tmp_path / "ws", {"token": "a-long-enough-token-for-tests"})
    finally:
        server.stop()
    fresh = tmp_path / "fresh-token"
    server = TcpServer(tmp_path, "--token-file", str(fresh))  # created, owner-only, with a new token
    try:
        assert fresh.stat().st_mode & 0o077 == 0 and len(fresh.read_text().strip()) >= 16
    finally:
        server.stop()
