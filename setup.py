import os

from setuptools import find_packages, setup

here = os.path.abspath(os.path.dirname(__file__))
with open(os.path.join(here, "README.md"), encoding="utf-8") as f:
    README = f.read()

# Lower bounds carry the security fixes we rely on (see README, "Dependencies").
requires = [
    "alembic>=1.13",
    "argon2-cffi>=23.1",
    "Babel>=2.14",
    "Jinja2>=3.1.6",
    "markdown-it-py>=3.0",
    "mdit-py-plugins>=0.4",
    "nh3>=0.2.17",
    "plaster_pastedeploy",
    "psycopg[binary]>=3.1.18",
    "Pygments>=2.17",
    "pyramid>=2.0.2",
    "pyramid_jinja2>=2.10",
    "pyramid_retry>=2.1.1",
    "pyramid_tm>=2.5",
    "SQLAlchemy>=2.0.25,<3",
    "transaction>=4.0",
    "waitress>=3.0.2",
    "WTForms>=3.1",
    "zope.sqlalchemy>=3.1",
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
        "testing": tests_require + dev_require,
        "dev": dev_require,
    },
    install_requires=requires,
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
        ],
    },
)
