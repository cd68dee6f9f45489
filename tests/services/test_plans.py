"""Every query of the cold path uses an index: nothing a reader asks for scans a table.

The statements are the ones the app really runs (captured while it serves the pages), and
each is explained with its own parameters. SQLite is asked for its plan as it is;
PostgreSQL plans by statistics, and on a tiny test database a sequential scan is always
cheapest, so it is asked with sequential scans priced out: a plan that still has one has
no index to use.
"""

import re

import pytest
from sqlalchemy import event

from pybackend.services import page_memory, page_store

COLD_PATHS = [
    "/topics/django",
    "/en/topics/flask",
    "/examples/instagram",
    "/en/examples/reddit",
    "/topics?page=1",
    "/en/examples?page=1",
    "/en/topics?kind=framework",
    "/examples",
    "/",
    "/sitemap.xml",
    "/sitemap.xml?page=1",
]

# Small lookup tables read whole on purpose (a single row; the search aliases).
WHOLE_TABLES_OK = ("content_state", "search_aliases")


def captured_statements(engine, run):
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not executemany and statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return statements


def plan(connection, statement, parameters):
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        return [row[3] for row in rows]
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    try:
        rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
    finally:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = on")
    return [row[0] for row in rows]


# Columns with a handful of values: an index search on one of them alone walks most of
# the table (SQLite, without statistics, took ix_items_status for backlinks). The readers'
# list indexes are the exception: partial and covering, they hold exactly what the lists
# show, so type=? there walks index entries of public items only (a page's OFFSET, a count).
_UNSELECTIVE = re.compile(
    r"USING (?!COVERING INDEX ix_items_public_)(?:COVERING )?INDEX \w+ "
    r"\((?:status|deleted_at|type)=\?\)$"
)


def scans(steps, dialect):
    if dialect == "sqlite":
        return [s for s in steps if _UNSELECTIVE.search(s)] + [
            s
            for s in steps
            if s.startswith("SCAN")
            and not any(f"SCAN {t}" in s for t in WHOLE_TABLES_OK)
            # A scan of a subquery's own few rows, or of a virtual (FTS) table, is no walk.
            and not s.startswith(("SCAN (subquery", "SCAN m", "SCAN search_fts"))
            and "COVERING INDEX" not in s
            and "USING INDEX" not in s
        ]
    return [s for s in steps if "Seq Scan" in s and not any(t in s for t in WHOLE_TABLES_OK)]


@pytest.mark.parametrize("path", COLD_PATHS)
def test_the_cold_path_uses_indexes_only(testapp, dbsession, path):
    engine = dbsession.get_bind()
    statements = captured_statements(engine, lambda: testapp.get(path, status=200))
    assert statements
    connection = dbsession.connection()
    for statement, parameters in statements:
        steps = plan(connection, statement, parameters)
        assert not scans(steps, connection.dialect.name), (statement, steps)


def test_the_stored_page_and_the_purge_poll_are_index_lookups(dbsession):
    connection = dbsession.connection()
    dialect = connection.dialect.name
    for stmt, params in (
        (page_store._STORED, {"key": "/topics/django"}),
        (page_memory._CHANGED, {"seen": 1}),
    ):
        compiled = stmt.compile(dialect=connection.dialect)
        sql = str(compiled)
        positional = compiled.positiontup
        values = (
            tuple(params[name] for name in positional)
            if dialect == "sqlite"
            else {name: params[name] for name in params}
        )
        if dialect != "sqlite":
            sql = sql.replace(":seen", "%(seen)s")
        steps = plan(connection, sql, values)
        assert not scans(steps, dialect), (sql, steps)
        if dialect == "sqlite":
            assert any("USING" in s for s in steps), steps


@pytest.mark.parametrize("path", ["/topics?page=1", "/en/topics?kind=library", "/examples"])
def test_a_list_page_takes_its_ids_from_an_index_alone(testapp, dbsession, path):
    """A deep page steps through index entries, never through the rows it skips."""
    engine = dbsession.get_bind()
    statements = captured_statements(engine, lambda: testapp.get(path, status=200))
    pages = [(s, p) for s, p in statements if "ORDER BY items.slug" in s and "OFFSET" in s.upper()]
    assert pages, statements
    connection = dbsession.connection()
    for statement, parameters in pages:
        steps = " ".join(plan(connection, statement, parameters))
        if connection.dialect.name == "sqlite":
            assert "COVERING INDEX ix_items_public_" in steps, (statement, steps)
        else:
            # PostgreSQL chooses among its indexes by statistics, which a test database of
            # a few dozen rows does not have: it must use one, whichever it is.
            assert "Index" in steps and "Seq Scan" not in steps, (statement, steps)


def test_the_schedule_poll_and_the_editors_tools_lists_use_indexes(dbsession):
    """Every process asks for the earliest pending schedule about once a second; the
    dashboard lists what is scheduled and what waits for review."""
    from pybackend.services import review, schedule

    engine = dbsession.get_bind()
    connection = dbsession.connection()

    def run():
        schedule.earliest(connection)
        schedule.upcoming(dbsession, 10)
        review.waiting(dbsession, "pending", 10)
        review.waiting(dbsession, "returned", 10, submitted_by=1)

    statements = captured_statements(engine, run)
    assert len(statements) >= 4
    for statement, parameters in statements:
        steps = plan(connection, statement, parameters)
        assert not scans(steps, connection.dialect.name), (statement, steps)
