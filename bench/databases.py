"""The bench's databases: made with the console scripts, read for slugs, and never anyone else's.

A PostgreSQL database is used only when given explicitly (``--postgresql-url`` or
``BENCH_DATABASE_URL``, never ``DATABASE_URL``), and only if it is empty or holds what an
earlier bench run made: the bench marks a database it starts from empty with a
``bench_marker`` table. No marker, a table that is not pybackend's, or an account that
is not the bench's, and it refuses before dropping anything.
"""

import contextlib
import hashlib
import os
import shutil
import subprocess
import time
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from .servers import BIN, PRODUCTION_INI, ROOT, BenchError, log

MARKER_TABLE = "bench_marker"
BENCH_USER = "bench-editor"
# The seed has 13 items (10 topics, 3 examples): sizes up to that load the seed alone.
SEED_ITEMS = 13
SUBPROCESS_TIMEOUT = 900
# 100 000 topics: ~30 s of inserts, then the search index rebuild (Markdown to text and
# FTS5 for 240 000 documents) takes minutes on an idle 2-core machine, far more on a busy one.
GENERATE_TIMEOUT = 2700
# Storing the pages of 100 000 topics and 20 000 examples (240 000 pages) once.
RENDER_TIMEOUT = 5400
RENDER_JOBS = 2
# Generated SQLite databases, pages stored, kept between runs (see prepared_key()).
CACHE_DIR = ROOT / "bench-cache"
POSTGRES_SCHEMES = ("postgres://", "postgresql://", "postgresql+psycopg://")


class ForeignDatabase(Exception):
    """The database holds something the bench did not make: it is not touched."""


def engine_for(url):
    from pybackend.config import normalize_database_url

    return create_engine(normalize_database_url(url))


@contextlib.contextmanager
def connected(url, transaction=False):
    """A connection to ``url`` (in a committed transaction if asked); the engine is disposed."""
    engine = engine_for(url)
    try:
        with engine.begin() if transaction else engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def known_tables():
    """The tables a bench run makes: pybackend's models, Alembic's version, the marker."""
    import pybackend.models  # noqa: F401 - registers every model on the metadata
    from pybackend.models.meta import Base

    return set(Base.metadata.tables) | {"alembic_version", MARKER_TABLE}


def check_bench_database(connection):
    """Raise ForeignDatabase unless the database is empty or holds only what the bench made.

    Only the connection's default schema is looked at: that is where pybackend's tables
    and the marker live.
    """
    inspector = inspect(connection)
    names = sorted(inspector.get_table_names() + inspector.get_view_names())
    if not names:
        return "empty"

    def listed(found):
        return ", ".join(found[:8]) + (", ..." if len(found) > 8 else "")

    if MARKER_TABLE not in names:
        raise ForeignDatabase(
            f"it holds {len(names)} tables or views ({listed(names)}) and no {MARKER_TABLE} "
            "table, so the bench did not make it"
        )
    others = [name for name in names if name not in known_tables()]
    if others:
        raise ForeignDatabase(
            f"it is marked as the bench's ({MARKER_TABLE}) but also holds tables the bench "
            f"does not make: {listed(others)}"
        )
    if "users" in names:
        accounts = connection.scalars(
            text("SELECT username FROM users WHERE username <> :name ORDER BY username"),
            {"name": BENCH_USER},
        ).all()
        if accounts:
            raise ForeignDatabase(
                f"it is marked as the bench's ({MARKER_TABLE}) but has accounts the bench did "
                f"not make: {listed(accounts)}"
            )
    return "marked"


def mark_bench_database(connection):
    connection.execute(
        text(
            "CREATE TABLE IF NOT EXISTS bench_marker "
            "(id INTEGER PRIMARY KEY, note VARCHAR(200) NOT NULL)"
        )
    )
    if connection.scalar(text("SELECT count(*) FROM bench_marker")) == 0:
        connection.execute(
            text("INSERT INTO bench_marker (id, note) VALUES (1, :note)"),
            {"note": "made by pybackend's bench (python -m bench.run); it may drop everything"},
        )


