"""The dashboard as ``pipereview serve`` runs it (uvicorn on 127.0.0.1, a free port), spoken
to over a raw socket: the answers uvicorn gives by itself, before the app sees a request,
carry the security headers too (issue 32), and a forged session cookie is refused."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipereview.web.auth import COOKIE, HEADERS, session_value
from tests.conftest import AS_OF

TOKEN = "s3cret-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _exchange(port: int, request: bytes) -> tuple[int, dict[str, str]]:
    """Send ``request`` as it is; the answer's status and headers (lower-cased names)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


@pytest.fixture(scope="module")
def port(small_files: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """``pipereview serve --deals --reps`` with a token, until the module is done."""
    free = _free_port()
    deals, reps = small_files
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "pipereview", "serve", "--deals", str(deals)),
            *("--reps", str(reps), "--as-of", AS_OF.isoformat(), "--port", str(free)),
        ],
        env={**os.environ, "PIPEREVIEW_TOKEN": TOKEN},
        cwd=tmp_path_factory.mktemp("served"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(600):
            try:
                if _exchange(free, b"GET /login HTTP/1.1\r\nHost: x\r\n\r\n")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
        yield free
    finally:
        server.terminate()
        server.wait(timeout=20)


def _secured(headers: dict[str, str]) -> None:
    for name, value in HEADERS.items():
        assert headers.get(name.lower()) == value, name


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"NOT A REQUEST LINE\r\n\r\n",  # a malformed request line
        b"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n",  # a control character in the target
        b"GET / HTTP/1.1\r\n\r\n",  # HTTP/1.1 without a Host header
        b"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",  # two Hosts
        b"GET / HTTP/1.1\r\nHost: a\x00b\r\n\r\n",  # a NUL in the Host
        b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",  # a space before the colon
        b"GET / HTTP/1.1\r\nHost: x\r\nBroken header line\r\n\r\n",  # a header without a colon
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000,  # an unfinished 70 kB header
    ],
)
def test_the_servers_own_400_carries_the_security_headers(port: int, request_bytes: bytes) -> None:
    status, headers = _exchange(port, request_bytes)
    assert status == 400
    _secured(headers)


def test_answers_of_the_app_carry_them(port: int) -> None:
    for request in (
        b"GET /login HTTP/1.1\r\nHost: x\r\n\r\n",  # 200
        b"GET /api/report HTTP/1.1\r\nHost: x\r\n\r\n",  # 401: no token
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",  # 303 to the login page
        b"DELETE /login HTTP/1.1\r\nHost: x\r\n\r\n",  # 405
        # a WebSocket upgrade is an ordinary request: the dashboard has no WebSocket
        b"GET /api/report HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    ):
        status, headers = _exchange(port, request)
        assert status in (200, 303, 401, 405), request
        _secured(headers)


def test_a_cookie_expiry_in_other_digits_is_refused(port: int) -> None:
    # issue 32: "¹²³" passes str.isdigit(), then int() failed: HTTP 500. Sent as the Latin-1
    # bytes Starlette reads a Cookie header as.
    signed = session_value(TOKEN).split(".")[1]
    for expiry in ("¹²³", "9" * 5000):
        cookie = f"Cookie: {COOKIE}={expiry}.{signed}\r\n".encode("latin-1")
        status, headers = _exchange(
            port, b"GET /api/report HTTP/1.1\r\nHost: x\r\n" + cookie + b"\r\n"
        )
        assert status == 401, expiry[:5]
        _secured(headers)
    # the server's own cookie (its signing key is made at its start) is taken
    body = f"token={TOKEN}&next=/".encode()
    status, headers = _exchange(
        port,
        b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
        + f"\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body,
    )
    assert status == 303
    good = headers["set-cookie"].split(";")[0].encode()
    assert (
        _exchange(port, b"GET /api/report HTTP/1.1\r\nHost: x\r\nCookie: " + good + b"\r\n\r\n")[0]
        == 200
    )
