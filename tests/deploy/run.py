"""The deployment test: pybackend deployed from its wheel, as README's "Deployment" says.

    python3 tests/deploy/run.py        (as root; .ci/run starts it after `make test`)

All on 127.0.0.1, under /tmp, bounded to about 5 minutes, removed at the end:

- the wheel built from this tree and installed into a fresh venv outside it;
- a PostgreSQL primary and a streaming replica (``pg_basebackup -R``), clusters of our own;
- every file of deploy/, printed from the installed wheel by ``pybackend-config``: 3 waitress
  processes started the way ``pybackend@.service`` starts them, nginx with TLS (a
  self-signed certificate), static files from the installed package and the proxy cache;
  the schedules' timer, whose service's command runs once against the deployment.

It checks reads and login through nginx, the spread of an edit, kill -9 and a rolling
restart under load, and reads while the replica is away; prints the figures and exits 1
with the failing check's message.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.deploy import load  # noqa: E402
from tests.deploy.clusters import Clusters, unavailable  # noqa: E402
from tests.deploy.web import Client, wait_until  # noqa: E402

SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
APP_PORTS = (7351, 7352, 7353)
HTTP_PORT, HTTPS_PORT = 7360, 7361
PG_PORTS = (5452, 5453)
BASE_URL = f"https://127.0.0.1:{HTTPS_PORT}"
EDITOR, PASSWORD = "deployer", "a long enough deploy test password"
# About 5 minutes on an idle 2-core machine; a shared, loaded one needs more.
LIMIT_SECONDS = 600


def step(message):
    print(f"\n--> [{time.strftime('%H:%M:%S')}] {message}", flush=True)


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def run(*command, env=None, cwd=None, stdin=None, timeout=180):
    result = subprocess.run(
        command, env=env, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


class Deployment:
    def __init__(self, root):
        self.root = root
        self.venv = os.path.join(root, "venv")
        self.etc = os.path.join(root, "etc")
        self.nginx_dir = os.path.join(root, "nginx")
        self.clusters = Clusters("pybackend_deploy", *PG_PORTS)
        self.processes = {}
        self.env = None
        self.unit = None

    def bin(self, name):
        return os.path.join(self.venv, "bin", name)

    # -- install -----------------------------------------------------------------------

    def build_and_install(self):
        step("build the wheel from a copy of the tree, install it into a fresh venv")
        tree = os.path.join(self.root, "src")
        files = run("git", "ls-files", "-co", "--exclude-standard", cwd=SOURCE).split("\n")
        for name in filter(None, files):
            if os.path.isfile(os.path.join(SOURCE, name)):
                os.makedirs(os.path.dirname(os.path.join(tree, name)), exist_ok=True)
                shutil.copy2(os.path.join(SOURCE, name), os.path.join(tree, name))
        run(sys.executable, "-m", "venv", self.venv)
        dist = os.path.join(self.root, "dist")
        run(self.bin("pip"), "wheel", "--quiet", "--no-deps", "-w", dist, tree, timeout=300)
        (wheel,) = [os.path.join(dist, n) for n in os.listdir(dist) if n.endswith(".whl")]
        names = zipfile.ZipFile(wheel).namelist()
        for needed in (
            "pybackend/locale/en/LC_MESSAGES/pybackend.mo",
            "pybackend/ini/production.ini",
            "pybackend/ini/pybackend-site.conf",
        ):
            check(needed in names, f"the wheel lacks {needed}")
        run(self.bin("pip"), "install", "--quiet", f"{wheel}[postgresql]", cwd="/tmp", timeout=300)
        shutil.rmtree(tree)
        print(f"installed {os.path.basename(wheel)} into {self.venv}")

    def config(self, name, *args):
        return run(self.bin("pybackend-config"), name, *args, cwd="/tmp")

    # -- configure ---------------------------------------------------------------------

    def configure(self):
        step("configuration from the installed package (pybackend-config)")
        os.makedirs(self.etc)
        ini = self.config("production", "--base-url", BASE_URL, "--allowed-hosts", "127.0.0.1")
        self.write(self.etc, "production.ini", ini)
        env_example = self.config("pybackend.env.example")
        values = {
            "DATABASE_URL": self.clusters.primary_url,
            "DATABASE_REPLICA_URL": self.clusters.replica_url,
            "PYBACKEND_SECRET": "deploy-test-" + os.urandom(24).hex(),
        }
        keys = re.findall(r"^([A-Z_]+)=", env_example, re.MULTILINE)
        check(sorted(keys) == sorted(values), f"pybackend.env.example has {keys}")
        self.env = {"PATH": os.environ["PATH"], "HOME": "/tmp", **values}
        self.write(self.etc, "pybackend.env", "".join(f"{k}={v}\n" for k, v in values.items()))
        unit = self.config("pybackend@.service")
        self.unit = dict(re.findall(r"^(\w+)=(.*)$", unit, re.MULTILINE))
        check(self.unit["KillSignal"] == "SIGTERM", "the unit must stop with SIGTERM")
        grace = re.search(r"^shutdown_grace\s*=\s*(\d+)", ini, re.MULTILINE)
        if grace:
            check(
                int(self.unit["TimeoutStopSec"]) > int(grace[1]),
                "TimeoutStopSec must be longer than production.ini's shutdown_grace",
            )
        print(
            f"unit: ExecStart={self.unit['ExecStart']} TimeoutStopSec={self.unit['TimeoutStopSec']}"
        )

    def write(self, directory, name, text):
        with open(os.path.join(directory, name), "w") as f:
            f.write(text)

    def initialize(self):
        step("the database: initialize_pybackend_db and an editor, outside the source tree")
        ini = os.path.join(self.etc, "production.ini")
        print(run(self.bin("initialize_pybackend_db"), ini, env=self.env, cwd="/tmp").strip())
        run(
            self.bin("pybackend-user"), ini, "add", EDITOR, "--role", "editor",
            env=self.env, cwd="/tmp", stdin=PASSWORD + "\n",
        )  # fmt: skip

    def publish_due_timer(self):
        """The schedules' timer and its service, run as systemd would run the service."""
        step("pybackend-publish-due.timer and .service: the service's command, once")
        timer = self.config("pybackend-publish-due.timer")
        check(re.search(r"^OnCalendar=minutely$", timer, re.MULTILINE), "the timer runs minutely")
        service = dict(
            re.findall(r"^(\w+)=(.*)$", self.config("pybackend-publish-due.service"), re.MULTILINE)
        )
        check(service["Type"] == "oneshot", "the service runs once per tick")
        command = (
            service["ExecStart"]
            .replace("/srv/pybackend/venv", self.venv)
            .replace("/etc/pybackend", self.etc)
            .split()
        )
        out = run(*command, env=self.env, cwd="/tmp")
        check("due schedules" in out, f"publish-due said {out!r}")
        print(out.strip())

    # -- processes ---------------------------------------------------------------------

    def start(self, port, wait=True):
        command = (
            self.unit["ExecStart"]
            .replace("/srv/pybackend/venv", self.venv)
            .replace("/etc/pybackend", self.etc)
            .replace("%i", str(port))
        ).split()
        with open(os.path.join(self.root, f"app-{port}.log"), "ab") as log:
            self.processes[port] = subprocess.Popen(
                command, env=self.env, cwd="/tmp", stdout=log, stderr=log
            )
        if wait:
            self.wait_ready(port)

    def wait_ready(self, port):
        direct = Client(port)
        wait_until(lambda: direct.get("/readyz").status == 200, f"process {port} ready", 90)

    def stop(self, port, seconds):
        process = self.processes.pop(port)
        process.send_signal(getattr(signal, self.unit["KillSignal"]))
        status = process.wait(timeout=seconds)
        check(status in (0, 3), f"process {port} stopped with status {status}")

    # -- nginx -------------------------------------------------------------------------

    def nginx_files(self, down=()):
        upstreams = self.config("pybackend-upstreams.conf")
        for default, port in zip((6543, 6544, 6545), APP_PORTS, strict=True):
            mark = " down" if port in down else ""
            upstreams = upstreams.replace(f"127.0.0.1:{default} ", f"127.0.0.1:{port}{mark} ")
        self.write(self.nginx_dir, "pybackend-upstreams.conf", upstreams)

    def start_nginx(self):
        step("nginx: TLS with a self-signed certificate, static files, the proxy cache")
        os.makedirs(self.nginx_dir)
        cert, key = (os.path.join(self.nginx_dir, n) for n in ("cert.pem", "key.pem"))
        run(
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", key, "-out", cert,
        )  # fmt: skip
        self.cert = cert
        site = self.config(
            "pybackend-site.conf",
            "--set=SERVER_NAME=127.0.0.1",
            f"--set=HTTP_LISTEN=127.0.0.1:{HTTP_PORT}",
            f"--set=HTTPS_LISTEN=127.0.0.1:{HTTPS_PORT}",
            f"--set=BASE_URL={BASE_URL}",
            f"--set=CERTIFICATE={cert}",
            f"--set=CERTIFICATE_KEY={key}",
            f"--set=CONF_DIR={self.nginx_dir}",
            f"--set=CACHE_DIR={self.nginx_dir}/cache",
        )
        self.write(self.nginx_dir, "pybackend-site.conf", site)
        self.write(
            self.nginx_dir, "pybackend-proxy-cache.conf", self.config("pybackend-proxy-cache.conf")
        )
        self.nginx_files()
        main = self.config("nginx.conf")
        for directive, value in (
            ("pid", f"{self.nginx_dir}/nginx.pid"),
            ("error_log", f"{self.nginx_dir}/error.log warn"),
            ("access_log", f"{self.nginx_dir}/access.log"),
            ("include /etc/nginx/sites-enabled/", f"{self.nginx_dir}/pybackend-site.conf"),
        ):
            name = directive.split()[0]
            main, count = re.subn(
                rf"^(\s*){re.escape(directive)}.*;$",
                lambda m, name=name, value=value: f"{m[1]}{name} {value};",
                main,
                flags=re.MULTILINE,
            )
            check(count == 1, f"nginx.conf has no {directive} line")
        self.write(self.nginx_dir, "nginx.conf", main)
        self.nginx("-t", "-q")
        self.nginx()

    def nginx(self, *args):
        run("nginx", "-p", self.nginx_dir, "-c", f"{self.nginx_dir}/nginx.conf", *args)

    def reload_nginx(self, down=()):
        self.nginx_files(down)
        self.nginx("-s", "reload")
        time.sleep(1)  # the old workers finish their requests and close their connections

    # -- cleaning up -------------------------------------------------------------------

    def teardown(self, failed):
        for process in self.processes.values():
            process.kill()
            process.wait()
        if os.path.exists(os.path.join(self.nginx_dir, "nginx.pid")):
            subprocess.run(
                ["nginx", "-p", self.nginx_dir, "-c", f"{self.nginx_dir}/nginx.conf", "-s", "stop"],
                check=False,
            )
        if failed:
            logs = [os.path.join(self.root, n) for n in sorted(os.listdir(self.root))]
            logs.append(os.path.join(self.nginx_dir, "error.log"))
            for path in logs:
                if path.endswith(".log") and os.path.exists(path):
                    with open(path, errors="replace") as f:
                        lines = [line for line in f if "Task queue depth" not in line]
                    print(f"--- last lines of {path}:\n" + "".join(lines[-15:]))
        self.clusters.remove()
        shutil.rmtree(self.root, ignore_errors=True)


