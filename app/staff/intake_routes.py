"""Importing files in the browser: upload, preview, confirm.

The upload is parsed and shown (format, metadata, segments with timecodes, warnings, what would be
created or changed) and nothing is written; the file waits in the instance's media folder, named by
its SHA-256 in a folder of the archivist who sent it, until the confirm form names that hash. The
client never sends a path: only a hash, checked to be 64 hex digits and checked again against the
bytes read. Waiting files are removed once imported, and after STAGING_HOURS in any case.

A CSV of more than intake_jobs.JOB_THRESHOLD rows, or a JSON file of more testimonies, is imported
in a thread after the confirm form (see intake_jobs): the browser is sent to the job's page, whose
progress bar follows the job's JSON. Smaller files are imported within the request, as before.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
from pathlib import Path

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from archive.errors import ArchiveError, NotFound, ValidationError
from archive.formats import csv_format
from archive.formats.csv_format import COLUMNS
from archive.intake import DEFAULT_MAX_BYTES
from archive.media.kinds import recording_format
from archive.media.sniff import ACCEPTED, sniff
from archive.services.intake import DEFAULT_COLLECTION, kind_of

from ..identity import archive, audience, current
from . import intake_jobs
from .routes import bp

STAGING = "intake-staging"
STAGING_HOURS = 24
SHA256 = re.compile(r"[0-9a-f]{64}")


class UploadForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired("choose a file to upload")])
    into = SelectField(_l("Into testimony"), validate_choice=False, validators=[Optional(), Length(max=64)])
    language = StringField(_l("Language"), validators=[Optional(), Length(max=20)])
    collection = SelectField(_l("Collection"), validate_choice=False, validators=[Optional(), Length(max=120)])
    key = StringField(_l("Transcript key"), validators=[Optional(), Length(max=40)])
    replace = BooleanField(_l("Replace the transcript with the same key"))


class ConfirmForm(FlaskForm):
    upload = HiddenField(validators=[DataRequired(), Regexp(SHA256.pattern + "$", message="not an upload")])
    filename = HiddenField(validators=[DataRequired(), Length(max=200)])
    into = HiddenField(validators=[Optional(), Length(max=64)])
    language = HiddenField(validators=[Optional(), Length(max=20)])
    collection = HiddenField(validators=[Optional(), Length(max=120)])
    key = HiddenField(validators=[Optional(), Length(max=40)])
    replace = HiddenField(validators=[Optional()])


def _upload_form(form: UploadForm | None = None) -> UploadForm:
    form = form or UploadForm(data={"into": request.args.get("into", "")[:64]})
    identity = current()
    form.into.choices = [("", "none: the file makes new testimonies (OHMS, CSV, JSON)")] + [
        (t["accession_id"], f"{t['accession_id']} · {t['title']}") for t in archive().testimonies.list(identity)]
    form.collection.choices = [("", f"{DEFAULT_COLLECTION} (the default; made if missing)")] + [
        (c["id"], f"{c['id']} · {c['title']}") for c in archive().testimonies.collections(identity)
        if c["id"] != DEFAULT_COLLECTION]
    return form


def _media_file(data: bytes) -> tuple[str, str] | None:
    """(media kind, what it is) for a recording, a photo or a PDF, read from the content; None otherwise."""
    container = recording_format(data)
    if container:
        video = container in ("MP4", "WebM") and _has_video(data)
        return ("video", f"a video ({container})") if video else ("audio", f"an audio recording ({container})")
    found = sniff(data)
    if found in ACCEPTED:
        return "photo", f"a photo ({found})"
    if found == "PDF":
        return "document", "a document (PDF)"
    return None


def _has_video(data: bytes) -> bool:
    # The MP4 brands of audio alone; a WebM says what its tracks are only deep inside: taken as video.
    return data[8:12] not in (b"M4A ", b"M4B ", b"f4a ")


def _upload_page(form: UploadForm | None = None, error: str | None = None, status: int = 200):
    return render_template("staff/intake.html", form=_upload_form(form), error=error, columns=COLUMNS,
                           limit_mb=DEFAULT_MAX_BYTES // (1024 * 1024)), status


@bp.get("/intake")
@audience("archivist")
def intake():
    return _upload_page()


@bp.post("/intake/preview")
@audience("archivist")
def intake_preview():
    form = _upload_form(UploadForm())
    if not form.validate_on_submit():
        return _upload_page(form, "; ".join(f"{k}: {', '.join(v)}" for k, v in form.errors.items()), 400)
    upload = form.file.data
    data = upload.read(DEFAULT_MAX_BYTES + 1)
    filename = _display_name(upload.filename)
    media = _media_file(data)
    if media:
        # Recordings, photos and PDFs are attached on a testimony's media page, not imported here.
        kind, what = media
        if form.into.data:
            flash(gettext("%(file)s is %(what)s: recordings, photos and documents are attached here, on the "
                          "testimony's media page, not imported as records. Choose the file again below and attach it.",
                          file=filename, what=what), "ok")
            return redirect(url_for("staff.media", accession_id=form.into.data, kind=kind) + "#attach", 303)
        return _upload_page(form, f"{filename} is {what}: recordings, photos and documents are attached on a "
                                  "testimony's media page, not imported as records. Choose its testimony in "
                                  "“Into testimony” and send it again to be taken there.", 400)
    if len(data) > DEFAULT_MAX_BYTES:
        return _upload_page(form, f"{filename}: over the {DEFAULT_MAX_BYTES // (1024 * 1024)} MB limit", 400)
    options = {"into": form.into.data or "", "language": (form.language.data or "").strip(),
               "collection": form.collection.data or "", "key": (form.key.data or "").strip(),
               "replace": "1" if form.replace.data else ""}
    try:
        preview = archive().intake.preview(
            current(), data, filename, options["language"] or None, into=options["into"] or None,
            collection=options["collection"] or None, key=options["key"] or None,
            replace=bool(options["replace"]))
        if preview.get("detected_language") and not options["language"]:
            # The file does not say; its text is clearly in one of the archive's languages: the preview
            # shows it as detected, and confirming saves it.
            options["language"] = preview["detected_language"]
    except NotFound:
        return _upload_page(form, f"no testimony {options['into']!r}", 400)
    except ArchiveError as exc:
        return _upload_page(form, str(exc), 400)
    # formdata=None: filled from these values only, not from the upload form just posted.
    confirm = ConfirmForm(formdata=None, data={"upload": _stage(data), "filename": filename, **options})
    return render_template("staff/intake_preview.html", p=preview, confirm=confirm, options=options)


@bp.post("/intake/confirm")
@audience("archivist")
def intake_confirm():
    form = ConfirmForm()
    if not form.validate_on_submit():
        raise ValidationError("; ".join(f"{k}: {', '.join(v)}" for k, v in form.errors.items()))
    digest, filename = form.upload.data, _display_name(form.filename.data)
    data = _staged(digest)
    into, language = form.into.data or None, (form.language.data or None)
    identity, intake_service = current(), archive().intake
    try:
        kind = kind_of(data, filename)
        total = _records(kind, data, filename) if kind in ("csv", "json") else 0
        if total > intake_jobs.JOB_THRESHOLD:
            # The thread has no request: it is given the archive, the identity and the staged file's path.
            staged = _folder() / digest
            job = intake_jobs.start(archive(), identity, current_app.config["MEDIA_DIR"], kind, data, filename,
                                    total, on_finished=lambda: staged.unlink(missing_ok=True))
            return redirect(url_for("staff.intake_job", job=job), 303)
        if kind == "csv":
            report = intake_service.import_csv(identity, data, filename)
            _discard(digest)
            return render_template("staff/intake_result.html", report=report)
        if kind == "json":
            result = intake_service.import_json(identity, data, filename)
            _discard(digest)
            flash(ngettext("Imported %(num)d testimony from %(file)s.", "Imported %(num)d testimonies from %(file)s.",
                           len(result["testimonies"]), file=filename), "ok")
            return redirect(url_for("staff.dashboard"))
        if into:
            key = intake_service.add_transcript(identity, into, data, filename, language=language,
                                                key=form.key.data or None, replace=form.replace.data == "1")
            _discard(digest)
            flash(gettext("Transcript %(key)s of %(id)s saved from %(file)s.", key=key, id=into, file=filename), "ok")
            return redirect(url_for("staff.testimony", accession_id=into))
        if kind == "ohms":
            accession = intake_service.import_ohms(identity, data, filename, form.collection.data or None,
                                                   language=language)
            _discard(digest)
            flash(gettext("%(file)s imported as draft testimony %(id)s: consent pending, seen by staff only.",
                          file=filename, id=accession), "ok")
            return redirect(url_for("staff.testimony", accession_id=accession))
        raise ValidationError(f"a {kind} file holds a transcript only: choose the testimony it belongs to",
                              file=filename)
    except NotFound:
        return _upload_page(error=f"no testimony {into!r}", status=400)
    except ArchiveError as exc:
        return _upload_page(error=str(exc), status=400)


def _records(kind: str, data: bytes, filename: str) -> int:
    """How many records (CSV rows, JSON testimonies) a file holds, to choose between the request and a
    job; 0 for a file that cannot be read, whose error the import in the request then reports."""
    try:
        if kind == "csv":
            return len(csv_format.read(data, filename, max_bytes=DEFAULT_MAX_BYTES))
        return len(json.loads(data.decode("utf-8-sig"))["testimonies"])
    except (ArchiveError, ValueError, KeyError, TypeError):
        return 0


# -- long imports: their progress ---------------------------------------------------------------

def _job(job: str) -> dict:
    state = intake_jobs.read(current_app.config["MEDIA_DIR"], current(), job)
    if state is None:
        abort(404)      # unknown, pruned, or another account's: the same answer
    return state


@bp.get("/intake/jobs/<job>")
@audience("archivist")
def intake_job(job: str):
    state = _job(job)
    return render_template("staff/intake_job.html", job=state, r={"rows": state["rows"]},
                           report={**(state["report"] or {}), "file": state["file"]})


@bp.get("/intake/jobs/<job>.json")
@audience("archivist")
def intake_job_status(job: str):
    """The job's progress for import-progress.js; rows from ?since= on (the page has the rest)."""
    state = _job(job)
    since = request.args.get("since", "0")
    since = int(since) if since.isdigit() else 0
    response = jsonify({k: v for k, v in state.items() if k != "owner"}
                       | {"rows": state["rows"][since:], "since": since, "rows_total": len(state["rows"])})
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the waiting uploads ------------------------------------------------------------------------

