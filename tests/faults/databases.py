"""Databases that fail on purpose: a PostgreSQL cluster of the suite's own (stopped,
started, frozen with SIGSTOP), and a TCP socket that accepts and never answers.

The cluster is made with Debian's pg_createcluster on FAULTS_PG_PORT (default 5440) and
dropped afterwards, so the suite never stops or freezes anyone else's database.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from .harness import HOST

PG_VERSION = os.environ.get("FAULTS_PG_VERSION", "15")
PG_CLUSTER = os.environ.get("FAULTS_PG_CLUSTER", "faultsuite")
PG_PORT = int(os.environ.get("FAULTS_PG_PORT", "5440"))
ROLE = "faults"


def _run(*command, timeout=120):
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def _psql(sql):
    result = _run("su", "postgres", "-c", f'cd /tmp && psql -X -q -p {PG_PORT} -c "{sql}"')
    assert result.returncode == 0, result.stderr


class Cluster:
    """A PostgreSQL cluster of the suite's own, with one role and one database."""

    def __init__(self):
        self.url = f"postgresql://{ROLE}:{ROLE}@{HOST}:{PG_PORT}/{ROLE}"

    @staticmethod
    def available():
        if os.geteuid() != 0:
            return "the suite's own PostgreSQL cluster needs root (pg_createcluster)"
        if not shutil.which("pg_createcluster"):
            return "pg_createcluster is not installed (postgresql-common)"
        return None

    def create(self):
        self.drop()
        result = _run("pg_createcluster", PG_VERSION, PG_CLUSTER, "-p", str(PG_PORT))
        assert result.returncode == 0, result.stderr
        self.start()
        _psql(f"CREATE ROLE {ROLE} LOGIN PASSWORD '{ROLE}'")
        _psql(f"CREATE DATABASE {ROLE} OWNER {ROLE}")
        return self

    def start(self):
        result = _run("pg_ctlcluster", PG_VERSION, PG_CLUSTER, "start")
        assert result.returncode == 0, result.stderr
        deadline = time.monotonic() + 30
        while _run("pg_isready", "-q", "-h", HOST, "-p", str(PG_PORT)).returncode != 0:
            assert time.monotonic() < deadline, "the cluster did not start"
            time.sleep(0.2)

    def stop(self):
        result = _run("pg_ctlcluster", PG_VERSION, PG_CLUSTER, "stop", "-m", "fast")
        assert result.returncode == 0, result.stderr

    def processes(self):
        """The postmaster and every backend of this cluster."""
        data = Path(f"/var/lib/postgresql/{PG_VERSION}/{PG_CLUSTER}/postmaster.pid")
        postmaster = int(data.read_text().split()[0])
        pids = [postmaster]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                pids.append(int(stat.parent.name))
        return pids

    def freeze(self):
        self.frozen = self.processes()
        for pid in self.frozen:
            os.kill(pid, signal.SIGSTOP)

    def thaw(self):
        for pid in getattr(self, "frozen", []):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self.frozen = []

    def drop(self):
        self.thaw()
        _run("pg_dropcluster", PG_VERSION, PG_CLUSTER, "--stop")


class SilentDatabase(threading.Thread):
    """A TCP port that accepts connections and never says a word."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.listener = socket.create_server((HOST, port), backlog=256)
        self.url = f"postgresql://nobody:nothing@{HOST}:{port}/silent"
        self.accepted = []
        self.stopped = threading.Event()

    def run(self):
        self.listener.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                self.accepted.append(self.listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    def close(self):
        self.stopped.set()
        self.join(timeout=5)
        self.listener.close()
        for sock in self.accepted:
            sock.close()
