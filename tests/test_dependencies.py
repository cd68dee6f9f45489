"""What setup.py declares: every package the code imports, PostgreSQL's driver as an extra."""

import ast
import os
import re
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pybackend"


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules():
    """Absolute imports anywhere in pybackend/ (functions included), as dotted names."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module)
    return {
        name
        for name in found
        if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] != "pybackend"
    }


def providers(module):
    """The distributions that install ``module``'s top-level package."""
    parts = module.split(".")
    names = metadata.packages_distributions().get(parts[0], [])
    if len(set(names)) > 1 and len(parts) > 1:
        # A namespace package (zope): the distribution named after its first two parts.
        names = [n for n in names if normalize(n) == normalize(".".join(parts[:2]))]
    return {normalize(n) for n in names}


def declared(extra=None):
    """The requirement names pybackend declares: for ``extra``, or unconditionally."""
    names = set()
    for requirement in metadata.requires("pybackend") or []:
        name = normalize(re.match(r"[A-Za-z0-9._-]+", requirement).group(0))
        marker = requirement.partition(";")[2]
        wanted = f'extra == "{extra}"' in marker if extra else not marker.strip()
        if wanted:
            names.add(name)
    return names


def test_the_walk_sees_the_imports_we_know_of():
    modules = imported_modules()
    assert {"pyramid.view", "sqlalchemy", "zope.sqlalchemy", "prometheus_client"} <= modules
    assert not {"os", "json", "pybackend"} & {m.split(".")[0] for m in modules}


def test_every_imported_package_is_a_declared_requirement():
    # The PostgreSQL driver is imported only where it is installed (faults.py, the
    # dialect); test_the_app_runs_on_sqlite_without_psycopg shows SQLite needs none.
    requirements = declared() | declared("postgresql")
    undeclared = {}
    for module in sorted(imported_modules()):
        provided_by = providers(module)
        assert provided_by, f"{module}: no installed distribution provides it"
        if not provided_by & requirements:
            undeclared[module] = sorted(provided_by)
    assert undeclared == {}


def test_security_lower_bounds():
    requirements = {
        normalize(re.match(r"[A-Za-z0-9._-]+", r).group(0)): r
        for r in metadata.requires("pybackend")
        if ";" not in r
    }
    assert "webob>=1.8.8" in requirements["webob"].lower()
    assert "nh3>=0.3.0" in requirements["nh3"]


def test_the_postgresql_driver_is_an_extra_that_the_tests_pull_in():
    assert "psycopg" not in declared()
    assert "psycopg" in declared("postgresql")
    assert "psycopg" in declared("testing")


def test_the_app_runs_on_sqlite_without_psycopg(tmp_path, ini_file):
    """With every PostgreSQL driver unimportable: migrate, seed and serve a page."""
    script = textwrap.dedent(
        f"""
        import sys
        for name in ("psycopg", "psycopg2", "psycopg_binary", "asyncpg", "pg8000"):
            sys.modules[name] = None  # import raises ImportError
        import webtest
        from pyramid.paster import get_appsettings
        from pybackend import main
        from pybackend.scripts import initialize_db
        assert initialize_db.main(["initialize_pybackend_db", {ini_file!r}]) in (0, None)
        app = main({{}}, **get_appsettings({ini_file!r}))
        res = webtest.TestApp(app, extra_environ={{"HTTP_HOST": "example.com"}}).get("/topics")
        print(res.status_int, "psycopg" in sys.modules and sys.modules["psycopg"] is not None)
        """
    )
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/site.sqlite"}
    env.pop("TEST_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["200", "False"]
