"""Records: collections, testimonies, narrators (restricted fields marked) and authority records,
created and edited in forms whose errors are shown next to the field they concern."""
from __future__ import annotations

import re

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from archive.errors import ValidationError
from archive.services.records import AUTHORITY_TYPES

from ..identity import archive, audience, current
from .routes import ActionForm, _csrf_failed, bp

LINES = "one per line"


class CollectionForm(FlaskForm):
    slug = StringField(_l("Slug (its stable URL: lowercase letters, digits and -)"),
                       validators=[DataRequired(), Length(max=50)])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])


class TestimonyForm(FlaskForm):
    accession_id = StringField(_l("Accession id (stable, e.g. OH-2026-0001)"), validators=[DataRequired(), Length(max=64)])
    collection = SelectField(_l("Collection"), validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=500)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), Length(max=50000)])
    interview_date = StringField(_l("Interview date (EDTF: 2015-06, 2015?, 2014/2015)"),
                                 validators=[Optional(), Length(max=64)])
    interview_place = StringField(_l("Interview place"), validators=[Optional(), Length(max=300)])
    languages = StringField(_l("Languages (codes, e.g. en ar fr)"), validators=[Optional(), Length(max=200)])
    interviewers = TextAreaField(f"Interviewers, {LINES}", validators=[Optional(), Length(max=5000)])
    subjects = TextAreaField(f"Subjects, {LINES}", validators=[Optional(), Length(max=5000)])
    keywords = TextAreaField(f"Keywords, {LINES}", validators=[Optional(), Length(max=5000)])
    places = TextAreaField(f"Places mentioned: pick from the authority list, or type a place's name or key "
                           f"(e.g. Raqqa or place:raqqa), {LINES}", validators=[Optional(), Length(max=5000)])
    rights = TextAreaField(_l("Rights statement"), validators=[Optional(), Length(max=5000)])
    narrators = TextAreaField(f"Narrators: pick existing narrators, or type their keys, {LINES}",
                              validators=[Optional(), Length(max=5000)])


class NarratorForm(FlaskForm):
    key = StringField(_l("Narrator key (e.g. N-0042)"), validators=[DataRequired(), Length(max=50)])
    public_name = StringField(_l("Public name (pseudonym)"), validators=[DataRequired(), Length(max=200)])
    birth_year = StringField(_l("Birth year"), validators=[Optional(), Length(max=4)])
    gender = StringField(_l("Gender"), validators=[Optional(), Length(max=40)])
    nationality = StringField(_l("Nationality"), validators=[Optional(), Length(max=80)])
    role = StringField(_l("Role (e.g. defector, smuggler, activist)"), validators=[Optional(), Length(max=80)])
    legal_name = StringField(_l("Legal name"), validators=[Optional(), Length(max=300)])
    contact = TextAreaField(_l("Contact"), validators=[Optional(), Length(max=5000)])
    risk_notes = TextAreaField(_l("Risk notes"), validators=[Optional(), Length(max=5000)])


PUBLIC_NARRATOR_FIELDS = ("public_name", "birth_year", "gender", "nationality", "role")
RESTRICTED_NARRATOR_FIELDS = ("legal_name", "contact", "risk_notes")


class LinkNarratorForm(FlaskForm):
    narrator = StringField(_l("Narrator key"), validators=[DataRequired(), Length(max=64)])


class AuthorityForm(FlaskForm):
    key = StringField(_l("Key (e.g. place:raqqa)"), validators=[DataRequired(), Length(max=50)])
    type = SelectField(_l("Type"), choices=[SelectChoice(t) for t in AUTHORITY_TYPES])
    label = StringField(_l("Preferred label"), validators=[DataRequired(), Length(max=300)])
    variants = TextAreaField(f"Variants: other spellings and scripts, {LINES}",
                             validators=[Optional(), Length(max=20000)])


