"""Alembic environment: the database comes from the app's settings (and DATABASE_URL)."""

from alembic import context
from pyramid.paster import get_appsettings, setup_logging

from pybackend.models import get_engine
from pybackend.models.meta import Base
from pybackend.models.search import include_object

config = context.config
target_metadata = Base.metadata


def run_migrations_offline():
    settings = get_appsettings(config.config_file_name)
    from pybackend.config import database_url

    context.configure(url=database_url(settings), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    # The test suite and initialize_pybackend_db may hand in a connection.
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    if config.config_file_name:
        setup_logging(config.config_file_name)
    settings = get_appsettings(config.config_file_name)
    engine = get_engine(settings)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection):
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # The search index (FTS5 table, tsvector column) is not in the metadata.
        include_object=include_object,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # The app's engine bounds each statement (pybackend.db.statement_timeout);
            # a migration may rebuild an index over every row: not here, for this
            # transaction only.
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
