import glob
import os
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

here = os.path.abspath(os.path.dirname(__file__))
# Shipped inside the package (pybackend/ini/), so a wheel deploys without the source
# tree: `pybackend-config production > production.ini`, and the same for deploy/'s files.
SHIPPED_FILES = ["production.ini", *sorted(glob.glob("deploy/*", root_dir=here))]


class build_py_with_catalogs(build_py):
    """Compile the gettext catalogs (.po -> .mo) and ship the starting ini in every build.

    The compiled catalogs are not in git; without this step an installed package would
    serve the English pages and the commands' messages in Indonesian.
    """

    def run(self):
        super().run()
        targets = [here] if self.editable_mode else [here, self.build_lib]
        for target in targets:
            self.compile_catalogs(os.path.join(target, "pybackend", "locale"))
        if not self.editable_mode:
            ini_dir = os.path.join(self.build_lib, "pybackend", "ini")
            os.makedirs(ini_dir, exist_ok=True)
            for name in SHIPPED_FILES:
                target = os.path.join(ini_dir, os.path.basename(name))
                shutil.copyfile(os.path.join(here, name), target)

    def compile_catalogs(self, locale_dir):
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        pattern = os.path.join(here, "pybackend", "locale", "*", "LC_MESSAGES", "*.po")
        for po_path in sorted(glob.glob(pattern)):
            relative = os.path.relpath(po_path, os.path.join(here, "pybackend", "locale"))
            mo_path = os.path.join(locale_dir, relative[: -len(".po")] + ".mo")
            os.makedirs(os.path.dirname(mo_path), exist_ok=True)
            with open(po_path, "rb") as f:
                catalog = read_po(f)
            with open(mo_path, "wb") as f:
                write_mo(f, catalog)
            self.announce(f"compiled {relative} -> {mo_path}", level=2)
with open(os.path.join(here, "README.md"), encoding="utf-8") as f:
    README = f.read()

# Lower bounds carry the security fixes we rely on (see README, "Dependencies"). Every
# package the code imports is listed, not left to come with another one
# (tests/test_dependencies.py checks it).
requires = [
    "alembic>=1.13",
    "argon2-cffi>=23.1",
    "Babel>=2.14",
    "Jinja2>=3.1.6",
    "markdown-it-py>=3.0",
    "MarkupSafe>=2.1",
    "mdit-py-plugins>=0.4",
    "nh3>=0.3.0",
    # Pillow 10.3 fixed the last decoding CVEs we rely on it for (CVE-2024-28219).
    "Pillow>=10.3",
    "plaster_pastedeploy",
    "prometheus_client>=0.20",
    "Pygments>=2.17",
    "pyotp>=2.9",
    "pyramid>=2.0.2",
    "pyramid_jinja2>=2.10",
    "pyramid_retry>=2.1.1",
    "pyramid_tm>=2.5",
    "segno>=1.6",
    # production.ini's JSON log formatter (pythonjsonlogger.json, new in 3.1).
    "python-json-logger>=3.1",
    "SQLAlchemy>=2.0.25,<3",
    "transaction>=4.0",
    "translationstring>=1.4",
    "venusian>=3.1",
    "waitress>=3.0.2",
    "WebOb>=1.8.8",
    "WTForms>=3.1",
    "zope.interface>=6.0",
    "zope.sqlalchemy>=3.1",
]

# The PostgreSQL driver: `pip install 'pybackend[postgresql]'`. SQLite needs nothing more.
postgresql_require = [
    "psycopg[binary]>=3.1.18",
]

dev_require = [
    "pyramid_debugtoolbar>=4.12",
]

tests_require = [
    "feedparser>=6.0",
    "hypothesis>=6.100",
    "playwright>=1.44",
    "pytest>=8.0",
    "pytest-cov",
    "requests>=2.31",
    "ruff>=0.6",
    "schemathesis>=3.30",
    "WebTest>=3.0.1",
]

setup(
    name="pybackend",
    version="0.1.0",
    description="An editable bilingual guide to Python backend programming",
    long_description=README,
    long_description_content_type="text/markdown",
    classifiers=[
        "Programming Language :: Python",
        "Framework :: Pyramid",
        "Topic :: Internet :: WWW/HTTP :: WSGI :: Application",
    ],
    python_requires=">=3.11",
    packages=find_packages(exclude=["tests", "tests.*"]),
    include_package_data=True,
    zip_safe=False,
    extras_require={
        "testing": tests_require + dev_require + postgresql_require,
        "dev": dev_require,
        "postgresql": postgresql_require,
    },
    install_requires=requires,
    cmdclass={"build_py": build_py_with_catalogs},
    entry_points={
        "paste.app_factory": [
            "main = pybackend:main",
        ],
        "paste.server_runner": [
            "waitress = pybackend.server:serve_paste",
        ],
        "console_scripts": [
            "initialize_pybackend_db = pybackend.scripts.initialize_db:main",
            "pybackend-generate = pybackend.scripts.generate_data:main",
            "pybackend-user = pybackend.scripts.users:main",
            "pybackend-content = pybackend.scripts.content:main",
            "pybackend-backup = pybackend.scripts.backup:main",
            "pybackend-restore = pybackend.scripts.restore:main",
            "pybackend-config = pybackend.scripts.config:main",
        ],
    },
)
