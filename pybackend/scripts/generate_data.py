"""pybackend-generate INI --topics N: fill the database with generated bilingual content.

For benchmarks and for trying the site with a realistic amount of content. Every generated
item is published, has an Indonesian and an English text (title, summary, a Markdown body of
several paragraphs with a code block and internal links to other generated topics), and
generated slugs look like ``generated-framework-000123`` / ``generated-example-000042``.
Examples *use* 2-4 topics; some topics are ``related_to`` or ``alternative_to`` others.

Rows are written with SQLAlchemy Core bulk inserts, one transaction per batch (100 000
topics: about 30 s on SQLite, 2 cores). Item ids are chosen here (after the current largest),
so links and references need no look-ups: run it while nobody edits the site. At the end the
content generation is bumped once and, when pybackend.services.search provides
rebuild_index(), the search index is rebuilt.

Exit status: 0 done; 1 refused or failed (nothing or only whole batches written; rerun with
--replace); 2 bad arguments; 3 content written but the search index rebuild failed.
"""

import argparse
import datetime as dt
import importlib
import importlib.util
import os
import random
import re
import sys
import time

import transaction
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from pyramid.paster import get_appsettings, setup_logging
from sqlalchemy import delete, func, insert, inspect, select, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ..models import (
    ContentState,
    Item,
    ItemText,
    Link,
    Reference,
    SlugHistory,
    get_engine,
    get_session_factory,
    get_tm_session,
)
from ..models.item import utcnow
from ..services.pages import purge_everything

PROG = "pybackend-generate"
GENERATED_SLUG_RE = re.compile(
    r"^generated-(?:language|framework|library|messaging|example)-\d{6,}$"
)
DEFAULT_BATCH = 2000


class GenerateError(Exception):
    """A refusal or failure to report as one line, without a traceback."""

    exit_code = 1


class SearchIndexError(GenerateError):
    """The content is in, but the search index could not be rebuilt."""

    exit_code = 3


# ---------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------


def _whole_number(minimum, requirement):
    """An argparse type: an int of at least ``minimum``, else ``requirement`` in the error."""

    def convert(value):
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
        if number < minimum:
            raise argparse.ArgumentTypeError(f"must be {requirement}, got {value!r}")
        return number

    return convert


