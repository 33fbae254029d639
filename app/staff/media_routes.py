"""The archivist's media pages: upload, list, draw redaction boxes on a photo or silenced ranges on a
recording's timeline, approve them (a second archivist), read originals."""
from __future__ import annotations

import re
from urllib.parse import quote

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import Field, IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms import ValidationError as FieldError
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import TextInput

from archive.errors import ValidationError
from archive.media.audio import SILENCE_GRID, SILENCE_MINIMUM
from archive.views import MEDIA_KINDS
from archive.vocabulary import REDACTION_CATEGORIES

from ..identity import archive, audience, current
from .routes import AUDIENCE_CHOICES, ActionForm, _csrf_failed, bp

KIND_LABELS = {"photo": "Photo", "audio": "Audio recording", "video": "Video recording",
               "document": "Document (PDF or image; archivists only)",
               "consent-form": "Signed consent form (PDF or image; archivists only)"}


class UploadForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired()])
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, KIND_LABELS[k]) for k in MEDIA_KINDS])
    caption = TextAreaField(_l("Caption (public text, shown wherever the photo is shown)"),
                            validators=[Optional(), Length(max=2000)])


class BoxForm(FlaskForm):
    x0 = IntegerField(_l("Left (x0)"), validators=[InputRequired(), NumberRange(min=0)])
    y0 = IntegerField(_l("Top (y0)"), validators=[InputRequired(), NumberRange(min=0)])
    x1 = IntegerField(_l("Right (x1)"), validators=[InputRequired(), NumberRange(min=1)])
    y1 = IntegerField(_l("Bottom (y1)"), validators=[InputRequired(), NumberRange(min=1)])
    category = SelectField(_l("Category"), choices=[SelectChoice(c) for c in REDACTION_CATEGORIES])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    visible_to = SelectField(_l("Lowest audience that may see what it covers"), choices=AUDIENCE_CHOICES,
                             default="archivist")


# m:ss, h:mm:ss or plain seconds, each with an optional fraction ("1:05.25", "65.25", "65,25")
CLOCK = re.compile(r"(?:(?:(\d+):)?(\d+):)?(\d+(?:[.,]\d*)?)")
# A range typed to the millisecond the page shows may end a rounding hair after the recording.
END_SLACK = 0.0005


def clock(seconds: float) -> str:
    """Seconds as the page writes and reads them: m:ss.mmm."""
    millis = round(seconds * 1000)
    return f"{millis // 60000}:{millis % 60000 / 1000:06.3f}"


class SecondsField(Field):
    """A time typed as m:ss, h:mm:ss or seconds; its data is seconds (a float)."""
    widget = TextInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return clock(self.data) if self.data is not None else ""

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip()
        if not text:
            return                        # validate_start / validate_end say so
        match = CLOCK.fullmatch(text) if len(text) <= 20 else None    # (a day is 86400 seconds: ample)
        hours, minutes, seconds = match.groups() if match else (None, None, None)
        if match is None or (minutes is not None and float(seconds.replace(",", ".")) >= 60) \
                or (hours is not None and int(minutes) >= 60):
            raise ValueError(f"“{text[:20]}” is not a time: write minutes and seconds (1:05 or 1:05.250) "
                             "or seconds (65.25)")
        self.data = int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds.replace(",", "."))


