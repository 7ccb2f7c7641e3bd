"""A standalone Spark master and one worker on 127.0.0.1, for tests (stopped by the caller).

Started from the scripts inside the installed pyspark package (``bin/spark-class``). Every
port is a free one, the web UIs bind to loopback (``SPARK_LOCAL_IP``), logs and work
directories go to a temporary directory, and no traffic leaves the machine.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spark_env(tmp: Path) -> dict[str, str]:
    """Environment for the cluster and for a driver talking to it."""
    import pyspark

    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(Path(pyspark.__file__).parent),
        SPARK_LOCAL_IP="127.0.0.1",
        SPARK_LOCAL_DIRS=str(tmp / "local"),
        SPARK_WORKER_DIR=str(tmp / "work"),
        SPARK_LOG_DIR=str(tmp / "logs"),
        PYSPARK_PYTHON=sys.executable,
        PYSPARK_DRIVER_PYTHON=sys.executable,
    )
    return env


def _wait_for(port: int, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"spark process exited: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.5)
    raise RuntimeError(f"spark did not listen on {port}: {log.read_text()[-2000:]}")


@contextlib.contextmanager
def standalone_cluster(tmp: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """Yield (master URL, environment) for a master and one worker; stop both after."""
    env = spark_env(tmp)
    spark_class = str(Path(env["SPARK_HOME"]) / "bin" / "spark-class")
    port, ui, worker_port, worker_ui = (free_port() for _ in range(4))
    processes: list[subprocess.Popen] = []
    try:
        master_log = tmp / "master.log"
        master = subprocess.Popen(
            [spark_class, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
             "--port", str(port), "--webui-port", str(ui)],
            env=env, stdout=master_log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        processes.append(master)
        _wait_for(port, master, master_log)
        url = f"spark://127.0.0.1:{port}"
        worker_log = tmp / "worker.log"
        worker = subprocess.Popen(
            [spark_class, "org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1",
             "--port", str(worker_port), "--webui-port", str(worker_ui), "--cores", "2",
             "--memory", "2g", "--work-dir", str(tmp / "work")],
            env=env, stdout=worker_log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        processes.append(worker)
        _wait_for(worker_port, worker, worker_log)
        deadline = time.monotonic() + 60  # the worker registers with the master
        while "Registered worker" not in master_log.read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        yield url, env
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
