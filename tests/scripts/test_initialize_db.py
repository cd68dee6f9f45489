"""initialize_pybackend_db: migrates and seeds once; a second run changes nothing."""

import os
import subprocess
import sys

from sqlalchemy import create_engine, func, select, text

from pybackend.maintenance.schema import head_revisions
from pybackend.models import Item, Revision
from pybackend.services.seed import read_seed

from .databases import ROOT, write_ini

HEAD = head_revisions()[0]
SEED = read_seed()
SEED_ITEMS = len(SEED["topic"]) + len(SEED["example"])


def command_line(*args):
    script = os.path.join(os.path.dirname(sys.executable), "initialize_pybackend_db")
    return [script, *map(str, args)]


def environment(env=None):
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environ.update(env or {})
    return environ


def run(*args, env=None):
    return subprocess.run(
        command_line(*args), capture_output=True, text=True, env=environment(env), timeout=120
    )


def test_initialize_twice_seeds_once(tmp_path):
    db = tmp_path / "sub" / "site.sqlite"
    ini = write_ini(tmp_path, f"sqlite:///{db}")
    first = run(str(ini))
    assert first.returncode == 0, first.stderr
    assert f"Loaded {SEED_ITEMS} seed items" in first.stdout
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(Item))
        version = connection.scalar(text("SELECT version_num FROM alembic_version"))
    second = run(str(ini))
    assert second.returncode == 0, second.stderr
    assert "seed not loaded" in second.stdout
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Item)) == count == SEED_ITEMS
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == version


def test_database_url_from_the_environment_wins(tmp_path):
    ini = write_ini(tmp_path, f"sqlite:///{tmp_path}/ini.sqlite")
    result = run(str(ini), env={"DATABASE_URL": f"sqlite:///{tmp_path}/env.sqlite"})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "env.sqlite").exists()
    assert not (tmp_path / "ini.sqlite").exists()


def test_missing_config_file_is_a_clear_error(tmp_path):
    result = run(str(tmp_path / "nope.ini"))
    assert result.returncode != 0
    assert "no such configuration file" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_a_clear_error(tmp_path):
    ini = write_ini(tmp_path, "postgresql://nobody:x@127.0.0.1:1/none")
    result = run(str(ini))
    assert result.returncode != 0
    assert "cannot use the database" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_ini_refuses_without_environment(tmp_path):
    script = os.path.join(os.path.dirname(sys.executable), "initialize_pybackend_db")
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYBACKEND_SECRET")}
    result = subprocess.run(
        [script, os.path.join(ROOT, "production.ini")],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
    )
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def stored_pages(engine):
    with engine.connect() as connection:
        public = set(
            connection.scalars(
                text("SELECT id FROM items WHERE status = 'published' AND deleted_at IS NULL")
            )
        )
        keys = connection.execute(text("SELECT item_id, key FROM rendered_pages")).all()
    return public, keys


def test_every_public_page_is_stored_and_render_puts_back_what_is_missing(tmp_path):
    db = tmp_path / "site.sqlite"
    ini = write_ini(tmp_path, f"sqlite:///{db}")
    assert run(str(ini)).returncode == 0
    engine = create_engine(f"sqlite:///{db}")
    public, keys = stored_pages(engine)
    assert public and {item_id for item_id, _ in keys} == public
    assert len(keys) == 2 * len(public)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM rendered_pages WHERE item_id IN (1, 2, 3)"))
        # A page from other templates counts as missing too.
        connection.execute(text("UPDATE rendered_pages SET build = 'old' WHERE item_id = 4"))
    script = os.path.join(os.path.dirname(sys.executable), "pybackend-content")
    result = subprocess.run(
        [script, str(ini), "render"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "Rendered the pages of 4 items." in result.stdout
    assert stored_pages(engine)[1] and sorted(stored_pages(engine)[1]) == sorted(keys)


def test_two_runs_at_once_take_turns(databases, tmp_path):
    url = databases.new("init")
    ini = write_ini(tmp_path, url)
    runs = [
        subprocess.Popen(
            command_line(ini),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(),
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    for run_, (_stdout, stderr) in zip(runs, outputs, strict=True):
        assert run_.returncode == 0, stderr
        assert "Traceback" not in stderr
    stdouts = sorted((stdout for stdout, _ in outputs), key=lambda out: "Loaded" not in out)
    first, second = stdouts
    assert f"Migrated the schema from nothing to {HEAD}." in first
    assert f"Loaded {SEED_ITEMS} seed items." in first
    assert "Migrated" not in second and "Loaded" not in second
    assert "Nothing to do" in second
    engine = databases.engine(url)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Item)) == SEED_ITEMS
        assert connection.scalar(select(func.count()).select_from(Revision)) == SEED_ITEMS