def claim_database(url):
    """Check (and mark) a database the bench is about to empty; ForeignDatabase otherwise."""
    with connected(url, transaction=True) as connection:
        state = check_bench_database(connection)
        mark_bench_database(connection)
    return state


def postgres_version(url):
    with connected(url) as connection:
        return connection.scalar(text("SHOW server_version"))


# ---------------------------------------------------------------------------
# Console scripts
# ---------------------------------------------------------------------------


def run_script(name, args, env, capture=True, timeout=SUBPROCESS_TIMEOUT, stdin=None):
    command = [str(BIN / name), *args]
    started = time.monotonic()
    try:
        result = subprocess.run(
            command,
            cwd=ROOT,
            env=env,
            input=stdin,
            stdin=subprocess.DEVNULL if stdin is None else None,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE if capture else None,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"{name} took more than {timeout} s") from e
    return result, time.monotonic() - started


def reset_postgres(url, env):
    """Empty a database the bench may use: pybackend's tables go, the marker stays."""
    from pybackend.models.meta import Base

    try:
        state = claim_database(url)
    except ForeignDatabase as error:
        raise BenchError(f"refusing to empty the PostgreSQL database: {error}") from None
    if state == "empty":
        return
    # The migrations' own downgrades first (they know every table they made) ...
    result, _ = run_script("alembic", ["-c", str(PRODUCTION_INI), "downgrade", "base"], env)
    if result.returncode != 0:
        log(f"  alembic downgrade base failed; dropping the known tables:\n{result.stderr}")
    # ... then whatever is left of our models (a half-migrated database).
    with connected(url, transaction=True) as connection:
        Base.metadata.drop_all(bind=connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


def count_content(url):
    with connected(url) as connection:
        rows = connection.execute(text("SELECT type, count(*) FROM items GROUP BY type"))
        counts = {row[0] + "s": row[1] for row in rows}
        counts["links"] = connection.scalar(text("SELECT count(*) FROM links"))
        counts["references"] = connection.scalar(text("SELECT count(*) FROM item_references"))
    return counts


def prepared_key(size):
    """What a generated database depends on: the generator and this module.

    A cached database is migrated and its missing pages, or those of other templates,
    rendered again at each run, as a deploy does; its seed items are those of the run
    that made it.
    """
    digest = hashlib.sha256(str(size).encode())
    for path in (ROOT / "pybackend" / "scripts" / "generate_data.py", Path(__file__)):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def sqlite_path(url):
    return Path(url.removeprefix("sqlite:///"))


def cached_database(backend, size, url):
    """The cached copy for this SQLite database, or None (PostgreSQL is never cached)."""
    if backend != "sqlite" or size <= SEED_ITEMS:
        return None
    return CACHE_DIR / f"sqlite-{size}-{prepared_key(size)}.sqlite"


def copy_database(source, target):
    """Copy a SQLite database that no process has open (its journal is not WAL-pending)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(source, partial)
    os.replace(partial, target)


def store_pages(env, info):
    """Render and store every public page that is missing or from other templates."""
    log(f"  storing the pages ({RENDER_JOBS} jobs) ...")
    result, elapsed = run_script(
        "pybackend-content",
        [str(PRODUCTION_INI), "render", "--jobs", str(RENDER_JOBS), "--quiet"],
        env,
        timeout=RENDER_TIMEOUT,
    )
    if result.returncode != 0:
        raise BenchError(f"pybackend-content render failed:\n{result.stdout}{result.stderr}")
    info["render_s"] = round(elapsed, 2)
    info["render_output"] = result.stdout.strip()
    log(f"    {info['render_output']} in {elapsed:.1f} s")


def prepare_database(backend, size, url, env):
    """Migrate + seed, generate, store the pages; returns what was done and how long it took.

    A generated SQLite database is kept in bench-cache/ (pages and all) and copied at the
    next run with the same generator, schema and seed: generating and rendering 100 000
    topics takes far longer than every scenario together.
    """
    info = {}
    cached = cached_database(backend, size, url)
    if cached is not None and cached.exists():
        log(f"  database from {cached.relative_to(ROOT)}")
        copy_database(cached, sqlite_path(url))
        info["cached"] = str(cached.relative_to(ROOT))
        # Migrations only: initialize_pybackend_db would render in one process.
        result, elapsed = run_script("alembic", ["-c", str(PRODUCTION_INI), "upgrade", "head"], env)
        if result.returncode != 0:
            raise BenchError(f"alembic upgrade head failed:\n{result.stdout}{result.stderr}")
        info["migrate_s"] = round(elapsed, 2)
        store_pages(env, info)
        copy_database(sqlite_path(url), cached)
        info["counts"] = count_content(url)
        return info
    if backend == "postgresql":
        reset_postgres(url, env)
    result, elapsed = run_script("initialize_pybackend_db", [str(PRODUCTION_INI)], env)
    if result.returncode != 0:
        raise BenchError(f"initialize_pybackend_db failed:\n{result.stdout}{result.stderr}")
    info["initialize_s"] = round(elapsed, 2)
    if size > SEED_ITEMS:
        log(f"  generating {size} topics ...")
        result, elapsed = run_script(
            "pybackend-generate",
            [str(PRODUCTION_INI), "--topics", str(size)],
            env,
            capture=False,  # the progress bar goes to the terminal
            timeout=GENERATE_TIMEOUT,
        )
        info["generate_s"] = round(elapsed, 2)
        info["generate_output"] = result.stdout
        for line in result.stdout.splitlines():
            log(f"    {line}")
        if result.returncode == 3:
            log("  warning: the search index was not rebuilt; search results may be empty")
            info["search_index_failed"] = True
        elif result.returncode != 0:
            raise BenchError(f"pybackend-generate failed with exit status {result.returncode}")
        store_pages(env, info)
        if cached is not None:
            for old in CACHE_DIR.glob(f"sqlite-{size}-*.sqlite"):
                old.unlink()
            copy_database(sqlite_path(url), cached)
    info["counts"] = count_content(url)
    # Write the new database out now, so the kernel's writeback does not compete with the
    # server for the CPU during the measurements (100 000 topics: over 1 GB).
    started = time.monotonic()
    os.sync()
    info["sync_s"] = round(time.monotonic() - started, 2)
    return info


def create_editor(env, password):
    """The bench's editor account, through ``pybackend-user`` (password on stdin)."""
    result, _ = run_script(
        "pybackend-user",
        [str(PRODUCTION_INI), "add", BENCH_USER, "--role", "editor"],
        env,
        stdin=password + "\n",
    )
    if result.returncode != 0:
        raise BenchError(f"pybackend-user add failed:\n{result.stdout}{result.stderr}")


# ---------------------------------------------------------------------------
# What the scenarios request
# ---------------------------------------------------------------------------

HOT_SLUG = "django"


def read_site(url):
    """Published slugs by type (in id order), and a topic to edit that the hot page omits.

    The edited topic has no link or body reference to or from the hot topic, so saving
    its body changes nothing on the hot page (a precise cache need not invalidate it).
    """
    with connected(url) as connection:
        slugs = {"topic": [], "example": []}
        for item_type, slug in connection.execute(
            text(
                "SELECT type, slug FROM items"
                " WHERE status = 'published' AND deleted_at IS NULL ORDER BY id"
            )
        ):
            slugs.setdefault(item_type, []).append(slug)
        hot = HOT_SLUG if HOT_SLUG in slugs["topic"] else slugs["topic"][0]
        edited = connection.scalar(
            text(
                "SELECT slug FROM items i WHERE type = 'topic' AND status = 'published'"
                " AND deleted_at IS NULL AND slug <> :hot"
                " AND NOT EXISTS (SELECT 1 FROM items h WHERE h.slug = :hot"
                " AND h.type = 'topic' AND (EXISTS (SELECT 1 FROM links l WHERE"
                " (l.source_id = i.id AND l.target_id = h.id) OR"
                " (l.source_id = h.id AND l.target_id = i.id)) OR EXISTS (SELECT 1 FROM"
                " item_references r WHERE (r.source_id = i.id AND r.target_id = h.id) OR"
                " (r.source_id = h.id AND r.target_id = i.id))))"
                " ORDER BY id LIMIT 1"
            ),
            {"hot": hot},
        )
    return {"slugs": slugs, "hot": hot, "edited": edited}
