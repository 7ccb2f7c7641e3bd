"""A throwaway MariaDB server on 127.0.0.1, for tests (stopped by the caller).

Debian's ``mariadb-server`` package provides the binaries (``make mariadb`` installs it; CI
does the same). The server's data lives in a temporary directory; it listens on a free port
on loopback only (and on a Unix socket in that directory), lets ``root`` in from loopback
without a password, and is stopped and removed after the tests. It runs as the user who
starts it (``--user=root`` when that is root, which MariaDB otherwise refuses).
"""

from __future__ import annotations

import contextlib
import getpass
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pymysql

from tests.support.spark_cluster import free_port


def installed() -> bool:
    """True when Debian's MariaDB server binaries are on this machine."""
    return shutil.which("mariadbd", path="/usr/sbin:/usr/bin") is not None


@contextlib.contextmanager
def mariadb_server() -> Iterator[str]:
    """Yield the ``mysql://`` URL of a fresh server's ``pipereview`` database; stop the
    server after."""
    if not installed():
        raise RuntimeError("MariaDB is not installed: run `make mariadb` (Debian's package)")
    tmp = Path(tempfile.mkdtemp(prefix="pipereview-mariadb-"))
    data, socket, port = tmp / "data", tmp / "sock", free_port()
    user = getpass.getuser()
    common = ["--no-defaults", f"--datadir={data}", f"--user={user}"]
    done = subprocess.run(
        ["mariadb-install-db", *common, "--auth-root-authentication-method=normal",
         "--skip-test-db"],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"mariadb-install-db failed: {done.stderr.strip() or done.stdout}")
    server = subprocess.Popen(
        [
            "/usr/sbin/mariadbd", *common, f"--socket={socket}", f"--port={port}",
            "--bind-address=127.0.0.1", f"--pid-file={tmp / 'pid'}",
            f"--log-error={tmp / 'log'}", "--innodb-flush-log-at-trx-commit=0",
            "--skip-log-bin", "--character-set-server=utf8mb4",
        ],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with pymysql.connect(host="127.0.0.1", port=port, user="root") as con:
                    con.cursor().execute("CREATE DATABASE pipereview")
                break
            except pymysql.err.OperationalError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log = (tmp / "log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"MariaDB did not start: {log}") from None
                time.sleep(0.2)
        yield f"mysql://root@127.0.0.1:{port}/pipereview"
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(tmp, ignore_errors=True)
