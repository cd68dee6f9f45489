"""nginx in front (tests/faults/nginx.conf, as the README documents it): 1 000 slow sockets
do not move /healthz p99 above 100 ms, and waitress's own errors carry our headers."""

import http.client
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from .harness import HOST, next_port
from .test_clients import open_slowloris

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CONF = Path(__file__).with_name("nginx.conf")
SLOW = 1000
PROBES = 200


@pytest.fixture(scope="module")
def nginx(standalone, tmp_path_factory):
    if not Path(NGINX).exists():
        pytest.skip("nginx is not installed (.ci/run installs Debian's)")
    prefix = tmp_path_factory.mktemp("nginx")
    port = next_port()
    conf = prefix / "nginx.conf"
    conf.write_text(
        CONF.read_text()
        .replace("PREFIX", str(prefix))
        .replace("UPSTREAM", str(standalone.port))
        .replace("PORT", str(port))
    )
    process = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.1)
    yield port
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def get(port, path, headers=None):
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": "localhost", **(headers or {})})
        response = connection.getresponse()
        response.read()
        return response
    finally:
        connection.close()


def test_1000_slow_sockets_keep_healthz_p99_under_100_ms(nginx):
    get(nginx, "/healthz")  # the upstream connection is open
    sockets = open_slowloris(nginx, SLOW)
    try:
        times = []
        for _ in range(PROBES):
            started = time.monotonic()
            assert get(nginx, "/healthz").status == 200
            times.append(time.monotonic() - started)
        assert get(nginx, "/topics/django").status == 200
    finally:
        for sock in sockets:
            sock.close()
    times.sort()
    p99 = times[int(len(times) * 0.99) - 1]
    assert p99 < 0.1, f"p99 {p99 * 1000:.0f} ms, median {times[len(times) // 2] * 1000:.0f} ms"


def test_waitress_and_nginx_errors_carry_the_security_headers(nginx):
    too_large = get(nginx, "/", headers={"X-Big": "a" * 20000})
    assert too_large.status in (400, 431, 494)
    assert too_large.getheader("X-Content-Type-Options") == "nosniff"
    page = get(nginx, "/topics/django")
    assert page.status == 200
    assert page.getheader("X-Frame-Options") == "DENY"  # once, not twice
    assert page.getheader("Content-Security-Policy")
