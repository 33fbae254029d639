"""Consent: recording it (with the signed form, kept as a restricted document), its history, and the
admin's purge of a withdrawn testimony behind a typed confirmation."""
from __future__ import annotations

import datetime as dt

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from archive.errors import ValidationError
from archive.vocabulary import PERMISSIONS

from ..identity import archive, audience, current
from .records_routes import page, prefilled, submitted
from .routes import bp

SCOPE_CHOICES = [SelectChoice("open", "open: the public and up"),
                 SelectChoice("researchers", "researchers: vetted researchers and up"),
                 SelectChoice("archive", "archive only: archivists")]
PERMISSION_LABELS = {"publish_transcript": "Publish the transcript", "publish_audio": "Publish the audio",
                     "publish_images": "Publish images", "quote": "Quote",
                     "attribute_real_name": "Attribute by real name"}


class ConsentForm(FlaskForm):
    status = SelectField(_l("Status"), choices=[SelectChoice("pending"), SelectChoice("granted")])
    scope = SelectField(_l("Scope: who may read it once published"), choices=SCOPE_CHOICES, default="archive")
    embargo_until = DateField(_l("Embargo until (nobody below archivist reads it before)"), validators=[Optional()])
    date = DateField(_l("Date consent was given"), validators=[Optional()])
    obtained_by = StringField(_l("Obtained by"), validators=[Optional(), Length(max=200)])


for _name in PERMISSIONS:
    setattr(ConsentForm, f"perm_{_name}", BooleanField(PERMISSION_LABELS.get(_name, _name)))


class ConsentFormUpload(FlaskForm):
    file = FileField(_l("Signed consent form (PDF or image; kept as a restricted original)"), validators=[FileRequired()])


class PurgeForm(FlaskForm):
    confirmation = StringField(_l("Type the accession id to confirm"), validators=[DataRequired(), Length(max=64)])


def _consent_form(view: dict) -> ConsentForm:
    return ConsentForm(**prefilled(_consent_data(view)))


def _consent_data(view: dict) -> dict:
    consent = view.get("consent") or {}
    data = {"status": consent.get("status") if consent.get("status") in ("pending", "granted") else "pending",
            "scope": consent.get("scope", "archive"), "obtained_by": consent.get("obtained_by") or "",
            "date": consent.get("date"), "embargo_until": consent.get("embargo_until"),
            **{f"perm_{p}": bool((consent.get("permissions") or {}).get(p)) for p in PERMISSIONS}}
    for name in ("date", "embargo_until"):
        data[name] = dt.date.fromisoformat(data[name]) if data[name] else None
    return data


def _context(accession_id: str) -> dict:
    identity = current()
    view = archive().testimonies.get(identity, accession_id)
    return {"t": view, "history": archive().consent.history(identity, accession_id),
            "forms": [m for m in view.get("media", []) if m["kind"] == "consent-form"],
            "permissions": PERMISSIONS}


@bp.route("/testimonies/<accession_id>/consent", methods=["GET", "POST"])
@audience("archivist")
def consent(accession_id: str):
    context = _context(accession_id)
    form = _consent_form(context["t"])
    done = submitted(form, lambda: archive().consent.record(
        current(), accession_id, form.status.data, form.scope.data, embargo_until=form.embargo_until.data,
        permissions={p: bool(getattr(form, f"perm_{p}").data) for p in PERMISSIONS},
        date=form.date.data, obtained_by=form.obtained_by.data))
    if done:
        flash(gettext("Consent for %(id)s recorded (%(changed)s); it takes effect in every page and index now. "
                      "The workflow state stays %(state)s.", id=accession_id,
                      changed=", ".join(done["changed"]) or gettext("nothing changed"),
                      state=done["state"].replace("_", " ")), "ok")
        return redirect(url_for("staff.consent", accession_id=accession_id))
    return page("staff/consent.html", form, upload_form=ConsentFormUpload(formdata=None), **context)


@bp.post("/testimonies/<accession_id>/consent/form")
@audience("archivist")
def upload_consent_form(accession_id: str):
    form = ConsentFormUpload()

    def save():
        upload = form.file.data
        try:
            return archive().media.add(current(), accession_id, upload.read(), upload.filename, kind="consent-form")
        except ValidationError as exc:     # what is wrong is the file: said beside its field
            raise ValidationError(exc.message, record=accession_id, field="file") from None

    if submitted(form, save):
        flash(gettext("Signed consent form attached; only archivists can read it."), "ok")
        return redirect(url_for("staff.consent", accession_id=accession_id) + "#signed-forms")
    # Refused (no file, or not a PDF or image): the consent page again, the reason beside the file field;
    # its consent form shows the record as it is (formdata=None: not filled from this upload's POST).
    context = _context(accession_id)
    consent_form = _consent_form(context["t"])
    consent_form.process(formdata=None, data=_consent_data(context["t"]))
    return render_template("staff/consent.html", form=consent_form, upload_form=form, **context), 400


@bp.route("/testimonies/<accession_id>/purge", methods=["GET", "POST"])
@audience("admin")
def purge(accession_id: str):
    identity = current()
    view = archive().testimonies.get(identity, accession_id)
    form = PurgeForm()
    done = submitted(form, lambda: archive().consent.purge(identity, accession_id, form.confirmation.data))
    if done:
        flash(gettext("%(id)s purged: its content, media files and revisions are deleted. Its tombstone "
                      "remains at its address, and the audit log keeps the purge.", id=accession_id), "ok")
        return redirect(url_for("staff.dashboard"))
    return page("staff/purge.html", form, t=view,
                revisions=len(archive().audit.revisions(identity, accession_id)))
