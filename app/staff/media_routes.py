"""The archivist's media pages: upload, list, draw redaction boxes on a photo, approve them, read originals."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from archive.errors import ValidationError
from archive.views import MEDIA_KINDS
from archive.vocabulary import REDACTION_CATEGORIES

from ..identity import archive, audience, current
from .routes import AUDIENCE_CHOICES, ActionForm, _csrf_failed, bp

KIND_LABELS = {"photo": "Photo", "audio": "Audio recording", "video": "Video recording",
               "document": "Document (PDF or image; archivists only)",
               "consent-form": "Signed consent form (PDF or image; archivists only)"}


class UploadForm(FlaskForm):
    file = FileField("File", validators=[FileRequired()])
    kind = SelectField("Kind", choices=[SelectChoice(k, KIND_LABELS[k]) for k in MEDIA_KINDS])
    caption = TextAreaField("Caption (public text, shown wherever the photo is shown)",
                            validators=[Optional(), Length(max=2000)])


class BoxForm(FlaskForm):
    x0 = IntegerField("Left (x0)", validators=[InputRequired(), NumberRange(min=0)])
    y0 = IntegerField("Top (y0)", validators=[InputRequired(), NumberRange(min=0)])
    x1 = IntegerField("Right (x1)", validators=[InputRequired(), NumberRange(min=1)])
    y1 = IntegerField("Bottom (y1)", validators=[InputRequired(), NumberRange(min=1)])
    category = SelectField("Category", choices=[SelectChoice(c) for c in REDACTION_CATEGORIES])
    reason = StringField("Reason", validators=[Optional(), Length(max=2000)])
    visible_to = SelectField("Lowest audience that may see what it covers", choices=AUDIENCE_CHOICES,
                             default="archivist")


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
                           form=UploadForm(), kinds=KIND_LABELS)


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
    if asset["kind"] == "photo":
        return redirect(url_for("staff.media_asset", asset=asset["id"]))
    return redirect(url_for("staff.media", accession_id=accession_id))


@bp.get("/media/<asset>")
@audience("archivist")
def media_asset(asset: str):
    found = archive().media.asset(current(), asset)
    return render_template("staff/media_asset.html", a=found, form=BoxForm(), action_form=ActionForm())


@bp.post("/media/<asset>/redactions")
@audience("archivist")
def add_image_redaction(asset: str):
    form = BoxForm()
    if not form.validate_on_submit():
        raise ValidationError(_errors(form) or "the box is incomplete", field="box")
    box = archive().media.add_redaction(
        current(), asset, box=[form.x0.data, form.y0.data, form.x1.data, form.y1.data],
        category=form.category.data, reason=form.reason.data or "", visible_to=form.visible_to.data)
    flash(f"Box {box['key']} proposed; it is already filled in every copy below {box['visible_to']}.", "ok")
    return redirect(url_for("staff.media_asset", asset=asset))


@bp.post("/media/<asset>/redactions/<key>/approve")
@audience("archivist")
def approve_image_redaction(asset: str, key: str):
    ActionForm().validate_on_submit() or _csrf_failed()
    archive().media.approve_redaction(current(), asset, key,
                                      two_person=bool(current_app.config["TWO_PERSON_RULE"]))
    flash(f"Box {key} approved.", "ok")
    return redirect(url_for("staff.media_asset", asset=asset))


@bp.get("/media/<asset>/original")
@audience("archivist")
def media_original(asset: str):
    original = archive().media.original(current(), asset)
    name = original["filename"] or original["sha256"]
    # Always a download: an original (an SVG-like PDF, a crafted image) is never rendered in our origin.
    return Response(original["data"], mimetype="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})
