"""WTForms for the editors' tools: the second factor, preview links, bulk actions, images."""

from wtforms import FileField, HiddenField, IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from .forms import BaseForm, strip_nfc
from .i18n import _
from .services.passwords import MAX_LENGTH as PASSWORD_MAX


class CodeField(StringField):
    def __init__(self, label=None, **kwargs):
        kwargs.setdefault("filters", [strip_nfc])
        kwargs.setdefault("validators", [DataRequired(), Length(max=20)])
        kwargs.setdefault(
            "render_kw",
            {"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"},
        )
        super().__init__(label or _("Kode"), **kwargs)


class LoginCodeForm(BaseForm):
    code = CodeField(_("Kode dari aplikasi autentikator, atau kode pemulihan"))
    next = HiddenField()


class TwoFactorConfirmForm(BaseForm):
    code = CodeField(_("Kode 6 angka dari aplikasi"))


class PasswordConfirmForm(BaseForm):
    current_password = PasswordField(
        _("Kata sandi sekarang"),
        validators=[InputRequired(), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )


class PreviewLinkForm(BaseForm):
    days = IntegerField(
        _("Berlaku (hari)"),
        validators=[InputRequired(), NumberRange(min=1, max=30)],
        render_kw={"min": "1", "max": "30", "inputmode": "numeric"},
    )


class ImageUploadForm(BaseForm):
    title = StringField(
        _("Uraian gambar (teks alternatif)"),
        filters=[strip_nfc],
        validators=[DataRequired(), Length(max=200)],
    )
    file = FileField(
        _("Berkas gambar (JPEG, PNG atau WebP)"),
        render_kw={"accept": "image/jpeg,image/png,image/webp"},
    )
