"""The archivist's area: dashboard, consent withdrawal, redactions, workflow, audit, exports, indexes."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from archive.audience import Audience
from archive.errors import ValidationError
from archive.vocabulary import REDACTABLE_FIELDS, REDACTION_CATEGORIES

from ..identity import archive, audience, current
from ..public.routes import page_arg

bp = Blueprint("staff", __name__, url_prefix="/staff")
AUDIENCE_CHOICES = [SelectChoice(a.label) for a in Audience if a > Audience.PUBLIC]
PUBLISH_REFUSED = "cannot publish: "            # archive/services/testimonies.py set_state, then "; "-separated reasons


class WithdrawForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class RedactionForm(FlaskForm):
    transcript = StringField(_l("Transcript"), validators=[Optional(), Length(max=40)])
    start = IntegerField(_l("Start offset"), validators=[Optional(), NumberRange(min=0)])
    end = IntegerField(_l("End offset"), validators=[Optional(), NumberRange(min=0)])
    # A textarea: a selection across lines keeps its line breaks (a text input drops them).
    text = TextAreaField(_l("Text it covers"), validators=[Optional(), Length(max=5000)])
    field = SelectField(_l("Or a field"), choices=[SelectChoice("", "(a transcript span)")]
                        + [SelectChoice(f) for f in REDACTABLE_FIELDS],
                        validators=[Optional()])
    category = SelectField(_l("Category"), choices=[SelectChoice(c) for c in REDACTION_CATEGORIES])
    replacement = StringField(_l("Replacement"), default="[name withheld]", validators=[DataRequired(), Length(max=300)])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    visible_to = SelectField(_l("Lowest audience that may see the original"), choices=AUDIENCE_CHOICES,
                             default="archivist")


class StateForm(FlaskForm):
    state = SelectField(_l("State"), choices=[SelectChoice("draft"), SelectChoice("in_review", "in review"),
                                          SelectChoice("published")])


class ActionForm(FlaskForm):
    """A form with nothing but its CSRF token."""


@bp.get("/")
@audience("archivist")
def dashboard():
    identity = current()
    rows = int(current_app.config["LIST_PAGE_SIZE"])
    listed = archive().testimonies.page(identity, page=page_arg(), per_page=rows)
    return render_template("staff/dashboard.html", listed=listed, testimonies=listed["testimonies"],
                           stats=archive().testimonies.stats(identity),
                           panels=archive().dashboard.panels(identity, rows=rows),
                           collections=archive().records.list_collections(identity))


@bp.get("/testimonies/<accession_id>")
@audience("archivist")
def testimony(accession_id: str):
    return _testimony_page(accession_id)


def _testimony_page(accession_id: str, refused: list[str] | None = None, redaction_form=None, edit_form=None,
                    term_form=None):
    identity = current()
    view = archive().testimonies.get(identity, accession_id)
    # The state menu starts at the current state, so "Set state" never unpublishes by default.
    # (formdata=None: shown again after a refused POST, the forms are not filled from that POST.)
    state_form = StateForm(formdata=None, data={"state": view["state"]})
    if not archive().testimonies.may_publish(identity, accession_id, two_person=_two_person()):
        # Under the two-person rule the one who submitted or last changed it is not offered Publish.
        state_form.state.choices = [c for c in state_form.state.choices if c.value != "published"]
    context = redaction_routes.editor_context(identity, view)
    if edit_form is not None:           # a refused edit comes back in its row, as typed, with its errors
        context["edit_forms"][edit_form[0]] = edit_form[1]
        context["edit_open"] = edit_form[0]
    if term_form is not None:           # a refused term comes back in its form, as typed, with its errors
        context["term_form"] = term_form
    return render_template("staff/testimony.html", t=view,
                           revisions=archive().audit.revisions(identity, accession_id),
                           redaction_form=redaction_form or RedactionForm(formdata=None),
                           state_form=state_form,
                           action_form=ActionForm(), refused=refused, **context)


@bp.route("/testimonies/<accession_id>/withdraw", methods=["GET", "POST"])
@audience("archivist")
def withdraw(accession_id: str):
    identity = current()
    view = archive().testimonies.get(identity, accession_id)
    form = WithdrawForm()
    if form.validate_on_submit():
        archive().consent.withdraw(identity, accession_id, form.reason.data)
        flash(gettext("Consent for %(id)s withdrawn: it is gone from every public and researcher page and index; "
                      "a tombstone remains.", id=accession_id), "ok")
        return redirect(url_for("staff.testimony", accession_id=accession_id))
    return render_template("staff/withdraw.html", t=view, form=form)


@bp.post("/testimonies/<accession_id>/redactions")
@audience("archivist")
def add_redaction(accession_id: str):
    form = RedactionForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            _csrf_failed()
        # Shown again on the testimony's page, as typed, each error beside its field.
        return _testimony_page(accession_id, redaction_form=form), 400
    try:
        result = archive().redactions.add(
            current(), accession_id, category=form.category.data, replacement=form.replacement.data,
            reason=form.reason.data or "", visible_to=form.visible_to.data,
            field=form.field.data or None, transcript=form.transcript.data or None,
            start=form.start.data, end=form.end.data, text=_typed_text(form.text.data))
    except ValidationError as exc:
        show_error(form, exc)
        return _testimony_page(accession_id, redaction_form=form), 400
    flash(gettext("Redaction %(key)s proposed; it already hides the text from lower audiences.", key=result["key"]), "ok")
    return redirect(url_for("staff.testimony", accession_id=accession_id))


@bp.post("/testimonies/<accession_id>/redactions/<key>/approve")
@audience("archivist")
def approve_redaction(accession_id: str, key: str):
    ActionForm().validate_on_submit() or _csrf_failed()
    archive().redactions.approve(current(), accession_id, key, two_person=_two_person())
    flash(gettext("Redaction %(key)s approved.", key=key), "ok")
    return redirect(url_for("staff.testimony", accession_id=accession_id))


@bp.post("/testimonies/<accession_id>/state")
@audience("archivist")
def set_state(accession_id: str):
    form = StateForm()
    if not form.validate_on_submit():
        _csrf_failed()
    try:
        archive().testimonies.set_state(current(), accession_id, form.state.data, two_person=_two_person())
    except ValidationError as exc:
        if form.state.data != "published" or not exc.message.startswith(PUBLISH_REFUSED):
            raise
        # Refused with its reasons: shown on the testimony's own page, each beside the way to resolve
        # it (an error page offered only "Home", and the archivist had to find their way back).
        return _testimony_page(accession_id, refused=exc.message.removeprefix(PUBLISH_REFUSED).split("; ")), 400
    flash(gettext("%(id)s is now %(state)s.", id=accession_id, state=form.state.data.replace("_", " ")), "ok")
    return redirect(url_for("staff.testimony", accession_id=accession_id))


def _two_person() -> bool:
    return bool(current_app.config["TWO_PERSON_RULE"])


def _typed_text(text: str | None) -> str | None:
    """A textarea sends its line breaks as CRLF: the transcript has LF."""
    return text.replace("\r\n", "\n") if text else None


def show_error(form: FlaskForm, exc: ValidationError) -> None:
    """The archive's objection beside the field it names, or above the form."""
    field = getattr(form, exc.field or "", None)
    if field is not None and hasattr(field, "errors") and exc.field != "csrf_token":
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


