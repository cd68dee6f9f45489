"""WTForms classes, one per edited thing, with validators that match the columns (IN-1, IN-2)."""

import re
import unicodedata

from pyramid.i18n import TranslationString
from pyramid.threadlocal import get_current_request
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from . import labels
from .i18n import _
from .models.item import (
    BODY_MAX,
    NOTE_MAX,
    SLUG_MAX,
    SLUG_PATTERN,
    SUMMARY_MAX,
    TITLE_MAX,
    TOPIC_KINDS,
    URL_MAX,
)
from .models.source import DATE_FACTS, FACT_DATE_PATTERN, FACT_KEYS, FACT_MAX
from .models.user import ROLES, USERNAME_PATTERN
from .services.content import TOPIC_LINK_KINDS
from .services.passwords import MAX_LENGTH as PASSWORD_MAX
from .services.passwords import policy_errors
from .source_forms import FACT_LABELS, SOURCES_MAX, parse_sources

# C0 controls and DEL, except tab, newline and carriage return.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Bidirectional overrides and isolates: they make text read differently than it is.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def nfc(value):
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def strip_nfc(value):
    return nfc(value).strip() if isinstance(value, str) else value


class NoControlCharacters:
    def __call__(self, form, field):
        if isinstance(field.data, str) and CONTROL_CHARACTERS.search(field.data):
            raise ValidationError(_("Teks tidak boleh berisi karakter kontrol."))


class NoBidiOverrides:
    def __call__(self, form, field):
        if isinstance(field.data, str) and _BIDI.search(field.data):
            raise ValidationError(_("Teks tidak boleh berisi karakter pengubah arah tulisan."))


def named(choices):
    """(key, name) choices with their names (labels.py) in the language of the request
    being answered; form labels are translated by the templates, options are not."""
    request = get_current_request()
    if request is None:
        return list(choices)
    translate = request.localizer.translate
    return [
        (key, translate(name) if isinstance(name, TranslationString) else name)
        for key, name in choices
    ]


class NamedSelectField(SelectField):
    """A choice among stored keys, shown by their names."""

    def __init__(self, label=None, validators=None, choices=(), **kwargs):
        super().__init__(label, validators, choices=named(choices), **kwargs)


class BaseForm(Form):
    """Text normalised to NFC and checked for control characters on every field."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            if unbound_field.field_class in (FieldList, FormField):
                return unbound_field.bind(form=form, **options)
            filters = unbound_field.kwargs.get("filters", [])
            if unbound_field.field_class is not PasswordField:
                filters = [nfc, *filters]
            validators = list(unbound_field.kwargs.get("validators", []))
            validators.append(NoControlCharacters())
            return unbound_field.bind(form=form, filters=filters, validators=validators, **options)

    def __init__(self, formdata=None, **kwargs):
        super().__init__(formdata, **kwargs)
        self.duplicated = set()
        if formdata is not None:
            for name in self._fields:
                if len(formdata.getall(name)) > 1:
                    self.duplicated.add(name)

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        for name in self.duplicated:
            self._fields[name].errors = [
                *self._fields[name].errors,
                _("Kolom ini dikirim lebih dari sekali."),
            ]
            ok = False
        return ok


class LoginForm(BaseForm):
    username = StringField(
        _("Nama pengguna"),
        filters=[strip_nfc],
        validators=[DataRequired(), Length(max=50)],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        _("Kata sandi"),
        validators=[InputRequired(), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class UsernameField(StringField):
    def __init__(self, label=None, **kwargs):
        # Added to, not defaulted: BaseForm.Meta.bind_field always passes both lists.
        kwargs["filters"] = [
            *kwargs.get("filters", ()),
            strip_nfc,
            lambda v: v.lower() if isinstance(v, str) else v,
        ]
        kwargs["validators"] = [
            DataRequired(),
            Length(min=2, max=50),
            *kwargs.get("validators", ()),
        ]
        super().__init__(label, **kwargs)

    def pre_validate(self, form):
        if self.data and not re.match(USERNAME_PATTERN, self.data):
            raise ValidationError(
                _("2–50 huruf kecil, angka, titik, garis bawah atau tanda hubung.")
            )


class NewPasswordMixin:
    def validate_password(self, field):
        username = getattr(self, "username", None)
        errors = policy_errors(field.data or "", username.data if username else "")
        if errors:
            raise ValidationError(errors[0])

    def validate_password_confirm(self, field):
        if field.data != self.password.data:
            raise ValidationError(_("Kedua kata sandi tidak sama."))


ROLE_CHOICES = labels.choices(labels.ROLE, ROLES)


class UserAddForm(NewPasswordMixin, BaseForm):
    username = UsernameField(_("Nama pengguna"))
    role = NamedSelectField(_("Peran"), choices=ROLE_CHOICES, validators=[InputRequired()])
    password = PasswordField(
        _("Kata sandi"), validators=[InputRequired()], render_kw={"autocomplete": "new-password"}
    )
    password_confirm = PasswordField(
        _("Ulangi kata sandi"),
        validators=[InputRequired()],
        render_kw={"autocomplete": "new-password"},
    )


class UserEditForm(BaseForm):
    role = NamedSelectField(_("Peran"), choices=ROLE_CHOICES, validators=[InputRequired()])
    version = HiddenField(validators=[InputRequired()])


class LanguageForm(BaseForm):
    """The language a user works in, in the editors' area."""

    lang = SelectField(
        _("Bahasa ruang editor"),
        choices=[("id", "Bahasa Indonesia"), ("en", "English")],
        validators=[InputRequired()],
    )
    next = HiddenField(validators=[Length(max=2000)])


