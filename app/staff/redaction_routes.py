"""The redaction editor: redact by selecting text (static/js/redact-select.js fills the add form),
edit and remove redactions, and preview the testimony as the public and a researcher would read it.

Removing a redaction shows its original again, so it takes two archivists like an approval: the
first proposes the removal (the redaction keeps hiding meanwhile), a second confirms it or keeps
the redaction. With TWO_PERSON_RULE off, one archivist's removal takes effect at once.
"""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from archive.errors import ValidationError
from archive.vocabulary import REDACTION_CATEGORIES

from ..identity import archive, audience, current
from .routes import AUDIENCE_CHOICES, ActionForm, _csrf_failed, bp


class EditRedactionForm(FlaskForm):
    replacement = StringField(_l("Replacement"), validators=[DataRequired(), Length(max=300)])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    category = SelectField(_l("Category"), choices=[SelectChoice(c) for c in REDACTION_CATEGORIES])
    visible_to = SelectField(_l("Lowest audience that may see the original"), choices=AUDIENCE_CHOICES)


def _two_person() -> bool:
    return bool(current_app.config["TWO_PERSON_RULE"])


def _back(accession_id: str, anchor: str = "redactions"):
    return redirect(url_for("staff.testimony", accession_id=accession_id) + f"#{anchor}")


def editor_context(identity, view: dict) -> dict:
    """What the staff testimony page needs besides the staff view: transcripts with offsets,
    findings, and the editor's forms."""
    from .sensitive_routes import RedactAllForm, TermForm
    accession_id, redactions = view["accession_id"], view["redactions"]
    return {
        "selectable": archive().preview.selectable(identity, accession_id),
        "findings": archive().sensitive.findings(identity, accession_id),
        # One form per row; the template gives each row's fields their own ids.
        "edit_forms": {r["key"]: EditRedactionForm(formdata=None, data=r) for r in redactions},
        "term_form": TermForm(formdata=None),
        "redact_all_form": RedactAllForm,
        "two_person": _two_person(),
    }


@bp.post("/testimonies/<accession_id>/redactions/<key>/edit")
@audience("archivist")
def edit_redaction(accession_id: str, key: str):
    from .routes import _testimony_page, show_error
    form = EditRedactionForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            _csrf_failed()
        return _testimony_page(accession_id, edit_form=(key, form)), 400
    try:
        result = archive().redactions.edit(current(), accession_id, key, replacement=form.replacement.data,
                                           reason=form.reason.data or "", category=form.category.data,
                                           visible_to=form.visible_to.data)
    except ValidationError as exc:
        show_error(form, exc)
        return _testimony_page(accession_id, edit_form=(key, form)), 400
    if result["changed"]:
        flash(gettext("Redaction %(key)s changed (%(changed)s); a second archivist approves it again.",
                      key=key, changed=", ".join(result["changed"])), "ok")
    else:
        flash(gettext("Redaction %(key)s: nothing changed.", key=key), "ok")
    return _back(accession_id)


@bp.post("/testimonies/<accession_id>/redactions/<key>/remove")
@audience("archivist")
def remove_redaction(accession_id: str, key: str):
    ActionForm().validate_on_submit() or _csrf_failed()
    result = archive().redactions.remove(current(), accession_id, key, two_person=_two_person())
    if result["state"] == "removed":
        flash(gettext("Redaction %(key)s removed: its original shows again wherever its audience may read it.",
                      key=key), "ok")
    else:
        flash(gettext("Removal of %(key)s proposed; it keeps hiding the text until a second archivist confirms.",
                      key=key), "ok")
    return _back(accession_id)


@bp.post("/testimonies/<accession_id>/redactions/<key>/confirm-removal")
@audience("archivist")
def confirm_removal(accession_id: str, key: str):
    ActionForm().validate_on_submit() or _csrf_failed()
    archive().redactions.confirm_removal(current(), accession_id, key, two_person=_two_person())
    flash(gettext("Redaction %(key)s removed: its original shows again wherever its audience may read it.",
                  key=key), "ok")
    return _back(accession_id)


@bp.post("/testimonies/<accession_id>/redactions/<key>/keep")
@audience("archivist")
def keep_redaction(accession_id: str, key: str):
    ActionForm().validate_on_submit() or _csrf_failed()
    archive().redactions.keep(current(), accession_id, key)
    flash(gettext("Redaction %(key)s kept; as a proposal it needs a second archivist's approval.", key=key), "ok")
    return _back(accession_id)


@bp.get("/testimonies/<accession_id>/preview")
@audience("archivist")
def preview_testimony(accession_id: str):
    identity = current()
    return render_template("staff/preview.html", preview=archive().preview.side_by_side(identity, accession_id))