def submitted(form: FlaskForm, save, check=None) -> object | None:
    """Validate, then save; a ValidationError from the archive is shown next to the field it names
    (or above the form). None when the form is to be shown again. `check` (the archive's own checks,
    a list of ValidationErrors) runs even when the form's checks failed, so every error shows at once."""
    if request.method != "POST":
        return None
    valid = form.validate_on_submit()
    if "csrf_token" in form.errors:
        _csrf_failed()
    found = check() if check else []
    for exc in found:
        _show(form, exc)
    if not valid or found:
        return None
    try:
        return save()
    except ValidationError as exc:
        _show(form, exc)
        return None


def _show(form: FlaskForm, exc: ValidationError) -> None:
    """An archive's objection beside the field it names (once), or above the form."""
    field = getattr(form, exc.field or "", None)
    if field is not None and hasattr(field, "errors") and exc.field != "csrf_token":
        if not field.errors:          # a field the form itself refused says why already
            field.errors = [exc.message]
    else:
        form.form_errors.append(str(exc))


def page(template: str, form: FlaskForm, **context):
    """The form page: 400 when it comes back with errors, so no client takes it for a success."""
    status = 400 if request.method == "POST" else 200
    return render_template(template, form=form, **context), status


def _lines(text: str | None) -> list[str]:
    return (text or "").splitlines()


def _languages(text: str | None) -> list[str]:
    return [code for code in re.split(r"[\s,;]+", text or "") if code]


def prefilled(data: dict | None) -> dict:
    """Keyword arguments for an edit form: the record's values on GET only. A POST is read from what
    was sent alone, so a field left out is missing (and refused), never silently kept."""
    return {"data": data} if request.method == "GET" else {}


def _drop(form: FlaskForm, name: str) -> FlaskForm:
    """An edit form has no key field: keys (slugs, accession ids) are stable URLs and never change."""
    delattr(form, name)
    return form


# -- the records' home --------------------------------------------------------------------------

@bp.get("/records")
@audience("archivist")
def records():
    identity = current()
    return render_template("staff/record_index.html", collections=archive().records.list_collections(identity),
                           narrators=archive().records.list_narrators(identity),
                           authorities=archive().records.list_authorities(identity))


@bp.get("/records/pick")
@audience("archivist")
def pick_records():
    """The picker's list as you type: at most 20 authority records of a type (?kind=place), or narrators."""
    kind = request.args.get("kind", "place")
    if kind not in ("narrator", *AUTHORITY_TYPES):
        abort(404)
    return jsonify({"results": archive().records.find_records(current(), kind, request.args.get("q", ""),
                                                               limit=20)})


# -- collections --------------------------------------------------------------------------------

@bp.route("/records/collections/new", methods=["GET", "POST"])
@audience("archivist")
def new_collection():
    form = CollectionForm()
    done = submitted(form, lambda: archive().records.create_collection(
        current(), form.slug.data, form.title.data, form.description.data or ""))
    if done:
        flash(gettext("Collection %(id)s created.", id=done["id"]), "ok")
        return redirect(url_for("staff.records") + "#collections")
    return page("staff/record_collection.html", form, collection=None)


@bp.route("/records/collections/<slug>", methods=["GET", "POST"])
@audience("archivist")
def edit_collection(slug: str):
    found = archive().records.get_collection(current(), slug)
    form = _drop(CollectionForm(**prefilled(found)), "slug")
    done = submitted(form, lambda: archive().records.edit_collection(
        current(), slug, title=form.title.data, description=form.description.data or ""))
    if done:
        flash(gettext("Collection %(id)s saved.", id=slug), "ok")
        return redirect(url_for("staff.records") + "#collections")
    return page("staff/record_collection.html", form, collection=found)


# -- testimonies --------------------------------------------------------------------------------

def _testimony_form(identity, data: dict | None = None) -> TestimonyForm:
    form = TestimonyForm(**prefilled(data))
    form.collection.choices = [SelectChoice(c["id"], f"{c['title']} ({c['id']})")
                               for c in archive().records.list_collections(identity)]
    return form