def _display_name(name: str | None) -> str:
    """The file's own name, for messages and records only: never part of a path."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in base if ch.isprintable())[:200] or "upload"


def _folder() -> Path:
    identity = current()
    # One folder per account, so a hash seen by one archivist is no key to another's upload.
    owner = f"user-{identity.user_id}" if identity.user_id is not None else "operator"
    return Path(current_app.config["MEDIA_DIR"]) / STAGING / owner


def _stage(data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    folder = _folder()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    _prune(folder.parent)
    target = folder / digest
    if target.exists():
        os.utime(target)
        return digest
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return digest


def _staged(digest: str) -> bytes:
    if not SHA256.fullmatch(digest or ""):
        raise ValidationError("the upload reference is not valid: upload the file again", field="upload")
    try:
        data = (_folder() / digest).read_bytes()
    except FileNotFoundError:
        raise ValidationError(f"the upload is no longer waiting (it was imported already, or {STAGING_HOURS} "
                              f"hours passed): upload the file again", field="upload") from None
    if hashlib.sha256(data).hexdigest() != digest:
        raise ValidationError("the waiting upload changed on disk: upload the file again", field="upload")
    return data


def _discard(digest: str) -> None:
    (_folder() / digest).unlink(missing_ok=True)


def _prune(root: Path) -> None:
    """Uploads previewed and never confirmed hold testimony text: they do not stay for ever."""
    cutoff = time.time() - STAGING_HOURS * 3600
    for path in root.glob("*/*"):
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass
