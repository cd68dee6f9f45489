import pytest

from .databases import Databases, initialize


@pytest.fixture(scope="session")
def seeded_template(backend, tmp_path_factory):
    """A migrated and seeded database, copied by ``databases.new(name, seeded=True)``."""
    made = Databases(backend, tmp_path_factory.mktemp("template"))
    url = made.new("template")
    initialize(made.engine(url))
    made.close()  # PostgreSQL copies a template nobody is connected to
    yield url
    made.drop_all()


@pytest.fixture
def databases(backend, tmp_path, request):
    """Databases of this test's own, on the test's backend, dropped afterwards."""
    made = Databases(backend, tmp_path, template=lambda: request.getfixturevalue("seeded_template"))
    yield made
    made.drop_all()
