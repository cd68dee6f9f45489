"""The sources and facts fields of the item form: one source a line, one field a fact."""

import datetime as dt
import re

from .i18n import _
from .models.item import TITLE_MAX, URL_MAX
from .models.source import PUBLISHER_MAX

SOURCES_MAX = 50
SOURCE_SEPARATOR = " | "


def format_sources(rows):
    """The sources field's text: one source a line, ``title | URL | publisher | date``."""
    return "\n".join(
        SOURCE_SEPARATOR.join((r["title"], r["url"], r["publisher"], r["accessed"])) for r in rows
    )


def parse_sources(text):
    """(rows, errors) from the sources field; each error names its line."""
    rows, errors = [], []
    for number, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) < 4:
            errors.append(
                _(
                    "Baris ${n}: tulis judul | URL | penerbit | tanggal diakses.",
                    mapping={"n": number},
                )
            )
            continue
        title, url, publisher, accessed = "|".join(parts[:-3]).strip(), *parts[-3:]
        try:
            dt.date.fromisoformat(accessed)
            date_ok = len(accessed) == 10
        except ValueError:
            date_ok = False
        if not title or len(title) > TITLE_MAX or len(publisher) > PUBLISHER_MAX:
            errors.append(
                _(
                    "Baris ${n}: judul atau penerbit kosong atau terlalu panjang.",
                    mapping={"n": number},
                )
            )
        elif not re.match(r"^https?://[^\s/$.?#][^\s]*$", url, re.IGNORECASE) or len(url) > URL_MAX:
            errors.append(
                _(
                    "Baris ${n}: URL harus dimulai dengan http:// atau https://.",
                    mapping={"n": number},
                )
            )
        elif not date_ok:
            errors.append(
                _("Baris ${n}: tanggal diakses ditulis YYYY-MM-DD.", mapping={"n": number})
            )
        else:
            rows.append({"title": title, "url": url, "publisher": publisher, "accessed": accessed})
    if len(rows) > SOURCES_MAX:
        errors.append(_("Paling banyak ${n} sumber.", mapping={"n": SOURCES_MAX}))
    return rows, errors


FACT_LABELS = {
    "first_release": _("Rilis pertama (YYYY, YYYY-MM atau YYYY-MM-DD)"),
    "licence": _("Lisensi (SPDX)"),
    "maintainer": _("Pengelola"),
    "latest_version": _("Versi terbaru"),
    "latest_version_date": _("Tanggal versi terbaru"),
    "async_support": _("Dukungan async (yes, no, partial)"),
    "orm": _("ORM bawaan (yes, no, partial)"),
    "admin": _("Antarmuka admin bawaan (yes, no, partial)"),
    "template_engine": _("Mesin templat"),
    "broker": _("Perlu server broker (yes, no)"),
    "persistence": _("Pesan disimpan di disk (yes, no, partial)"),
    "protocol": _("Protokol"),
}