def main():
    reason = unavailable([*APP_PORTS, HTTP_PORT, HTTPS_PORT, *PG_PORTS])
    for tool in ("nginx", "openssl", "wrk", "git"):
        if reason is None and shutil.which(tool) is None:
            reason = f"{tool} is not installed"
    if reason:
        print(f"deployment test cannot run: {reason}", file=sys.stderr)
        return 1
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("over time")))
    signal.alarm(LIMIT_SECONDS)
    started = time.monotonic()
    root = tempfile.mkdtemp(prefix="pybackend-deploy-", dir="/tmp")
    os.chmod(root, 0o755)  # nginx's workers (www-data) read the static files in the venv
    deployment = Deployment(root)
    failed = True
    try:
        reuse = os.environ.get("DEPLOY_TEST_VENV")
        if reuse:  # while working on this test: a venv where the wheel is installed already
            deployment.venv = reuse
        else:
            deployment.build_and_install()
        step("PostgreSQL: a primary and a streaming replica (pg_basebackup -R)")
        deployment.clusters.create()
        deployment.configure()
        deployment.initialize()
        deployment.publish_due_timer()
        step(f"3 processes as pybackend@.service starts them, on {APP_PORTS}")
        for port in APP_PORTS:
            deployment.start(port, wait=False)
        for port in APP_PORTS:
            deployment.wait_ready(port)
        deployment.start_nginx()
        load.run_checks(deployment)
        failed = False
    except (AssertionError, TimeoutError, subprocess.SubprocessError, OSError) as exc:
        print(f"\nDEPLOYMENT TEST FAILED: {exc}", file=sys.stderr, flush=True)
    finally:
        signal.alarm(0)
        deployment.teardown(failed)
    print("\nfigures:")
    for name, value in load.figures.items():
        print(f"  {name}: {value}")
    print(f"  total time: {time.monotonic() - started:.0f} s")
    if not failed:
        print("deployment test passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