class RangeForm(FlaskForm):
    start = SecondsField(_l("Start (m:ss or seconds)"))
    end = SecondsField(_l("End (m:ss or seconds)"))
    redaction = SelectField(_l("Where a transcript redaction is heard"), default="")
    category = SelectField(_l("Category"), choices=[SelectChoice(c) for c in REDACTION_CATEGORIES])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    visible_to = SelectField(_l("Lowest audience that may hear it"), choices=AUDIENCE_CHOICES, default="archivist")

    def __init__(self, *args, duration: float | None = None, placements: list | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.duration = duration
        self.redaction.choices = [SelectChoice("", "None: a range of its own (category and audience below)")] + [
            SelectChoice(p["redaction"], f"{p['redaction']} ({p['replacement']}): its category and audience")
            for p in placements or []]

    @staticmethod
    def _given(field, what: str) -> float | None:
        if field.data is None and not field.process_errors:     # (a time that is no time says so itself)
            raise FieldError(f"give the {what} of the range")
        return field.data

    def validate_start(self, field):
        self._given(field, "start")

    def validate_end(self, field):
        start, end = self.start.data, self._given(field, "end")
        if end is None:
            return
        if start is not None and end <= start:
            raise FieldError(f"the end ({clock(end)}) must come after the start ({clock(start)})")
        if self.duration is not None and end > self.duration + END_SLACK:
            raise FieldError(f"the range ends at {clock(end)}, after the recording ends ({clock(self.duration)})")


def _errors(form) -> str:
    return "; ".join(f"{name}: {', '.join(messages)}" for name, messages in form.errors.items())


@bp.context_processor
def _last_fixity():
    # Called by the dashboard only; a function, so other staff pages pay nothing for it.
    return {"last_fixity": lambda: archive().media.last_fixity(current())}


@bp.get("/testimonies/<accession_id>/media")
@audience("archivist")
def media(accession_id: str):
    identity = current()
    view = archive().testimonies.get(identity, accession_id)
    return render_template("staff/media.html", t=view, assets=archive().media.assets_for(identity, accession_id),
                           form=UploadForm(data={"kind": request.args.get("kind") or "photo"}), kinds=KIND_LABELS,
                           jobs=archive().jobs.latest(identity, testimony=accession_id, live_only=True))


@bp.post("/testimonies/<accession_id>/media")
@audience("archivist")
def upload_media(accession_id: str):
    form = UploadForm()
    if not form.validate_on_submit():
        raise ValidationError(_errors(form) or "the upload is incomplete", record=accession_id)
    upload = form.file.data
    asset = archive().media.add(current(), accession_id, upload.read(), upload.filename,
                                kind=form.kind.data, caption=form.caption.data or "")
    flash(f"{KIND_LABELS[asset['kind']].split(' (')[0]} attached (SHA-256 {asset['sha256'][:16]}…).", "ok")
    if asset.get("warning"):
        flash(asset["warning"], "error")
    waiting = [p["redaction"] for p in _placements(asset) if p["on_recording"] and p["confirmed"] is None]
    if waiting:
        # Said at once: otherwise the recording silently stays away from readers.
        flash(gettext("Readers below archivist hear this recording only once you confirm where each transcript "
                      "redaction is heard on it (%(keys)s): start from each estimate below.",
                      keys=", ".join(waiting)), "error")
    if asset["kind"] in ("photo", "audio", "video"):
        return redirect(url_for("staff.media_asset", asset=asset["id"]))
    return redirect(url_for("staff.media", accession_id=accession_id))


@bp.get("/media/<asset>")
@audience("archivist")
def media_asset(asset: str):
    found = archive().media.asset(current(), asset)
    return _asset_page(found)


def _placements(found: dict) -> list:
    return archive().media.placements(current(), found["id"]) if found["kind"] in ("audio", "video") else []


def _asset_page(found: dict, range_form: RangeForm | None = None):
    placements = _placements(found)
    return render_template("staff/media_asset.html", a=found, form=BoxForm(), action_form=ActionForm(),
                           range_form=range_form or RangeForm(duration=found.get("duration"), placements=placements),
                           placements=placements, grid=SILENCE_GRID, minimum=SILENCE_MINIMUM, clock=clock,
                           kind_title=KIND_LABELS[found["kind"]].split(" (")[0],
                           jobs=archive().jobs.latest(current(), testimony=found["accession_id"], live_only=True))


@bp.post("/media/<asset>/redactions")
@audience("archivist")
def add_image_redaction(asset: str):
    form = BoxForm()
    if not form.validate_on_submit():
        raise ValidationError(_errors(form) or "the box is incomplete", field="box")
    box = archive().media.add_redaction(
        current(), asset, box=[form.x0.data, form.y0.data, form.x1.data, form.y1.data],
        category=form.category.data, reason=form.reason.data or "", visible_to=form.visible_to.data)
    flash(gettext("Box %(key)s proposed; it is already filled in every copy below %(audience)s.",
                  key=box["key"], audience=box["visible_to"]), "ok")
    return redirect(url_for("staff.media_asset", asset=asset))


@bp.post("/media/<asset>/redactions/<key>/approve")
@audience("archivist")
def approve_image_redaction(asset: str, key: str):
    ActionForm().validate_on_submit() or _csrf_failed()
    archive().media.approve_redaction(current(), asset, key,
                                      two_person=bool(current_app.config["TWO_PERSON_RULE"]))
    flash(gettext("Box %(key)s approved.", key=key), "ok")
    return redirect(url_for("staff.media_asset", asset=asset))


@bp.post("/media/<asset>/ranges")
@audience("archivist")
def add_audio_range(asset: str):
    found = archive().media.asset(current(), asset)
    if found["kind"] not in ("audio", "video"):
        raise ValidationError(f"a {found['kind']} has no time ranges to silence", record=asset[:12])
    if found.get("duration") is None:
        raise ValidationError("ffmpeg could not read this recording: it has no length to mark ranges on, and no "
                              "reader hears it", record=asset[:12])
    form = RangeForm(duration=found.get("duration"), placements=_placements(found))
    if not form.validate_on_submit():
        # 400 with the form as sent and every message beside its field, so nothing typed is lost
        return _asset_page(found, form), 400
    if form.redaction.data:
        placed = archive().media.confirm_transcript_range(current(), asset, form.redaction.data,
                                                          start=form.start.data, end=form.end.data)
        flash(gettext("Range %(key)s (%(start)s–%(end)s) confirmed for %(redaction)s: it is what is silenced for "
                      "that redaction, widened to the grid, in every audience below %(audience)s.",
                      key=placed["key"], start=clock(placed["start"]), end=clock(placed["end"]),
                      redaction=placed["redaction"], audience=placed["visible_to"]), "ok")
        return redirect(url_for("staff.media_asset", asset=asset) + "#placements")
    drawn = archive().media.add_audio_redaction(
        current(), asset, start=form.start.data, end=form.end.data, category=form.category.data,
        reason=form.reason.data or "", visible_to=form.visible_to.data)
    flash(gettext("Range %(key)s (%(start)s–%(end)s) proposed; it is already silenced for every audience "
                  "below %(audience)s.", key=drawn["key"], start=clock(drawn["start"]), end=clock(drawn["end"]),
                  audience=drawn["visible_to"]), "ok")
    return redirect(url_for("staff.media_asset", asset=asset) + "#ranges")


@bp.post("/media/<asset>/ranges/<key>/approve")
@audience("archivist")
def approve_audio_range(asset: str, key: str):
    ActionForm().validate_on_submit() or _csrf_failed()
    archive().media.approve_audio_redaction(current(), asset, key,
                                            two_person=bool(current_app.config["TWO_PERSON_RULE"]))
    flash(gettext("Range %(key)s approved.", key=key), "ok")
    return redirect(url_for("staff.media_asset", asset=asset) + "#ranges")


@bp.get("/media/<asset>/original")
@audience("archivist")
def media_original(asset: str):
    original = archive().media.original(current(), asset)
    name = original["filename"] or original["sha256"]
    # Always a download: an original (an SVG-like PDF, a crafted image) is never rendered in our origin.
    return Response(original["data"], mimetype="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})
