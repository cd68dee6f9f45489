"""The bench uses only a database it may empty: empty, or marked as its own (no timing)."""

import os

import pytest
from sqlalchemy import inspect, text

from bench import run
from bench.databases import (
    BENCH_USER,
    ForeignDatabase,
    check_bench_database,
    claim_database,
    engine_for,
)


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'bench.sqlite'}"


def execute(url, *statements):
    engine = engine_for(url)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def tables(url):
    engine = engine_for(url)
    names = set(inspect(engine).get_table_names())
    engine.dispose()
    return names


def test_an_empty_database_is_claimed_and_marked(sqlite_url):
    assert claim_database(sqlite_url) == "empty"
    assert tables(sqlite_url) == {"bench_marker"}
    assert claim_database(sqlite_url) == "marked"


def test_a_database_with_someone_elses_tables_is_refused_and_left_alone(sqlite_url):
    execute(sqlite_url, "CREATE TABLE items (id INTEGER PRIMARY KEY)")
    with pytest.raises(ForeignDatabase, match="no bench_marker table"):
        claim_database(sqlite_url)
    assert tables(sqlite_url) == {"items"}


def test_a_marked_database_with_another_table_is_refused(sqlite_url):
    claim_database(sqlite_url)
    execute(sqlite_url, "CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    with pytest.raises(ForeignDatabase, match="invoices"):
        claim_database(sqlite_url)


def test_a_marked_database_with_a_real_account_is_refused(sqlite_url):
    claim_database(sqlite_url)
    execute(
        sqlite_url,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, username VARCHAR(50))",
        f"INSERT INTO users (username) VALUES ('{BENCH_USER}'), ('alice')",
    )
    engine = engine_for(sqlite_url)
    with engine.connect() as connection, pytest.raises(ForeignDatabase, match="alice"):
        check_bench_database(connection)
    engine.dispose()


def test_the_bench_s_own_account_is_fine(sqlite_url):
    claim_database(sqlite_url)
    execute(
        sqlite_url,
        "CREATE TABLE users (id INTEGER PRIMARY KEY, username VARCHAR(50))",
        f"INSERT INTO users (username) VALUES ('{BENCH_USER}')",
    )
    assert claim_database(sqlite_url) == "marked"


def test_database_url_never_selects_postgresql():
    args = run.parse_args([], environ={"DATABASE_URL": "postgresql://u:p@localhost/prod"})
    assert args.postgresql_url is None
    args = run.parse_args([], environ={"BENCH_DATABASE_URL": "postgresql://u:p@localhost/b"})
    assert args.postgresql_url == "postgresql://u:p@localhost/b"
    args = run.parse_args(
        ["--sqlite-only"], environ={"BENCH_DATABASE_URL": "postgresql://u:p@localhost/b"}
    )
    assert args.postgresql_url is None


def test_a_url_that_is_not_postgresql_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        run.parse_args(["--postgresql-url", "sqlite:///x.sqlite"], environ={})
    assert exit_info.value.code == 2
    assert "not a PostgreSQL URL" in capsys.readouterr().err


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL (PostgreSQL)"
)
def test_main_refuses_a_foreign_postgresql_database_with_exit_2(capsys):
    url = os.environ["TEST_DATABASE_URL"]
    execute(url, "CREATE TABLE IF NOT EXISTS someone_elses (id INTEGER PRIMARY KEY)")
    before = tables(url)
    try:
        assert run.main(["--postgresql-url", url, "--sizes", "12"]) == 2
        assert "refusing to use the PostgreSQL database" in capsys.readouterr().err
        assert tables(url) == before  # nothing dropped, nothing marked
    finally:
        execute(url, "DROP TABLE IF EXISTS someone_elses")