@bp.get("/audit")
@audience("archivist")
def audit():
    return history_routes.audit_page()      # filters and pages: app/staff/history_routes.py


@bp.post("/exports")
@audience("archivist")
def queue_export():
    """An export of a collection or of the whole archive, as one audience sees it: made by a job (its
    time grows with the archive), offered on the job's page when ready. What would refuse it is said
    at once."""
    ActionForm().validate_on_submit() or _csrf_failed()
    chosen = request.form.get("audience", "public")
    try:
        Audience.parse(chosen)
    except ValueError as exc:
        raise ValidationError(str(exc), field="audience") from None
    job = archive().exports.queue(current(), request.form.get("format", "json"), chosen,
                                  collection=request.form.get("collection") or None,
                                  organization=current_app.config["SITE_NAME"])
    return redirect(url_for("staff.job", job_id=job["id"]))


@bp.get("/export.bag.zip")
@audience("archivist")
def export_bag():
    """A BagIt bag (zipped) of one testimony (?id=), as the chosen audience sees it: made whole (and
    refused, if it must be) before the first byte is sent. A collection or the archive is a job
    (`queue_export`): its time grows with the archive."""
    chosen = request.args.get("audience", "public")
    try:
        Audience.parse(chosen)
    except ValueError as exc:
        raise ValidationError(str(exc), field="audience") from None
    accession_id = request.args.get("id") or None
    if accession_id is None:
        raise ValidationError("a bag of a collection or of the archive is made by a job: ask for it under "
                              "Exports on the dashboard", field="id")
    name, stream = archive().bags.export_bag_zip(current(), chosen, accession_id=accession_id,
                                                 organization=current_app.config["SITE_NAME"])
    return Response(stream, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.post("/reindex")
@audience("archivist")
def reindex():
    ActionForm().validate_on_submit() or _csrf_failed()
    # A job of the queue (archive/services/jobs.py): rebuilding thousands of testimonies outlasts a request.
    job = archive().jobs.queue_reindex(current())
    if job["state"] == "finished":      # (an immediate queue has done it already)
        flash(job["message"], "ok")
        return redirect(url_for("staff.dashboard"))
    flash(gettext("Rebuilding the search indexes in the background (job %(job)s); searches answer from the "
                  "current indexes meanwhile.", job=job["id"]), "ok")
    return redirect(url_for("staff.job", job_id=job["id"]))


def _csrf_failed():
    raise ValidationError("The form expired or did not come from this site. Reload and try again.")


from . import media_routes  # noqa: E402,F401  (media pages on this blueprint)
from . import redaction_routes, sensitive_routes  # noqa: E402,F401  (redaction editor, sensitive terms)
from . import intake_routes  # noqa: E402,F401  (file imports: upload, preview, confirm)
from . import records_routes  # noqa: E402,F401  (collections, testimonies, narrators, authorities)
from . import consent_routes  # noqa: E402,F401  (recording consent, its history, purge)
from . import history_routes  # noqa: E402,F401  (revisions, diffs, restore, the audit log's filters)
from . import segment_routes  # noqa: E402,F401  (the segment editor)
from . import job_routes  # noqa: E402,F401  (the job pages: queued slow work and its progress)
from . import users_routes  # noqa: E402,F401  (accounts: the admins' page, one-time password links)
