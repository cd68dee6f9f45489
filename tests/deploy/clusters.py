"""A PostgreSQL primary and its streaming replica, as clusters of our own (Debian's tools).

Used by tests/models/test_replica.py and the deployment test (tests/deploy/run.py). The
replica is what production runs: ``pg_basebackup -R`` from the primary, then started as a
hot standby. Needs root (the clusters belong to the postgres user) and
postgresql-common's pg_createcluster; :func:`unavailable` says why not, for a skip.
Standard library only: the deployment test runs it outside any virtualenv.
"""

import os
import shutil
import socket
import subprocess
import time

VERSION = "15"
ROLE = "pybackend"
PASSWORD = "pybackend"
DATABASE = "pybackend"


def unavailable(ports):
    """None when clusters can be made here, else the reason."""
    if shutil.which("pg_createcluster") is None or shutil.which("pg_basebackup") is None:
        return "PostgreSQL's pg_createcluster and pg_basebackup are not installed"
    if os.geteuid() != 0:
        return "making PostgreSQL clusters needs root"
    for port in ports:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return f"port {port} is in use"
    return None


def _run(*command, env=None):
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()}")
    return result.stdout


def _as_postgres(*command, env=None):
    return _run("runuser", "-u", "postgres", "--", *command, env=env)


class Clusters:
    def __init__(self, name, primary_port, replica_port):
        self.primary = f"{name}_primary"
        self.replica = f"{name}_replica"
        self.primary_port = primary_port
        self.replica_port = replica_port

    def url(self, port):
        return f"postgresql://{ROLE}:{PASSWORD}@127.0.0.1:{port}/{DATABASE}"

    @property
    def primary_url(self):
        return self.url(self.primary_port)

    @property
    def replica_url(self):
        return self.url(self.replica_port)

    def _exists(self, name):
        return os.path.isdir(f"/etc/postgresql/{VERSION}/{name}")

    def create(self):
        self.remove()  # what an interrupted run left
        options = [
            "-o", "shared_buffers=32MB",
            "-o", "max_connections=100",
            "-o", "fsync=off",  # a test database: a crash loses nothing we need
            # A replica's queries are not cancelled by the primary's vacuum (README).
            "-o", "hot_standby_feedback=on",
        ]  # fmt: skip
        _run("pg_createcluster", VERSION, self.primary, "-p", str(self.primary_port), *options)
        with open(f"/etc/postgresql/{VERSION}/{self.primary}/pg_hba.conf", "a") as f:
            f.write(f"host replication {ROLE} 127.0.0.1/32 scram-sha-256\n")
        _run("pg_ctlcluster", VERSION, self.primary, "start")
        self.wait(self.primary_port)
        self.sql(
            self.primary_port,
            f"CREATE ROLE {ROLE} LOGIN REPLICATION PASSWORD '{PASSWORD}'",
        )
        self.sql(self.primary_port, f"CREATE DATABASE {DATABASE} OWNER {ROLE}")
        _run("pg_createcluster", VERSION, self.replica, "-p", str(self.replica_port), *options)
        data = f"/var/lib/postgresql/{VERSION}/{self.replica}"
        shutil.rmtree(data)
        env = {**os.environ, "PGPASSWORD": PASSWORD}
        _as_postgres(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", ROLE,
            "-D", data, "-R", "-X", "stream", "--checkpoint=fast", env=env,
        )  # fmt: skip
        self.start_replica()

    def start_replica(self):
        _run("pg_ctlcluster", VERSION, self.replica, "start")
        self.wait(self.replica_port)

    def stop_replica(self):
        _run("pg_ctlcluster", VERSION, self.replica, "stop", "-m", "fast")

    def sql(self, port, statement, database="postgres"):
        return _as_postgres(
            "psql", "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1", "-p", str(port), "-d", database,
            "-c", statement,
        ).strip()  # fmt: skip

    def pause_replay(self):
        self.sql(self.replica_port, "SELECT pg_wal_replay_pause()")

    def resume_replay(self):
        self.sql(self.replica_port, "SELECT pg_wal_replay_resume()")

    def wait(self, port, seconds=30):
        deadline = time.monotonic() + seconds
        while subprocess.run(
            ["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(port)], check=False
        ).returncode:
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL on port {port} did not start in {seconds} s")
            time.sleep(0.2)

    def remove(self):
        for name in (self.replica, self.primary):
            if self._exists(name):
                _run("pg_dropcluster", "--stop", VERSION, name)