positive_int = _whole_number(1, "a positive integer")
non_negative_int = _whole_number(0, "zero or more")


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog=PROG, description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("config_uri", help="configuration file, e.g. development.ini")
    parser.add_argument(
        "--topics", type=positive_int, required=True, metavar="N", help="topics to generate"
    )
    parser.add_argument(
        "--examples",
        type=non_negative_int,
        metavar="M",
        help="examples to generate (default: N / 5, at least 1)",
    )
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default 0)")
    parser.add_argument(
        "--replace",
        action="store_true",
        help="delete the items an earlier run generated (and only those) first",
    )
    parser.add_argument(
        "--batch-size", type=positive_int, default=DEFAULT_BATCH, help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bars (phase timings are still printed)"
    )
    args = parser.parse_args(argv[1:])
    if args.examples is None:
        args.examples = max(1, args.topics // 5)
    return args


# ---------------------------------------------------------------------------
# Progress and timing
# ---------------------------------------------------------------------------


class Progress:
    """``\\r[########            ]  42% 42000/100000`` on stderr, redrawn when the percent moves."""

    WIDTH = 30

    def __init__(self, label, total, enabled=True):
        self.label = label
        self.total = max(total, 1)
        self.done = 0
        self.enabled = enabled
        self._shown = -1
        self._draw()

    def update(self, n):
        self.done += n
        self._draw()

    def _draw(self):
        if not self.enabled:
            return
        percent = min(100, self.done * 100 // self.total)
        if percent == self._shown:
            return
        self._shown = percent
        filled = self.WIDTH * percent // 100
        bar = "#" * filled + " " * (self.WIDTH - filled)
        sys.stderr.write(f"\r{self.label:<10} [{bar}] {percent:3d}% {self.done}/{self.total}")
        sys.stderr.flush()

    def close(self):
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


class Phases:
    def __init__(self):
        self.timings = []

    def run(self, name, function, *args):
        start = time.perf_counter()
        result = function(*args)
        elapsed = time.perf_counter() - start
        self.timings.append((name, elapsed))
        print(f"{name}: {elapsed:.2f} s", flush=True)
        return result


# ---------------------------------------------------------------------------
# Content
# ---------------------------------------------------------------------------

SYLLABLES = (
    "ka", "ra", "zen", "lo", "mi", "tor", "vel", "qua", "nix", "sol", "dra", "fi", "len", "mo",
    "pa", "rus", "ta", "vo", "xi", "yu", "bel", "cor", "dex", "gra", "hal", "ion", "jet", "kor",
    "lum", "nor", "pix", "ryn", "sen", "tal", "ux", "vin", "wex", "zor", "ami", "bra", "cel",
    "dun", "eko",
)  # fmt: skip

NAME_SUFFIX = {
    "language": ("", "", "Lang", "Script"),
    "framework": ("", "", " Web", "API", "Flow"),
    "library": ("py", "", "kit", " Client", "lib"),
    "messaging": (" MQ", " Bus", " Stream", "", " Queue"),
}

KIND_ID = {
    "language": "bahasa pemrograman",
    "framework": "framework web Python",
    "library": "pustaka Python",
    "messaging": "sistem pesan",
}
KIND_EN = {
    "language": "programming language",
    "framework": "Python web framework",
    "library": "Python library",
    "messaging": "messaging system",
}

PURPOSES = {
    "language": (
        (
            "menulis layanan backend yang ringkas dan mudah diuji",
            "writing backend services that are concise and easy to test",
        ),
        (
            "skrip otomasi dan layanan web berkinerja tinggi",
            "automation scripts and high-performance web services",
        ),
        (
            "pemrosesan data dan API dengan sistem tipe yang jelas",
            "data processing and APIs with a clear type system",
        ),
    ),
    "framework": (
        ("membangun API REST dengan sedikit kode", "building REST APIs with little code"),
        (
            "aplikasi web lengkap dengan templat dan formulir",
            "complete web applications with templates and forms",
        ),
        (
            "layanan mikro asinkron yang melayani banyak koneksi",
            "asynchronous microservices that serve many connections",
        ),
    ),
    "library": (
        ("memanggil layanan HTTP dengan aman", "calling HTTP services safely"),
        ("memvalidasi data masukan sebelum disimpan", "validating input data before it is stored"),
        (
            "bekerja dengan database melalui kueri yang tersusun",
            "working with databases through composable queries",
        ),
        ("menyimpan hasil perhitungan di cache", "caching the results of computations"),
    ),
    "messaging": (
        (
            "mengirim pesan antarlayanan tanpa saling menunggu",
            "sending messages between services without waiting on each other",
        ),
        ("menjalankan tugas latar belakang secara andal", "running background tasks reliably"),
        ("mengalirkan peristiwa ke banyak konsumen", "streaming events to many consumers"),
    ),
}

FEATURES = (
    ("dokumentasi yang rapi", "tidy documentation"),
    ("dukungan asyncio", "asyncio support"),
    ("petunjuk tipe di seluruh API-nya", "type hints throughout its API"),
    ("konfigurasi yang eksplisit", "explicit configuration"),
    ("uji otomatis yang luas", "an extensive automated test suite"),
    ("ekosistem plugin", "a plugin ecosystem"),
    ("kinerja yang stabil di bawah beban", "steady performance under load"),
    ("lisensi sumber terbuka yang longgar", "a permissive open source licence"),
)

MAINTAINERS = (
    ("komunitas sukarelawan", "a community of volunteers"),
    ("sebuah yayasan nirlaba", "a non-profit foundation"),
    ("tim kecil dari sebuah perusahaan rintisan", "a small team at a start-up"),
    ("para pengembang inti yang bergantian merilis", "core developers who take turns releasing"),
)

HEADINGS = {
    "language": (("Sintaks dan alat", "Syntax and tools"), ("Di sisi server", "On the server")),
    "framework": (("Rute dan view", "Routes and views"), ("Cara kerjanya", "How it works")),
    "library": (("Pemakaian dasar", "Basic usage"), ("Memasang dan memakai", "Install and use")),
    "messaging": (
        ("Produsen dan konsumen", "Producers and consumers"),
        ("Pola pengiriman", "Delivery patterns"),
    ),
}

CODE = {
    "language": (
        "def {fn}(items):\n    # {comment}\n    return [item for item in items if item.ready]\n"
    ),
    "framework": (
        "from {mod} import App\n\n"
        "app = App(__name__)\n\n\n"
        '@app.route("/{fn}/<name>")\n'
        "def {fn}(request, name):\n"
        "    # {comment}\n"
        '    return {{"hello": name}}\n'
    ),
    "library": (
        "import {mod}\n\n"
        "client = {mod}.Client(timeout=5)\n"
        "# {comment}\n"
        'result = client.{fn}("https://api.example.com/data")\n'
        "print(result.status)\n"
    ),
    "messaging": (
        "from {mod} import Connection\n\n"
        'with Connection("localhost") as conn:\n'
        "    # {comment}\n"
        '    conn.publish("{fn}", {{"order_id": 42}})\n'
    ),
}
CODE_COMMENT = {"id": "contoh singkat", "en": "a short example"}
FUNCTIONS = ("fetch", "process", "handle", "publish", "greet", "lookup", "sync", "notify")

EXAMPLE_DOMAINS = (
    ("toko daring", "online shop", "Shop"),
    ("peta dan navigasi", "maps and navigation", "Maps"),
    ("pembayaran digital", "digital payments", "Pay"),
    ("layanan kesehatan", "healthcare", "Health"),
    ("berita", "news", "News"),
    ("pemesanan tiket", "ticket booking", "Tix"),
    ("kursus daring", "online courses", "Learn"),
)

USE_NOTES = {
    "language": ("Bahasa utama seluruh backend", "Main language of the whole backend"),
    "framework": ("Melayani API publik", "Serves the public API"),
    "library": ("Dipakai di lapisan layanan", "Used in the service layer"),
    "messaging": ("Antrean tugas latar belakang", "The background task queue"),
}
RELATION_NOTES = {
    "alternative_to": ("Pilihan lain dengan tujuan serupa", "Another option with similar goals"),
    "related_to": ("Sering dipakai bersama", "Often used together"),
}

EPOCH = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
SPAN_SECONDS = 3 * 365 * 24 * 3600


def make_name(rng, kind):
    syllables = rng.choice((2, 2, 3))
    base = "".join(rng.choice(SYLLABLES) for _ in range(syllables))
    return base.capitalize() + rng.choice(NAME_SUFFIX[kind])


def module_name(name):
    return re.sub(r"[^a-z0-9]", "", name.lower()) or "pkg"


class Generator:
    """Builds rows for the items, texts, links and references of one run (seeded)."""

    def __init__(self, n_topics, n_examples, seed, start_id, now):
        self.rng = random.Random(seed)  # noqa: S311 - sample content, not security
        self.n_topics = n_topics
        self.n_examples = n_examples
        self.start_id = start_id
        self.now = now
        self.width = max(6, len(str(max(n_topics, n_examples))))
        kinds = tuple(NAME_SUFFIX)  # the kinds it has names for
        self.topic_kind = [kinds[i % len(kinds)] for i in range(n_topics)]
        self.topic_name = [make_name(self.rng, kind) for kind in self.topic_kind]
        self.by_kind = {
            kind: [i for i in range(n_topics) if self.topic_kind[i] == kind] for kind in kinds
        }
        self.links = []  # (source_id, target_id, kind, note_id, note_en, position)
        self.references = []  # (source_id, target_id)

    def topic_id(self, i):
        return self.start_id + i

    def example_id(self, j):
        return self.start_id + self.n_topics + j

    def topic_slug(self, i):
        return f"generated-{self.topic_kind[i]}-{i:0{self.width}d}"

    def example_slug(self, j):
        return f"generated-example-{j:0{self.width}d}"

    def other_topics(self, i, count, pool=None):
        """Up to ``count`` distinct topic indexes other than ``i``."""
        pool = pool if pool is not None else range(self.n_topics)
        size = len(pool)
        if size - (1 if i is not None else 0) <= 0:
            return []
        wanted = min(count, size - (1 if i is not None else 0))
        chosen = []
        while len(chosen) < wanted:
            other = pool[self.rng.randrange(size)]
            if other != i and other not in chosen:
                chosen.append(other)
        return chosen

    def _times(self):
        created = min(EPOCH + dt.timedelta(seconds=self.rng.randrange(SPAN_SECONDS)), self.now)
        later = created + dt.timedelta(seconds=self.rng.randrange(SPAN_SECONDS // 3))
        return created, min(later, self.now)

    def _texts(self, item_id, id_text, en_text, updated):
        # A few translations lag behind an edit of the Indonesian text (shown as stale).
        stale = self.rng.random() < 0.03
        id_version = 2 if stale else 1
        id_row = dict(
            item_id=item_id,
            lang="id",
            source_version=None,
            updated_at=updated,
            version=id_version,
            **id_text,
        )
        en_row = dict(
            item_id=item_id, lang="en", source_version=1, updated_at=updated, version=1, **en_text
        )
        return [id_row, en_row]

    def _link_md(self, indexes):
        return [f"[{self.topic_name[t]}](topic:{self.topic_slug(t)})" for t in indexes]

    def topic_rows(self, i):
        rng = self.rng
        kind = self.topic_kind[i]
        name = self.topic_name[i]
        mod = module_name(name)
        item_id = self.topic_id(i)
        created, updated = self._times()
        purpose_id, purpose_en = rng.choice(PURPOSES[kind])
        feature_a, feature_b = rng.sample(FEATURES, 2)
        maint_id, maint_en = rng.choice(MAINTAINERS)
        head_id, head_en = rng.choice(HEADINGS[kind])
        year = rng.randrange(2008, 2026)
        version = f"{rng.randrange(0, 6)}.{rng.randrange(0, 20)}"
        fn = rng.choice(FUNCTIONS)
        linked = self.other_topics(i, rng.choice((2, 2, 3)))
        links = self._link_md(linked)
        for target in linked:
            self.references.append((item_id, self.topic_id(target)))
        see_id = ", ".join(links[:-1]) + (f" dan {links[-1]}" if len(links) > 1 else "".join(links))
        see_en = ", ".join(links[:-1]) + (f" and {links[-1]}" if len(links) > 1 else "".join(links))
        code_id = CODE[kind].format(mod=mod, fn=fn, comment=CODE_COMMENT["id"])
        code_en = CODE[kind].format(mod=mod, fn=fn, comment=CODE_COMMENT["en"])
        lang_tag = "python"

        body_id = (
            f"{name} adalah {KIND_ID[kind]} untuk {purpose_id}. Proyek ini pertama kali "
            f"dirilis pada {year}, kini mencapai versi {version}, dan dipelihara oleh "
            f"{maint_id}. Banyak tim memilihnya karena {feature_a[0]} dan {feature_b[0]}.\n\n"
            f"## {head_id}\n\n"
            f"Pemakaian {name} sehari-hari cukup sederhana: pasang paketnya, tulis sedikit kode, "
            f"lalu jalankan di server. Contoh berikut menunjukkan bentuk dasarnya:\n\n"
            f"```{lang_tag}\n{code_id}```\n\n"
            f"Untuk proyek yang lebih besar, {name} biasanya dipadukan dengan {see_id}. "
            f"Perhatikan juga versi Python yang didukung dan catatan rilis sebelum memperbarui, "
            f"terutama di lingkungan produksi.\n\n"
            f"## Kapan memilih {name}\n\n"
            f"Pilih {name} bila kebutuhan utama Anda adalah {purpose_id}. Bila tim Anda lebih "
            f"mementingkan {feature_b[0]}, bandingkan dulu dengan pilihan lain di kategori "
            f"yang sama.\n"
        )
        body_en = (
            f"{name} is a {KIND_EN[kind]} for {purpose_en}. It was first released in {year}, "
            f"has reached version {version}, and is maintained by {maint_en}. Many teams "
            f"choose it for {feature_a[1]} and {feature_b[1]}.\n\n"
            f"## {head_en}\n\n"
            f"Everyday use of {name} is simple: install the package, write a little code, "
            f"then run it on the server. The following example shows the basic shape:\n\n"
            f"```{lang_tag}\n{code_en}```\n\n"
            f"For larger projects {name} is usually combined with {see_en}. Check the "
            f"supported Python versions and the release notes before upgrading, especially "
            f"in production.\n\n"
            f"## When to choose {name}\n\n"
            f"Choose {name} when your main need is {purpose_en}. If your team cares more "
            f"about {feature_b[1]}, compare it first with other options in the same category.\n"
        )
        item = {
            "id": item_id,
            "type": "topic",
            "slug": self.topic_slug(i),
            "kind": kind,
            "website": f"https://{mod}.example.org/",
            "package": mod if kind in ("framework", "library") else "",
            "status": "published",
            "deleted_at": None,
            "created_at": created,
            "updated_at": updated,
            "version": 1,
        }
        texts = self._texts(
            item_id,
            {
                "title": name,
                "summary": f"{name}: {KIND_ID[kind]} untuk {purpose_id}."[:300],
                "body": body_id,
            },
            {
                "title": name,
                "summary": f"{name}: a {KIND_EN[kind]} for {purpose_en}."[:300],
                "body": body_en,
            },
            updated,
        )
        # Some topics are alternatives to, or related to, others.
        if rng.random() < 0.4:
            position = 0
            for target in self.other_topics(i, 1, self.by_kind[kind]):
                note_id, note_en = RELATION_NOTES["alternative_to"]
                self.links.append(
                    (item_id, self.topic_id(target), "alternative_to", note_id, note_en, position)
                )
                position += 1
            if rng.random() < 0.5:
                for target in self.other_topics(i, 1):
                    note_id, note_en = RELATION_NOTES["related_to"]
                    self.links.append(
                        (item_id, self.topic_id(target), "related_to", note_id, note_en, position)
                    )
        return item, texts

    def example_rows(self, j):
        rng = self.rng
        domain_id, domain_en, suffix = rng.choice(EXAMPLE_DOMAINS)
        name = "".join(rng.choice(SYLLABLES) for _ in range(2)).capitalize() + " " + suffix
        host = module_name(name)
        item_id = self.example_id(j)
        created, updated = self._times()
        used = self.other_topics(None, rng.randrange(2, 5))
        links = self._link_md(used)
        for position, target in enumerate(used):
            note_id, note_en = USE_NOTES[self.topic_kind[target]]
            self.links.append(
                (item_id, self.topic_id(target), "uses", note_id, note_en, j * 10 + position)
            )
            self.references.append((item_id, self.topic_id(target)))
        users = rng.randrange(2, 900) * 1000
        year = rng.randrange(2010, 2026)
        listing_id = "\n".join(f"- {link}" for link in links)
        body_id = (
            f"{name} adalah layanan {domain_id} fiktif dengan sekitar {users} pengguna "
            f"aktif. Tim kecilnya memulai pada {year} dengan satu server, lalu memecah backend "
            f"menjadi beberapa layanan seiring bertambahnya lalu lintas.\n\n"
            f"## Tumpukan teknologi\n\n{listing_id}\n\n"
            f"Setiap permintaan melewati lapisan cache sebelum menyentuh database, sehingga "
            f"halaman yang sering dibuka tetap cepat. Konfigurasi utamanya seperti ini:\n\n"
            f"```ini\n[server:main]\nuse = egg:waitress#main\nlisten = 127.0.0.1:6543\n"
            f"threads = 4\n```\n\n"
            f"Tim {name} menulis uji otomatis untuk setiap fitur baru dan memantau latensi "
            f"p99 di dasbor mereka.\n"
        )
        body_en = (
            f"{name} is a fictional {domain_en} service with about {users} active users. "
            f"Its small team started in {year} with a single server, then split the backend "
            f"into several services as traffic grew.\n\n"
            f"## Technology stack\n\n{listing_id}\n\n"
            f"Every request passes a cache layer before it touches the database, so pages "
            f"that are opened often stay fast. The main configuration looks like this:\n\n"
            f"```ini\n[server:main]\nuse = egg:waitress#main\nlisten = 127.0.0.1:6543\n"
            f"threads = 4\n```\n\n"
            f"The {name} team writes automated tests for every new feature and watches p99 "
            f"latency on their dashboard.\n"
        )
        item = {
            "id": item_id,
            "type": "example",
            "slug": self.example_slug(j),
            "kind": None,
            "website": f"https://{host}.example.com/",
            "package": "",
            "status": "published",
            "deleted_at": None,
            "created_at": created,
            "updated_at": updated,
            "version": 1,
        }
        texts = self._texts(
            item_id,
            {
                "title": name,
                "summary": f"Layanan {domain_id} fiktif yang dibangun dengan Python.",
                "body": body_id,
            },
            {
                "title": name,
                "summary": f"A fictional {domain_en} service built with Python.",
                "body": body_en,
            },
            updated,
        )
        return item, texts


# ---------------------------------------------------------------------------
# Database work
# ---------------------------------------------------------------------------


def check_migrated(engine, config_uri):
    names = set(inspect(engine).get_table_names())
    needed = {"items", "item_texts", "links", "item_references", "content_state"}
    if "alembic_version" not in names or not needed <= names:
        raise GenerateError(
            f"the database is not migrated; run `initialize_pybackend_db {config_uri}` first"
        )
    head = ScriptDirectory.from_config(Config(config_uri)).get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        has_state = connection.scalar(select(func.count()).select_from(ContentState))
    if current != head:
        raise GenerateError(
            f"the database is at migration {current or 'none'}, not at the latest ({head}); "
            f"run `initialize_pybackend_db {config_uri}` first"
        )
    if not has_state:
        raise GenerateError("the content_state row is missing; the database is not migrated")


def generated_ids(engine):
    with engine.connect() as connection:
        rows = connection.execute(
            select(Item.id, Item.slug).where(Item.slug.like("generated-%"))
        ).all()
    return [row.id for row in rows if GENERATED_SLUG_RE.match(row.slug)]


def delete_generated(engine, ids, show_progress):
    progress = Progress("delete", len(ids), show_progress)
    with engine.begin() as connection:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for table, columns in (
                (Reference.__table__, ("source_id", "target_id")),
                (Link.__table__, ("source_id", "target_id")),
            ):
                for column in columns:
                    connection.execute(delete(table).where(table.c[column].in_(chunk)))
            connection.execute(delete(SlugHistory.__table__).where(SlugHistory.item_id.in_(chunk)))
            connection.execute(delete(ItemText.__table__).where(ItemText.item_id.in_(chunk)))
            connection.execute(delete(Item.__table__).where(Item.id.in_(chunk)))
            progress.update(len(chunk))
    progress.close()
    return len(ids)


def translation_of(text_rows):
    """items.translation for generated texts (services/translations.py's rule)."""
    texts = {row["lang"]: row for row in text_rows}
    if "en" not in texts:
        return "missing"
    return "stale" if texts["en"]["source_version"] < texts["id"]["version"] else "current"


def insert_items(engine, label, count, make_rows, batch_size, show_progress):
    progress = Progress(label, count, show_progress)
    items_table, texts_table = Item.__table__, ItemText.__table__
    for start in range(0, count, batch_size):
        items, texts = [], []
        for n in range(start, min(count, start + batch_size)):
            item, item_texts = make_rows(n)
            item["translation"] = translation_of(item_texts)
            items.append(item)
            texts.extend(item_texts)
        with engine.begin() as connection:
            connection.execute(insert(items_table), items)
            connection.execute(insert(texts_table), texts)
        progress.update(len(items))
    progress.close()


def insert_tuples(engine, label, table, columns, rows, batch_size, show_progress):
    progress = Progress(label, len(rows), show_progress)
    for start in range(0, len(rows), batch_size):
        chunk = [dict(zip(columns, row, strict=True)) for row in rows[start : start + batch_size]]
        with engine.begin() as connection:
            connection.execute(insert(table), chunk)
        progress.update(len(chunk))
    progress.close()


def fix_sequences(engine):
    """PostgreSQL: explicit ids do not advance the serial sequence; move it past them."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        connection.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('items', 'id'), "
                "(SELECT COALESCE(MAX(id), 1) FROM items))"
            )
        )


def bump_generation_now(engine):
    """Every process drops every cached page (own transaction)."""
    with transaction.manager:
        purge_everything(get_tm_session(get_session_factory(engine)))


def find_rebuild_index():
    """pybackend.services.search.rebuild_index, or None when there is no search index (yet)."""
    if importlib.util.find_spec("pybackend.services.search") is None:
        print("search index: pybackend.services.search does not exist; skipped")
        return None
    module = importlib.import_module("pybackend.services.search")
    rebuild = getattr(module, "rebuild_index", None)
    if rebuild is None:
        print("search index: pybackend.services.search has no rebuild_index(); skipped")
    return rebuild


def publish(engine):
    """Purge every cached page and rebuild the search index, in one transaction.

    Readers' caches and the search index change together.
    """
    rebuild = find_rebuild_index()
    try:
        with transaction.manager:
            dbsession = get_tm_session(get_session_factory(engine))
            purge_everything(dbsession)
            count = rebuild(dbsession) if rebuild is not None else None
    except Exception as e:
        if rebuild is None:
            raise
        # The content is in either way: let every cache see it.
        bump_generation_now(engine)
        raise SearchIndexError(
            f"rebuilding the search index failed: {type(e).__name__}: {e} "
            "(the generated content is committed and published)"
        ) from e
    if count is not None:
        print(f"search index: {count} entries")


def analyze(engine):
    """PostgreSQL: fresh planner statistics after a bulk load, as an operator would.

    Autovacuum would get there within minutes; until then the planner guesses row counts
    (some search queries leave the plan to it). SQLite is left without statistics, as a
    fresh ``make run`` has none: its search plans are fixed by the query's shape.
    """
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))


def generate(args, engine, show_progress):
    phases = Phases()
    check_migrated(engine, args.config_uri)
    existing = generated_ids(engine)
    if existing and not args.replace:
        raise GenerateError(
            f"the database already has {len(existing)} generated items (slugs generated-...); "
            "rerun with --replace to delete them first"
        )
    if existing:
        phases.run("delete", delete_generated, engine, existing, show_progress)

    with engine.connect() as connection:
        start_id = (connection.scalar(select(func.max(Item.id))) or 0) + 1
    generator = Generator(args.topics, args.examples, args.seed, start_id, utcnow())
    batch = args.batch_size
    phases.run(
        "topics",
        insert_items,
        engine,
        "topics",
        args.topics,
        generator.topic_rows,
        batch,
        show_progress,
    )
    phases.run(
        "examples",
        insert_items,
        engine,
        "examples",
        args.examples,
        generator.example_rows,
        batch,
        show_progress,
    )
    fix_sequences(engine)
    phases.run(
        "links",
        insert_tuples,
        engine,
        "links",
        Link.__table__,
        ("source_id", "target_id", "kind", "note_id", "note_en", "position"),
        generator.links,
        batch,
        show_progress,
    )
    references = sorted(set(generator.references))
    phases.run(
        "references",
        insert_tuples,
        engine,
        "references",
        Reference.__table__,
        ("source_id", "target_id"),
        references,
        batch,
        show_progress,
    )
    phases.run("generation + search index", publish, engine)
    phases.run("statistics", analyze, engine)
    total = sum(elapsed for _, elapsed in phases.timings)
    print(
        f"Generated {args.topics} topics, {args.examples} examples, "
        f"{len(generator.links)} links and {len(references)} references in {total:.1f} s."
    )


def main(argv=sys.argv):
    args = parse_args(argv)
    if not os.path.exists(args.config_uri):
        sys.exit(f"{PROG}: no such configuration file: {args.config_uri}")
    setup_logging(args.config_uri)
    show_progress = not args.quiet
    engine = None
    try:
        # Bulk inserts of 100 000 rows: not bounded like a web request's statements.
        settings = {**get_appsettings(args.config_uri), "pybackend.db.statement_timeout": "600"}
        engine = get_engine(settings)
        generate(args, engine, show_progress)
    except GenerateError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        sys.exit(e.exit_code)
    except DBAPIError as e:
        sys.exit(
            f"{PROG}: database error: {e.orig}\n"
            f"{PROG}: batches committed so far stay; rerun with --replace to start over"
        )
    except SQLAlchemyError as e:
        sys.exit(f"{PROG}: database error: {e}")
    except KeyboardInterrupt:
        sys.exit(f"\n{PROG}: interrupted; rerun with --replace to start over")
    finally:
        if engine is not None:
            engine.dispose()


if __name__ == "__main__":
    main()