def _testimony_fields(form: TestimonyForm) -> dict:
    return {"collection": form.collection.data, "title": form.title.data, "summary": form.summary.data or "",
            "interview_date": form.interview_date.data, "interview_place": form.interview_place.data,
            "languages": _languages(form.languages.data), "interviewers": _lines(form.interviewers.data),
            "subjects": _lines(form.subjects.data), "keywords": _lines(form.keywords.data),
            "places": _places(form.places.data), "rights": form.rights.data or ""}


def _places(text: str | None) -> list[str]:
    """Each line a place's authority key, or its label or a variant (exactly one place bears it)."""
    out = []
    for line in _lines(text):
        line = line.strip()
        if line:
            out.append(archive().records.resolve_record(current(), "place", line) or line)
    return out


def _narrator_keys(text: str | None) -> list[str]:
    """Each line a narrator's key, or "KEY · public name" as the picker writes it."""
    return [line.split(" · ")[0].strip() for line in _lines(text) if line.strip()]


def _picker_lists(identity) -> dict:
    return {"place_options": [a for a in archive().records.list_authorities(identity) if a["type"] == "place"][:500],
            "narrator_options": archive().records.list_narrators(identity)[:500]}


@bp.route("/records/testimonies/new", methods=["GET", "POST"])
@audience("archivist")
def new_testimony():
    identity = current()
    form = _testimony_form(identity, {"collection": request.args.get("collection")})
    done = submitted(form, lambda: archive().records.create_testimony(
        identity, form.accession_id.data, narrators=_narrator_keys(form.narrators.data), **_testimony_fields(form)),
        check=lambda: archive().records.check_testimony(identity, form.accession_id.data or "",
                                                        narrators=_narrator_keys(form.narrators.data),
                                                        **_testimony_fields(form)))
    if done:
        linked = _narrator_keys(form.narrators.data)
        if linked:
            flash(ngettext("Testimony %(id)s created as a draft with narrator %(narrators)s; consent is pending "
                           "until you record it.", "Testimony %(id)s created as a draft with narrators %(narrators)s; "
                           "consent is pending until you record it.", len(linked), id=done["accession_id"],
                           narrators=", ".join(linked)), "ok")
        else:
            flash(gettext("Testimony %(id)s created as a draft; consent is pending until you record it.",
                          id=done["accession_id"]), "ok")
        return redirect(url_for("staff.edit_testimony", accession_id=done["accession_id"]))
    return page("staff/record_testimony.html", form, record=None, **_picker_lists(identity))


@bp.route("/testimonies/<accession_id>/edit", methods=["GET", "POST"])
@audience("archivist")
def edit_testimony(accession_id: str):
    identity = current()
    record = archive().records.get_testimony_record(identity, accession_id)
    data = {**record, "languages": " ".join(record["languages"]),
            **{k: "\n".join(record[k]) for k in ("interviewers", "subjects", "keywords", "places")}}
    form = _drop(_drop(_testimony_form(identity, data), "accession_id"), "narrators")
    done = submitted(form, lambda: archive().records.edit_testimony(identity, accession_id, **_testimony_fields(form)),
                     check=lambda: archive().records.check_testimony(identity, None, **_testimony_fields(form)))
    if done:
        flash(gettext("%(id)s saved (%(changed)s).", id=accession_id,
                      changed=", ".join(done["changed"]) or gettext("nothing changed")), "ok")
        return redirect(url_for("staff.edit_testimony", accession_id=accession_id))
    return page("staff/record_testimony.html", form, record=record, link_form=LinkNarratorForm(formdata=None),
                action_form=ActionForm(), **_picker_lists(identity))


@bp.post("/testimonies/<accession_id>/narrators")
@audience("archivist")
def link_narrator(accession_id: str):
    form = LinkNarratorForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            _csrf_failed()
        raise ValidationError("name the narrator to link by its key", record=accession_id, field="narrator")
    done = archive().records.link_narrator(current(), accession_id, form.narrator.data.strip())
    flash(gettext("Narrator %(narrator)s linked to %(id)s.", narrator=done["narrator"], id=accession_id), "ok")
    return redirect(url_for("staff.edit_testimony", accession_id=accession_id) + "#narrators")


