"""History pages: a testimony's revisions, the diff between two of them (or one and the record
now), restore (a new revision; the service refuses, saying why, whatever would show something
hidden now), and the audit log with filters and pages."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from archive.errors import ValidationError

from ..identity import archive, audience, current
from .routes import _csrf_failed, bp


class RestoreForm(FlaskForm):
    revision = IntegerField(_l("Revision"), validators=[DataRequired(), NumberRange(min=1)])


class AuditFilterForm(FlaskForm):
    """The audit log's filters: read from the query string, so a filtered page is a link."""
    class Meta:
        csrf = False      # a GET that changes nothing

    actor = StringField(_l("Who"), validators=[Optional(), Length(max=200)])
    action = StringField(_l("Action (or a family: redaction)"), validators=[Optional(), Length(max=80)])
    target = StringField(_l("Target (accession id)"), validators=[Optional(), Length(max=200)])
    since = DateField(_l("From (UTC day)"), validators=[Optional()])
    until = DateField(_l("To (UTC day)"), validators=[Optional()])
    page = IntegerField(_l("Page"), default=1, validators=[Optional(), NumberRange(min=1)])


def _revision_arg(name: str):
    value = request.args.get(name, "").strip()
    if value in ("", "current") and name == "to":
        return None
    if not value:
        return None
    if not value.isdigit():
        raise ValidationError(f"{value!r} is not a revision number", field=name)
    return int(value)


@bp.get("/testimonies/<accession_id>/history")
@audience("archivist")
def history(accession_id: str):
    identity = current()
    view = archive().testimonies.get(identity, accession_id)
    return render_template("staff/history.html", t=view, revisions=archive().history.revisions(identity, accession_id))


@bp.get("/testimonies/<accession_id>/history/diff")
@audience("archivist")
def history_diff(accession_id: str):
    identity = current()
    result = archive().history.diff(identity, accession_id, _revision_arg("from"), _revision_arg("to"))
    revisions = archive().history.revisions(identity, accession_id)
    restorable = result["before"] is not None and result["state"] != "withdrawn"
    return render_template("staff/history_diff.html", result=result, revisions=revisions,
                           restore_form=RestoreForm(formdata=None, data={"revision": (result["before"] or {}).get("id")}),
                           restorable=restorable)


@bp.post("/testimonies/<accession_id>/history/restore")
@audience("archivist")
def restore_revision(accession_id: str):
    form = RestoreForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            _csrf_failed()
        raise ValidationError("; ".join(f"{k}: {', '.join(v)}" for k, v in form.errors.items()), record=accession_id)
    result = archive().history.restore(current(), accession_id, form.revision.data)
    proposed = result["redactions_proposed"]
    summary = f"{accession_id} {result['summary']}"     # the service's account of what was restored
    flash(gettext("%(summary)s; redactions %(keys)s came back as proposals for a second archivist",
                  summary=summary, keys=", ".join(proposed)) if proposed else summary, "ok")
    return redirect(url_for("staff.history", accession_id=accession_id))


def audit_page():
    """The audit log page (the `staff.audit` route renders this): filters from the query string."""
    form = AuditFilterForm(request.args)
    if request.args and not form.validate():
        problems = "; ".join(f"{getattr(form, k).label.text}: {', '.join(v)}" for k, v in form.errors.items())
        return render_template("staff/audit.html", form=form, log=None, problems=problems), 400
    filters = {name: getattr(form, name).data or None for name in ("actor", "action", "target", "since", "until")}
    log = archive().history.audit_log(current(), page=form.page.data or 1, **filters)
    query = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("staff/audit.html", form=form, log=log, problems=None, query=query)
