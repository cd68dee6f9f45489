"""The migrations upgrade, downgrade and upgrade again on every backend (DATA-9)."""

import pytest
from sqlalchemy import create_engine, text

from pybackend import models
from tests.conftest import run_migrations, table_names

TABLES = {"items", "item_texts", "links", "item_references", "slug_history"}


@pytest.fixture
def scratch_connection(backend, database_url, tmp_path):
    """A connection to an empty database (or an empty PostgreSQL schema)."""
    if backend == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'scratch.sqlite'}")
        with engine.connect() as connection:
            yield connection
    else:
        engine = models.get_engine({"sqlalchemy.url": database_url})
        with engine.connect() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS migration_test CASCADE"))
            connection.execute(text("CREATE SCHEMA migration_test"))
            connection.execute(text("SET search_path TO migration_test"))
            connection.commit()
            yield connection
            connection.rollback()
            connection.execute(text("SET search_path TO public"))
            connection.execute(text("DROP SCHEMA migration_test CASCADE"))
            connection.commit()
    engine.dispose()


def test_upgrade_downgrade_upgrade(scratch_connection, ini_file):
    run_migrations(scratch_connection, ini_file, "head")
    scratch_connection.commit()
    assert table_names(scratch_connection) >= TABLES

    run_migrations(scratch_connection, ini_file, "base", direction="downgrade")
    scratch_connection.commit()
    assert not TABLES & table_names(scratch_connection)

    run_migrations(scratch_connection, ini_file, "head")
    scratch_connection.commit()
    assert table_names(scratch_connection) >= TABLES


# Byte-ordered indexes (models/bytewise.py): COLLATE "C" on PostgreSQL, an expression on
# SQLite. Alembic compares neither faithfully (SQLite's reflection skips expression
# indexes, with a warning); their definitions are checked by name below instead.
BYTEWISE_INDEXES = {
    "ix_items_type_slug_bytes": {
        "sqlite": "ON items (type, slug)",
        "postgresql": 'ON public.items USING btree (type, slug COLLATE "C")',
    },
    "ix_item_texts_lang_title_prefix": {
        "sqlite": "ON item_texts (lang, lower(title))",
        "postgresql": 'ON public.item_texts USING btree (lang, lower((title)::text) COLLATE "C")',
    },
}


@pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index "
    "ix_item_texts_lang_title_prefix"
)
@pytest.mark.filterwarnings(
    "ignore:autogenerate skipping metadata-specified expression-based index "
    "'ix_item_texts_lang_title_prefix'"
)
def test_models_match_the_migrations(dbengine, backend):
    """Nothing in the models is missing from the migrations (autogenerate finds no change)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from pybackend.models.search import include_object

    with dbengine.connect() as connection:
        # The same filter as env.py: the search index lives outside the metadata.
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        changes = [
            change
            for change in compare_metadata(context, models.Base.metadata)
            if not (
                change[0] in ("add_index", "remove_index") and change[1].name in BYTEWISE_INDEXES
            )
        ]
        assert changes == []
        if backend == "sqlite":
            rows = connection.execute(
                text("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
            )
        else:
            rows = connection.execute(text("SELECT indexname, indexdef FROM pg_indexes"))
        definitions = dict(rows.all())
    for name, expected in BYTEWISE_INDEXES.items():
        assert definitions[name].endswith(expected[backend]), definitions[name]
