"""Sensitive terms: the archive-wide register and each testimony's, their variants in other
spellings and scripts, and "redact all" (proposals) for a term's unredacted occurrences."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from archive.errors import ValidationError
from archive.vocabulary import REDACTION_CATEGORIES

from ..identity import archive, audience, current
from .routes import AUDIENCE_CHOICES, ActionForm, _csrf_failed, bp, show_error


class TermForm(FlaskForm):
    term = StringField(_l("Term"), validators=[DataRequired(), Length(max=300)])
    variants = TextAreaField(_l("Variants: other spellings and scripts, one per line"),
                             validators=[Optional(), Length(max=10000)])
    category = SelectField(_l("Category"), choices=[SelectChoice(c) for c in REDACTION_CATEGORIES], default="person")
    visible_to = SelectField(_l("Shown to"), choices=[SelectChoice("archivist", "archivists and admins"),
                                                  SelectChoice("admin", "admins only")], default="archivist")


class RedactAllForm(FlaskForm):
    replacement = StringField(_l("Replacement (one for every occurrence, e.g. [Narrator's cousin])"),
                              validators=[DataRequired(), Length(max=300)])
    category = SelectField(_l("Category"), choices=[SelectChoice(c) for c in REDACTION_CATEGORIES])
    reason = StringField(_l("Reason"), validators=[Optional(), Length(max=2000)])
    visible_to = SelectField(_l("Lowest audience that may see the originals"), choices=AUDIENCE_CHOICES,
                             default="archivist")


class FormRefused(Exception):
    """The form's own checks refused it: its errors are on its fields."""


def _checked(form: FlaskForm) -> FlaskForm:
    """Like _valid, but a refusal leaves the errors on the form's fields (FormRefused) for the page."""
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            _csrf_failed()
        raise FormRefused()
    return form


def _valid(form: FlaskForm) -> FlaskForm:
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            _csrf_failed()
        raise ValidationError("; ".join(f"{k}: {', '.join(v)}" for k, v in form.errors.items()))
    return form


def _variants(form: TermForm) -> list[str]:
    return (form.variants.data or "").splitlines()


def _visible_to(form: TermForm) -> str | None:
    # A form without the menu (the testimony page's edit form) keeps the term's audience, rather than
    # the menu's default quietly showing an admin-only term to every archivist.
    return form.visible_to.data if form.visible_to.raw_data else None


def _back_to(accession_id: str | None):
    if accession_id:
        return redirect(url_for("staff.testimony", accession_id=accession_id) + "#sensitive-terms")
    return redirect(url_for("staff.sensitive_terms"))


@bp.get("/sensitive-terms")
@audience("archivist")
def sensitive_terms():
    return _register_page()


def _register_page(form: TermForm | None = None, status: int = 200):
    identity = current()
    terms = archive().sensitive.list(identity)
    return render_template("staff/sensitive_terms.html", terms=terms, form=form or TermForm(formdata=None),
                           edit_forms={t["id"]: TermForm(formdata=None,
                                                         data={**t, "variants": "\n".join(t["variants"])})
                                       for t in terms},
                           # Bounded as on the dashboard: not a scan of every testimony per page load.
                           unredacted=archive().dashboard.unredacted(
                               identity, rows=int(current_app.config["LIST_PAGE_SIZE"]))), status


@bp.post("/sensitive-terms")
@audience("archivist")
def add_sensitive_term():
    form = TermForm()
    try:
        _checked(form)
        added = archive().sensitive.add(current(), form.term.data, variants=_variants(form),
                                        category=form.category.data, visible_to=_visible_to(form) or "archivist")
    except FormRefused:
        return _register_page(form, 400)           # as typed, each error beside its field
    except ValidationError as exc:
        show_error(form, exc)
        return _register_page(form, 400)
    flash(gettext("Archive-wide sensitive term %(term)s added with %(num)d variant(s).",
                  num=len(added["variants"]), term=repr(added["term"])), "ok")
    return _back_to(None)


@bp.post("/testimonies/<accession_id>/sensitive-terms")
@audience("archivist")
def add_testimony_term(accession_id: str):
    from .routes import _testimony_page
    form = TermForm()
    try:
        _checked(form)
        added = archive().sensitive.add(current(), form.term.data, variants=_variants(form),
                                        category=form.category.data, accession_id=accession_id,
                                        visible_to=_visible_to(form) or "archivist")
    except (FormRefused, ValidationError) as exc:
        if not isinstance(exc, FormRefused):
            show_error(form, exc)
        return _testimony_page(accession_id, term_form=form), 400    # on the testimony's page, as typed
    flash(gettext("Sensitive term %(term)s added to %(id)s with %(num)d variant(s).",
                  num=len(added["variants"]), term=repr(added["term"]), id=accession_id), "ok")
    return _back_to(accession_id)


@bp.post("/sensitive-terms/<term_id>/edit")
@audience("archivist")
def edit_sensitive_term(term_id: str):
    form = _valid(TermForm())
    edited = archive().sensitive.edit(current(), term_id, term=form.term.data, variants=_variants(form),
                                      category=form.category.data, visible_to=_visible_to(form))
    flash(gettext("Sensitive term %(term)s saved.", term=repr(edited["term"])), "ok")
    return _back_to(edited["testimony"])


@bp.post("/sensitive-terms/<term_id>/remove")
@audience("archivist")
def remove_sensitive_term(term_id: str):
    ActionForm().validate_on_submit() or _csrf_failed()
    removed = archive().sensitive.remove(current(), term_id)
    flash(gettext("Sensitive term %(term)s removed.", term=term_id), "ok")
    return _back_to(removed["testimony"])


@bp.post("/testimonies/<accession_id>/sensitive-terms/<term_id>/redact-all")
@audience("archivist")
def redact_all(accession_id: str, term_id: str):
    form = _valid(RedactAllForm())
    result = archive().sensitive.redact_all(current(), accession_id, term_id, replacement=form.replacement.data,
                                            category=form.category.data, reason=form.reason.data or "",
                                            visible_to=form.visible_to.data)
    proposed = {"num": len(result["proposed"]), "replacement": repr(result["replacement"])}
    if result["left"]:
        flash(gettext("%(num)d redaction(s) proposed as %(replacement)s; %(left)d occurrence(s) in segment titles, "
                      "synopses, keywords, subjects, places or names cannot be redacted: edit those fields. "
                      "A second archivist approves them.", left=len(result["left"]), **proposed), "ok")
    else:
        flash(gettext("%(num)d redaction(s) proposed as %(replacement)s. A second archivist approves them.",
                      **proposed), "ok")
    if archive().jobs.latest(current(), testimony=accession_id, live_only=True):
        flash(gettext("The recording is being re-encoded in the background (see Jobs, or the media page); readers "
                      "below archivist get no recording until it is done."), "ok")
    return redirect(url_for("staff.testimony", accession_id=accession_id) + "#redactions")
