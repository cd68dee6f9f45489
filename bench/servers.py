"""The servers the bench loads: ini files, ports, ``pserve`` processes, RSS, queue drain."""

import configparser
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PRODUCTION_INI = ROOT / "production.ini"
HOST = "127.0.0.1"
HOST_HEADER = "localhost"
SERVER_START_TIMEOUT = 90


class BenchError(Exception):
    """The benchmark itself broke (not a missed target)."""


def log(message=""):
    print(message, flush=True)


def read_text(path):
    try:
        return Path(path).read_text()
    except OSError:
        return ""


# ---------------------------------------------------------------------------
# Ini files and ports
# ---------------------------------------------------------------------------


def server_settings(ini_text):
    parser = configparser.RawConfigParser()
    parser.read_string(ini_text)
    return dict(parser.items("server:main"))


def rewrite_ini(ini_text, listen=None, app_use=None):
    """production.ini with another ``listen`` and/or another app (the server section kept)."""
    out = []
    section = None
    for line in ini_text.splitlines():
        header = re.match(r"^\[([^\]]+)\]\s*$", line)
        if header:
            section = header.group(1)
            if app_use and section == "alembic":
                continue
            out.append(line)
            if app_use and section == "app:main":
                out.append(f"use = {app_use}")
                out.append("")
            continue
        if app_use and section in ("app:main", "alembic"):
            continue
        if listen and section == "server:main" and re.match(r"^listen\s*=", line):
            line = f"listen = {listen}"
        out.append(line)
    return "\n".join(out) + "\n"


def port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class IniFiles:
    """production.ini itself while its port is free, else a copy listening elsewhere."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.text = PRODUCTION_INI.read_text()
        self.settings = server_settings(self.text)
        listen = self.settings.get("listen", f"{HOST}:6543").split()[0]
        self.port = int(listen.rsplit(":", 1)[1])

    def app_ini(self):
        """(ini path, port) for the app; production.ini unless its port is busy."""
        if port_is_free(self.port):
            return PRODUCTION_INI, self.port
        port = free_port()
        log(f"  port {self.port} is busy: serving from a copy of production.ini on {port}")
        path = self.workdir / f"production-{port}.ini"
        path.write_text(rewrite_ini(self.text, listen=f"{HOST}:{port}"))
        return path, port

    def hello_ini(self):
        """The hello app on another port: it stays up beside pybackend during the run."""
        port = free_port()
        path = self.workdir / "hello.ini"
        path.write_text(
            rewrite_ini(self.text, listen=f"{HOST}:{port}", app_use="call:bench.hello:main")
        )
        return path, port


# ---------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------


def http_get(port, path, headers=None, timeout=10):
    """(status, headers, body) of one GET on a fresh connection, with the Host the app serves."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": HOST_HEADER, **(headers or {})})
        response = connection.getresponse()
        body = response.read()
        return response.status, dict(response.getheaders()), body
    finally:
        connection.close()


class Server:
    """``pserve INI`` in its own process group; stopped with SIGTERM, then SIGKILL."""

    def __init__(self, name, ini, port, env, log_path, ready_path):
        self.name = name
        self.ini = ini
        self.port = port
        self.env = env
        self.log_path = log_path
        self.ready_path = ready_path
        self.process = None
        self.started_in = None
        self._log = None

    def start(self):
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        started = time.monotonic()
        self.process = subprocess.Popen(
            [str(BIN / "pserve"), str(self.ini)],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = started + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(
                    f"{self.name}: pserve exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                status, _, _ = http_get(self.port, self.ready_path, timeout=2)
            except OSError:
                status = None
            if status == 200:
                self.started_in = time.monotonic() - started
                return self
            time.sleep(0.1)
        raise BenchError(
            f"{self.name}: not ready after {SERVER_START_TIMEOUT} s:\n{self.log_tail()}"
        )

    @property
    def alive(self):
        return self.process is not None and self.process.poll() is None

    def peak_rss_mb(self, field="VmHWM"):
        """VmHWM: the peak resident set size of the server process so far (VmRSS: now)."""
        if not self.alive:
            return None
        status = read_text(f"/proc/{self.process.pid}/status")
        match = re.search(rf"^{field}:\s*(\d+) kB", status, re.M)
        return round(int(match.group(1)) / 1024, 1) if match else None

    def cpu_seconds(self):
        """User + system CPU time of the process (all its threads) so far, or None."""
        if not self.alive:
            return None
        fields = read_text(f"/proc/{self.process.pid}/stat").rpartition(")")[2].split()
        if len(fields) < 13:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def wait_idle(self, timeout, window=0.5, busy_share=0.1):
        """Wait until the process uses less than ``busy_share`` of a core over ``window``.

        The queue probes of settle() come back while one thread is still busy with a long
        request (three threads are free); this sees that thread's work. Returns the
        seconds waited, or None when it was still busy at ``timeout``.
        """
        started = time.monotonic()
        previous = self.cpu_seconds()
        while previous is not None and time.monotonic() - started < timeout:
            time.sleep(window)
            now = self.cpu_seconds()
            if now is None or now - previous < busy_share * window:
                return round(time.monotonic() - started, 2)
            previous = now
        return None if previous is not None else 0.0

    def log_tail(self, lines=30):
        return "\n".join(read_text(self.log_path).splitlines()[-lines:])

    def queue_warnings(self):
        return read_text(self.log_path).count("Task queue depth")

    def stop(self):
        process = self.process
        if process is not None and process.poll() is None:
            for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
                try:
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self._log is not None:
            self._log.close()
            self._log = None


# When wrk stops, requests it sent are still queued in the server (waitress runs them even
# though their connections are gone): up to 50 uncached searches, most of a second. The
# next run's first requests would wait behind them, so a run at one connection right after
# one at fifty measured the previous run's backlog as its p99. Probes go to the back of the
# same queue; two quick answers in a row mean it is empty.
SETTLE_PATH = "/robots.txt"
SETTLE_QUICK_MS = 20
SETTLE_TIMEOUT = 30


def settle(port):
    deadline = time.monotonic() + SETTLE_TIMEOUT
    quick = 0
    while quick < 2 and time.monotonic() < deadline:
        started = time.monotonic()
        try:
            http_get(port, SETTLE_PATH, timeout=SETTLE_TIMEOUT)
        except OSError:
            return  # a dead server is noticed by the caller
        quick = quick + 1 if (time.monotonic() - started) * 1000 < SETTLE_QUICK_MS else 0
