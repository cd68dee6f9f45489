"""Forms of the editors' tools: schedules, review decisions, site settings."""

import datetime as dt

from wtforms import BooleanField, DateTimeField, HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError
from wtforms.widgets import TextInput

from .forms import BaseForm, strip_nfc
from .i18n import _
from .services import clock

# Times are entered and shown in UTC, as everywhere in the editors' area: "2026-12-24
# 08:00" (or with a T, as datetime-local sends it).
TIME_FORMAT = "%Y-%m-%d %H:%M"
TIME_FORMATS = [TIME_FORMAT, "%Y-%m-%dT%H:%M"]


class UTCDateTimeField(DateTimeField):
    """A time in UTC, typed as text: a datetime-local control would show (and, in some
    browsers, read) the reader's own zone, and its segments hide the keyboard focus."""

    widget = TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=TIME_FORMATS, **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(
                _("Tulis waktu sebagai TTTT-BB-HH jj:mm, mis. 2026-12-24 08:00.")
            ) from exc
        if self.data is not None:
            self.data = self.data.replace(tzinfo=dt.UTC)


class ScheduleForm(BaseForm):
    publish_at = UTCDateTimeField(_("Terbitkan pada (UTC)"), validators=[Optional()])
    unpublish_at = UTCDateTimeField(_("Turunkan pada (UTC)"), validators=[Optional()])
    comment = StringField(
        _("Ringkasan perubahan"), filters=[strip_nfc], validators=[Length(max=200)]
    )

    def __init__(self, formdata=None, item=None, **kwargs):
        super().__init__(formdata, **kwargs)
        self.item = item

    def _future(self, field):
        if field.data is not None and field.data <= clock.now():
            raise ValidationError(_("Waktu ini sudah lewat; pilih waktu di masa depan."))

    def validate_publish_at(self, field):
        self._future(field)
        if field.data is not None and self.item is not None and self.item.status == "published":
            raise ValidationError(_("Halaman ini sudah terbit."))

    def validate_unpublish_at(self, field):
        self._future(field)
        if field.data is None:
            return
        publish = self.publish_at.data
        if publish is not None and field.data <= publish:
            raise ValidationError(_("Waktu turun harus sesudah waktu terbit."))
        if publish is None and self.item is not None and self.item.status != "published":
            raise ValidationError(
                _("Halaman ini belum terbit; isi juga waktu terbit, atau terbitkan dulu.")
            )


class ReviewForm(BaseForm):
    version = HiddenField(validators=[InputRequired()])
    comment = TextAreaField(
        _("Komentar untuk editor"), filters=[strip_nfc], validators=[Length(max=200)]
    )


class SettingsForm(BaseForm):
    review_required = BooleanField(
        _("Wajib ditinjau: editor mengajukan halaman, administrator menerbitkannya")
    )