class PasswordChangeForm(NewPasswordMixin, BaseForm):
    current_password = PasswordField(
        _("Kata sandi sekarang"),
        validators=[InputRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        _("Kata sandi baru"),
        validators=[InputRequired()],
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        _("Ulangi kata sandi baru"),
        validators=[InputRequired()],
        render_kw={"autocomplete": "new-password"},
    )


# ---------------------------------------------------------------------------
# Topics and examples
# ---------------------------------------------------------------------------


def _http_url(form, field):
    if field.data and not re.match(r"^https?://[^\s/$.?#][^\s]*$", field.data, re.IGNORECASE):
        raise ValidationError(_("Alamat harus dimulai dengan http:// atau https://."))


class LinkRowForm(Form):
    """One outgoing link: the target topic's slug, (for topics) the relation, and a note
    per language. The slug is typed (a search-as-you-type picker helps with JavaScript,
    static/js/picker.js) and resolved on the server: no list of every topic is sent."""

    class Meta:
        csrf = False

    target = StringField(
        _("Topik"),
        filters=[strip_nfc, lambda v: v.lower() if isinstance(v, str) else v],
        validators=[Length(max=SLUG_MAX), NoControlCharacters()],
    )
    kind = NamedSelectField(_("Hubungan"), choices=[], validate_choice=False)
    note_id = StringField(
        _("Catatan (Indonesia)"),
        filters=[strip_nfc],
        validators=[Length(max=NOTE_MAX), NoControlCharacters()],
    )
    note_en = StringField(
        _("Catatan (Inggris)"),
        filters=[strip_nfc],
        validators=[Length(max=NOTE_MAX), NoControlCharacters()],
    )


class ImagesInBody:
    """Every image in a body has alt text and names an uploaded image that is not in the trash."""

    def __call__(self, form, field):
        from .services import images

        if field.data and "![" in field.data:
            for error in images.body_errors(form.dbsession, field.data):
                raise ValidationError(error)


def fact_field(key):
    validators = [Optional(), Length(max=FACT_MAX), NoBidiOverrides()]
    if key in DATE_FACTS:
        validators.append(
            Regexp(FACT_DATE_PATTERN, message=_("Tanggal ditulis YYYY, YYYY-MM atau YYYY-MM-DD."))
        )
    return StringField(FACT_LABELS[key], filters=[strip_nfc], validators=validators)


class ItemForm(BaseForm):
    """The edit form of a topic or an example: both languages, links, and the version loaded.

    The Indonesian fields are ``title``, ``summary`` and ``body``; the English ones carry
    an ``en_`` prefix. No field for an id: that comes from the URL.
    """

    slug = StringField(
        _("Slug"),
        filters=[strip_nfc],
        validators=[
            DataRequired(),
            Length(max=SLUG_MAX),
            Regexp(
                SLUG_PATTERN,
                message=_("Huruf kecil, angka dan tanda hubung, mis. flask-sqlalchemy."),
            ),
            NoBidiOverrides(),
        ],
    )
    website = StringField(
        _("Situs web"), filters=[strip_nfc], validators=[Optional(), Length(max=URL_MAX), _http_url]
    )
    title = StringField(
        _("Judul"),
        filters=[strip_nfc],
        validators=[DataRequired(), Length(max=TITLE_MAX), NoBidiOverrides()],
    )
    summary = TextAreaField(
        _("Ringkasan"), filters=[strip_nfc], validators=[Length(max=SUMMARY_MAX)]
    )
    body = TextAreaField(_("Isi (Markdown)"), validators=[Length(max=BODY_MAX), ImagesInBody()])
    en_title = StringField(
        _("Judul (Inggris)"),
        filters=[strip_nfc],
        validators=[Length(max=TITLE_MAX), NoBidiOverrides()],
    )
    en_summary = TextAreaField(
        _("Ringkasan (Inggris)"), filters=[strip_nfc], validators=[Length(max=SUMMARY_MAX)]
    )
    en_body = TextAreaField(
        _("Isi (Inggris, Markdown)"), validators=[Length(max=BODY_MAX), ImagesInBody()]
    )
    translation_current = BooleanField(
        _("Terjemahan bahasa Inggris sudah sesuai dengan teks bahasa Indonesia")
    )
    comment = StringField(
        _("Ringkasan perubahan"), filters=[strip_nfc], validators=[Length(max=200)]
    )
    version = HiddenField()
    links = FieldList(FormField(LinkRowForm), min_entries=0)
    sources = TextAreaField(
        _("Sumber (satu per baris: judul | URL | penerbit | tanggal diakses)"),
        filters=[strip_nfc],
        validators=[Length(max=SOURCES_MAX * 1200)],
    )

    def __init__(self, formdata=None, dbsession=None, item=None, item_type="topic", **kwargs):
        super().__init__(formdata, **kwargs)
        self.dbsession = dbsession
        self.item = item
        self.item_type = item_type
        self.link_targets = {}  # slug -> topic id, once validated
        for row in self.links:
            kinds = TOPIC_LINK_KINDS if item_type == "topic" else ("uses",)
            row.form.kind.choices = named((k, labels.relation(k)) for k in kinds)

    def validate_slug(self, field):
        from .services.editing import slug_available

        if field.errors:
            return  # malformed: no need (and no safe way) to ask the database
        if self.item is not None and field.data == self.item.slug:
            return  # its own (most saves): no other item holds it or ever held it
        if (
            self.dbsession is not None
            and field.data
            and not slug_available(self.dbsession, self.item_type, field.data, self.item)
        ):
            raise ValidationError(
                _("Slug ini sudah dipakai (atau pernah dipakai) oleh halaman lain.")
            )

    def validate_sources(self, field):
        rows, errors = parse_sources(field.data)
        if errors:
            # One message per faulty line (each a translation string with its line number).
            field.errors.extend(errors[:-1])
            raise ValidationError(errors[-1])
        self.source_rows = rows

    def validate_en_title(self, field):
        if not field.data and (self.en_summary.data or self.en_body.data):
            raise ValidationError(_("Terjemahan bahasa Inggris perlu judul."))

    def validate_links(self, field):
        """Each row names a live topic by its current slug, once per relation, not this
        page itself. The error goes on the row's field; the editor's text stays."""
        from .services.lookup import ids_for_slugs

        kinds = {"uses"} if self.item_type == "example" else set(TOPIC_LINK_KINDS)
        rows = [row.form for row in self.links if row.form.target.data]
        slugs = {row.target.data for row in rows if re.match(SLUG_PATTERN, row.target.data)}
        known = ids_for_slugs(self.dbsession, "topic", slugs) if self.dbsession else {}
        seen = set()
        ok = True
        for row in rows:
            slug, kind = row.target.data, row.kind.data
            if row.target.errors:
                ok = False
                continue
            error = None
            if slug not in slugs:
                # Not named in the message: the field keeps it, and it may hold anything.
                error = _("Bukan slug: huruf kecil, angka dan tanda hubung, mis. django.")
            elif slug not in known:
                error = _("Tidak ada topik dengan slug ${slug}.", mapping={"slug": slug})
            elif self.item is not None and known[slug] == self.item.id:
                error = _("Halaman tidak dapat menautkan dirinya sendiri.")
            elif kind not in kinds:
                error = _("Jenis hubungan tidak dikenal.")
            elif (slug, kind) in seen:
                error = _("Tautan ke ${slug} ini sudah ada di baris lain.", mapping={"slug": slug})
            seen.add((slug, kind))
            if error is not None:
                row.target.errors = [*row.target.errors, error]
                ok = False
        self.link_targets = known
        if not ok:
            raise ValidationError(_("Periksa tautan yang ditandai."))

    def link_rows(self):
        return [
            {
                "target_id": self.link_targets[row.form.target.data],
                "target_slug": row.form.target.data,
                "kind": row.form.kind.data,
                "note_id": row.form.note_id.data or "",
                "note_en": row.form.note_en.data or "",
            }
            for row in self.links
            if row.form.target.data
        ]


class TopicForm(ItemForm):
    kind = NamedSelectField(
        _("Jenis"), choices=labels.choices(labels.KIND, TOPIC_KINDS), validators=[InputRequired()]
    )
    package = StringField(
        _("Paket PyPI"),
        filters=[strip_nfc],
        validators=[
            Optional(),
            Length(max=100),
            Regexp(
                r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$",
                message=_("Nama paket PyPI yang valid, mis. SQLAlchemy."),
            ),
        ],
    )


for _key in FACT_KEYS:
    setattr(TopicForm, f"fact_{_key}", fact_field(_key))
del _key


class ExampleForm(ItemForm):
    pass


class DeleteForm(BaseForm):
    version = HiddenField(validators=[InputRequired()])
    comment = StringField(_("Alasan"), filters=[strip_nfc], validators=[Length(max=200)])
