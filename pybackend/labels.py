"""The names of the site's fixed vocabularies: kinds of topic, relations, roles.

Stored values are English keys ("framework", "built_on"); people read these names, in
Indonesian or through the catalogs in English. Readers' pages (templates/macros.jinja2)
and editors' forms (the select fields in forms.py) take them from here alone.
"""

from .i18n import _

KIND = {
    "language": _("Bahasa pemrograman"),
    "framework": _("Framework"),
    "library": _("Pustaka"),
    "messaging": _("Sistem pesan"),
    "server": _("Server"),
    "tool": _("Alat"),
    "concept": _("Konsep"),
    "datastore": _("Penyimpanan data"),
}

# Headings of the lists that group topics by kind.
KIND_PLURAL = {
    **KIND,
    "framework": _("Framework web"),
    "server": _("Server aplikasi"),
    "tool": _("Alat pengembangan"),
    "datastore": _("Basis data dan penyimpanan"),
}

# A relation as the item that holds it reads it, then as the other item reads it.
RELATION = {
    "related_to": (_("Berkaitan"), _("Berkaitan")),
    "alternative_to": (_("Alternatif"), _("Alternatif")),
    "successor_of": (_("Penerus dari"), _("Pendahulu dari")),
    "built_on": (_("Dibangun di atas"), _("Menjadi dasar bagi")),
    "uses": (_("Memakai"), _("Dipakai oleh")),
}

# The editors' lists' bulk actions (services/bulk.py).
BULK_ACTION = {
    "publish": _("Terbitkan"),
    "unpublish": _("Jadikan draf"),
    "trash": _("Pindahkan ke tempat sampah"),
    "restore": _("Pulihkan"),
    "submit": _("Ajukan untuk ditinjau"),
}

# What a revision of an item did (the history, the dashboard, a revision's page).
REVISION_ACTION = {
    "create": _("Dibuat"),
    "update": _("Diubah"),
    "publish": _("Diterbitkan"),
    "unpublish": _("Dijadikan draf"),
    "delete": _("Dipindahkan ke tempat sampah"),
    "restore": _("Dipulihkan"),
    "revert": _("Dikembalikan ke versi lama"),
    "schedule": _("Dijadwalkan"),
    "submit": _("Diajukan untuk ditinjau"),
    "propose": _("Perubahan diajukan untuk ditinjau"),
    "approve": _("Disetujui dan diterbitkan"),
    "return": _("Dikembalikan ke editor"),
}

ROLE = {"admin": _("Admin"), "editor": _("Editor")}


def relation(kind, outgoing=True):
    return RELATION.get(kind, RELATION["related_to"])[0 if outgoing else 1]


def choices(names, keys):
    """(key, name) pairs for a select field, in the order of ``keys``."""
    return [(key, names.get(key, key)) for key in keys]