@bp.post("/testimonies/<accession_id>/narrators/<narrator>/unlink")
@audience("archivist")
def unlink_narrator(accession_id: str, narrator: str):
    ActionForm().validate_on_submit() or _csrf_failed()
    archive().records.unlink_narrator(current(), accession_id, narrator)
    flash(gettext("Narrator %(narrator)s is no longer linked to %(id)s.", narrator=narrator, id=accession_id), "ok")
    return redirect(url_for("staff.edit_testimony", accession_id=accession_id) + "#narrators")


# -- narrators ----------------------------------------------------------------------------------

def _narrator_fields(form: NarratorForm) -> dict:
    return {name: getattr(form, name).data for name in PUBLIC_NARRATOR_FIELDS + RESTRICTED_NARRATOR_FIELDS}


@bp.route("/records/narrators/new", methods=["GET", "POST"])
@audience("archivist")
def new_narrator():
    identity = current()
    into = request.args.get("into") or None
    if into:
        archive().records.get_testimony_record(identity, into)     # 404 before anyone types a name

    def save():
        created = archive().records.create_narrator(identity, form.key.data, **_narrator_fields(form))
        if into:
            archive().records.link_narrator(identity, into, created["key"])
        return created

    form = NarratorForm()
    done = submitted(form, save)
    if done:
        flash(gettext("Narrator %(narrator)s created and linked to %(id)s.", narrator=done["key"], id=into) if into
              else gettext("Narrator %(narrator)s created.", narrator=done["key"]), "ok")
        if into:
            return redirect(url_for("staff.edit_testimony", accession_id=into) + "#narrators")
        return redirect(url_for("staff.records") + "#narrators")
    return page("staff/record_narrator.html", form, narrator=None, into=into,
                public_fields=PUBLIC_NARRATOR_FIELDS, restricted_fields=RESTRICTED_NARRATOR_FIELDS)


@bp.route("/records/narrators/<narrator>", methods=["GET", "POST"])
@audience("archivist")
def edit_narrator(narrator: str):
    identity = current()
    found = archive().records.get_narrator(identity, narrator)
    form = _drop(NarratorForm(**prefilled({k: ("" if v is None else v) for k, v in found.items()})), "key")
    done = submitted(form, lambda: archive().records.edit_narrator(identity, narrator, **_narrator_fields(form)))
    if done:
        flash(gettext("Narrator %(narrator)s saved (%(changed)s).", narrator=narrator,
                      changed=", ".join(done["changed"]) or gettext("nothing changed")), "ok")
        return redirect(url_for("staff.edit_narrator", narrator=narrator))
    return page("staff/record_narrator.html", form, narrator=found, into=None,
                public_fields=PUBLIC_NARRATOR_FIELDS, restricted_fields=RESTRICTED_NARRATOR_FIELDS)


# -- authority records --------------------------------------------------------------------------

@bp.route("/records/authorities/new", methods=["GET", "POST"])
@audience("archivist")
def new_authority():
    form = AuthorityForm()
    done = submitted(form, lambda: archive().records.create_authority(
        current(), form.key.data, form.type.data, form.label.data, _lines(form.variants.data)))
    if done:
        flash(gettext("Authority record %(id)s created.", id=done["id"]), "ok")
        return redirect(url_for("staff.records") + "#authorities")
    return page("staff/record_authority.html", form, authority=None)


@bp.route("/records/authorities/<authority>", methods=["GET", "POST"])
@audience("archivist")
def edit_authority(authority: str):
    found = archive().records.get_authority(current(), authority)
    form = _drop(AuthorityForm(**prefilled({**found, "variants": "\n".join(found["variants"])})), "key")
    done = submitted(form, lambda: archive().records.edit_authority(
        current(), authority, type=form.type.data, label=form.label.data, variants=_lines(form.variants.data)))
    if done:
        flash(ngettext("Authority record %(id)s saved; %(num)d testimony re-indexed.",
                       "Authority record %(id)s saved; %(num)d testimonies re-indexed.",
                       len(done["reindexed"]), id=authority), "ok")
        return redirect(url_for("staff.edit_authority", authority=authority))
    return page("staff/record_authority.html", form, authority=found)
