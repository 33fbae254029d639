"""The segment editor: a form per segment to split (at a chosen place), merge with the next,
retime, and edit title, synopsis and keywords. The service checks every change; a refusal says
what was wrong and where, and writes nothing."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from archive.errors import ValidationError

from ..identity import archive, audience, current
from .routes import _csrf_failed, bp


class SegmentForm(FlaskForm):
    transcript = StringField(_l("Transcript"), validators=[DataRequired(), Length(max=40)])
    seq = IntegerField(_l("Segment"), validators=[InputRequired(), NumberRange(min=0)])


class SplitForm(SegmentForm):
    offset = IntegerField(_l("Split after (a place offered)"), validators=[Optional(), NumberRange(min=1)])
    at = IntegerField(_l("Or at a code-point offset typed or clicked"), validators=[Optional(), NumberRange(min=1)])
    start = DecimalField(_l("Second part starts at (seconds; empty: interpolated)"), validators=[Optional(), NumberRange(min=0)])
    title = StringField(_l("Title of the second part"), validators=[Optional(), Length(max=500)])


class RetimeForm(SegmentForm):
    start = DecimalField(_l("Start (seconds)"), validators=[Optional(), NumberRange(min=0)])
    end = DecimalField(_l("End (seconds)"), validators=[Optional(), NumberRange(min=0)])


class DescribeForm(SegmentForm):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=500)])
    synopsis = TextAreaField(_l("Synopsis"), validators=[Optional(), Length(max=20000)])
    keywords = StringField(_l("Keywords (comma-separated)"), validators=[Optional(), Length(max=2000)])


class TranslationForm(FlaskForm):
    transcript = StringField(_l("Transcript"), validators=[DataRequired(), Length(max=40)])
    translation_of = StringField(_l("Translation of"), validators=[Optional(), Length(max=40)])
    translator = StringField(_l("Translator"), validators=[Optional(), Length(max=300)])
    translator_key = StringField(_l("Translator's authority record"), validators=[Optional(), Length(max=200)])
    machine = BooleanField(_l("Machine translation"))


def _valid(form: FlaskForm, accession_id: str) -> FlaskForm:
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            _csrf_failed()
        raise ValidationError("; ".join(f"{form[k].label.text}: {', '.join(v)}" if k in form else f"{k}: {', '.join(v)}"
                                        for k, v in form.errors.items()), record=accession_id)
    return form


def _refused(accession_id: str, action: str, exc: ValidationError):
    """The editor again (400), the refusal beside the segment's form it concerns, what was typed kept."""
    editor = archive().segments.editor(current(), accession_id)
    where = f"translation-{request.form.get('transcript', '')}" if action == "translation" else \
        f"seg-{request.form.get('transcript', '')}-{request.form.get('seq', '')}"
    refusal = {"segment": where,
               "action": action, "message": str(exc), "typed": request.form}
    return render_template("staff/segments.html", editor=editor, refusal=refusal), 400


def _refusals_shown(action: str):
    """Route decorator: a ValidationError of the form or the archive comes back on the editor."""
    def decorate(view):
        import functools

        @functools.wraps(view)
        def wrapper(accession_id: str):
            try:
                return view(accession_id)
            except ValidationError as exc:
                return _refused(accession_id, action, exc)
        return wrapper
    return decorate


def _given(field) -> str | None:
    """A field's value, or None when the form did not send it (that part stays as it is)."""
    return (field.data or "") if field.raw_data else None


def _seconds(value) -> float | None:
    return None if value is None else float(value)


def _back(accession_id: str, transcript: str, seq: int):
    return redirect(url_for("staff.segments", accession_id=accession_id) + f"#seg-{transcript}-{seq}")


@bp.get("/testimonies/<accession_id>/segments")
@audience("archivist")
def segments(accession_id: str):
    editor = archive().segments.editor(current(), accession_id)
    return render_template("staff/segments.html", editor=editor, refusal=None)


@bp.post("/testimonies/<accession_id>/segments/split")
@audience("archivist")
@_refusals_shown("split")
def split_segment(accession_id: str):
    form = _valid(SplitForm(), accession_id)
    # (an offset typed or clicked wins over the place chosen in the list)
    offset = form.at.data if form.at.data is not None else form.offset.data
    if offset is None:
        raise ValidationError("choose where to split: a place in the list, or an offset", record=accession_id,
                              field="offset")
    archive().segments.split(current(), accession_id, form.transcript.data, form.seq.data, offset,
                             start=_seconds(form.start.data), title=form.title.data or "")
    flash(gettext("Segment %(seq)s of %(transcript)s split at %(offset)s.", seq=form.seq.data,
                  transcript=form.transcript.data, offset=offset), "ok")
    return _back(accession_id, form.transcript.data, form.seq.data + 1)


@bp.post("/testimonies/<accession_id>/segments/merge")
@audience("archivist")
@_refusals_shown("merge")
def merge_segments(accession_id: str):
    form = _valid(SegmentForm(), accession_id)
    archive().segments.merge(current(), accession_id, form.transcript.data, form.seq.data)
    flash(gettext("Segments %(seq)s and %(next)s of %(transcript)s merged.", seq=form.seq.data,
                  next=form.seq.data + 1, transcript=form.transcript.data), "ok")
    return _back(accession_id, form.transcript.data, form.seq.data)


@bp.post("/testimonies/<accession_id>/segments/retime")
@audience("archivist")
@_refusals_shown("retime")
def retime_segment(accession_id: str):
    form = _valid(RetimeForm(), accession_id)
    archive().segments.retime(current(), accession_id, form.transcript.data, form.seq.data,
                              _seconds(form.start.data), _seconds(form.end.data))
    flash(gettext("Segment %(seq)s of %(transcript)s retimed.", seq=form.seq.data, transcript=form.transcript.data), "ok")
    return _back(accession_id, form.transcript.data, form.seq.data)


@bp.post("/testimonies/<accession_id>/segments/describe")
@audience("archivist")
@_refusals_shown("describe")
def describe_segment(accession_id: str):
    form = _valid(DescribeForm(), accession_id)
    result = archive().segments.describe(current(), accession_id, form.transcript.data, form.seq.data,
                                         title=_given(form.title), synopsis=_given(form.synopsis),
                                         keywords=_given(form.keywords))
    changed = ", ".join(result["changed"]) or gettext("nothing changed")
    flash(gettext("Segment %(seq)s of %(transcript)s: %(changed)s.", seq=form.seq.data,
                  transcript=form.transcript.data, changed=changed), "ok")
    return _back(accession_id, form.transcript.data, form.seq.data)


@bp.post("/testimonies/<accession_id>/segments/translation")
@audience("archivist")
@_refusals_shown("translation")
def transcript_translation(accession_id: str):
    form = _valid(TranslationForm(), accession_id)
    result = archive().segments.translation(current(), accession_id, form.transcript.data,
                                            translation_of=form.translation_of.data,
                                            translator=form.translator.data,
                                            translator_key=form.translator_key.data, machine=form.machine.data)
    changed = ", ".join(result["changed"]) or gettext("nothing changed")
    flash(gettext("Transcript %(transcript)s: %(changed)s.", transcript=form.transcript.data, changed=changed), "ok")
    return redirect(url_for("staff.segments", accession_id=accession_id) + f"#translation-{form.transcript.data}")
