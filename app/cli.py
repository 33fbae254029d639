"""`python -m app <command>`: the operator's tools. The command line acts with full authority."""
from __future__ import annotations

import functools
import json
import os
import secrets
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from archive import private_files
from archive.audience import ROLES, Audience
from archive.errors import ArchiveError, database_refusal
from archive.identity import SYSTEM

from . import public_address

# Messages are never broken across lines, and written to a file or a pipe, tables are not cut to a
# terminal's 80 columns: a path or an id cut in two cannot be copied or searched for.
console = Console(stderr=True, soft_wrap=True, width=None if sys.stderr.isatty() else 240)
DEMO_FILE = Path(__file__).resolve().parent.parent / "archive" / "demo" / "demo-collection.json"
DEMO_USERS = (("archivist", "archivist"), ("reviewer", "archivist"), ("researcher", "researcher"),
              ("admin", "admin"))


def _app():
    from . import create_app
    return create_app()


def _archive():
    return _app().extensions["archive"]


def _private_paths(app) -> list[Path]:
    """The instance folder (secret key, demo logins, settings) and wherever the archive keeps data."""
    return [Path(app.config["INSTANCE_PATH"]), *app.extensions["archive"].private_paths()]


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console)


class Group(click.Group):
    """Turn the archive's own errors into one clear line and exit status 1."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ArchiveError as exc:
            console.print(f"[bold red]error:[/] {exc}", highlight=False)
            sys.exit(1)
        except Exception as exc:
            refusal = database_refusal(exc)
            if refusal is None:
                raise
            console.print(f"[bold red]error:[/] {escape(refusal)}", highlight=False)
            sys.exit(1)


@click.group(cls=Group)
def cli():
    """The testimony archive. The instance folder is ./instance unless ARCHIVE_INSTANCE_PATH says otherwise."""


@cli.command()
@click.option("--take-over-index", is_flag=True,
              help="This instance keeps the database's search index now (the one that did is gone for good).")
def init(take_over_index):
    """Create (or upgrade) the database, the search indexes and the media store."""
    app = _app()
    archive = app.extensions["archive"]
    if archive.read_only:
        from archive.readonly import ReadOnly
        raise ReadOnly("init creates and upgrades; `check` and `serve` work as they are")
    why = archive.search_engine_reason
    if archive.search_engine == "whoosh" and why != "set by SEARCH_ENGINE":
        # An upgraded archive stays on Whoosh silently otherwise, and misses every speed target.
        why += "; SEARCH_ENGINE=sqlite moves it to the faster engine"
    console.print(f"Search engine: {archive.search_engine} ({why})", highlight=False)
    with _progress() as progress:
        rebuilt = archive.init(progress=_index_steps(progress), take_over_index=take_over_index)
    Path(app.config["MEDIA_DIR"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    for path in private_files.tighten(_private_paths(app)):
        console.print(f"Made {escape(str(path))} readable by its owner only", highlight=False)
    if rebuilt:
        console.print(f"Search indexes ({archive.search_engine}) built from the database")
    console.print(f"Instance ready in {app.config['INSTANCE_PATH']}")


@cli.command("import")
@click.argument("path", type=click.Path())
@click.option("--fictional", is_flag=True, help="Mark every imported testimony as fictional (JSON files).")
@click.option("--into", "into", metavar="ID", help="Put a transcript file into this existing testimony.")
@click.option("--language", metavar="CODE", help="The transcript's language (e.g. ar) where the file does not say.")
@click.option("--collection", metavar="SLUG", help="Collection of the testimony an OHMS file makes (default: imports).")
@click.option("--key", metavar="KEY", help="Key of the transcript added with --into (default: its language).")
@click.option("--replace", is_flag=True, help="With --into: replace the transcript of the same key.")
@click.option("--dry-run", is_flag=True, help="Report what would be created or changed, and write nothing.")
@click.option("--resume", is_flag=True,
              help="JSON: skip testimonies already in the archive (to finish an import that stopped).")
def import_(path, fictional, into, language, collection, key, replace, dry_run, resume):
    """Import a file, its format read from its content.

    JSON (testimony-archive/1): checked whole, then written ten testimonies per transaction (--resume
    finishes one that stopped). CSV with an accession_id column: one row per
    testimony, each row all or nothing. OHMS XML: a new draft testimony, consent pending (or, with
    --into, its transcript into an existing one). Plain text, DOCX, WebVTT, SRT: a transcript, with
    --into ID.
    """
    from archive.errors import ValidationError
    from archive.services.intake import kind_of

    if _is_bag(path):
        return _import_bag(path, fictional=fictional, resume=resume, dry_run=dry_run,
                           unused=[n for n, v in (("--into", into), ("--language", language), ("--collection", collection),
                                                  ("--key", key), ("--replace", replace)) if v])
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read: {exc.strerror}", file=str(path)) from None
    kind = kind_of(data, str(path))
    if kind == "ohms" and not into:
        role = "ohms"
    elif kind in ("json", "csv"):
        role = kind
    elif into:
        role = "transcript"
    else:
        raise ValidationError(f"this is a {kind} transcript: say which testimony it belongs to with "
                              f"--into ID (an OHMS file alone makes a new testimony)", file=str(path))
    allowed = {"json": {"fictional", "resume"}, "csv": set(), "ohms": {"language", "collection"},
               "transcript": {"into", "language", "key", "replace"}}[role]
    given = {"fictional": fictional, "into": into, "language": language, "collection": collection,
             "key": key, "replace": replace, "resume": resume}
    unused = sorted(f"--{name}" for name, value in given.items() if value and name not in allowed)
    if unused:
        raise ValidationError(f"{', '.join(unused)} does not apply to a {kind} file", file=str(path))
    archive = _archive()
    archive.init()
    if role == "json" and not dry_run:
        with _progress() as progress:
            task = progress.add_task("Importing", total=None)

            def step(n, total, accession):
                progress.update(task, completed=n, total=total, description=f"Importing {accession}")

            result = archive.transfer.import_file(SYSTEM, path, fictional=fictional, progress=step,
                                                  resume=resume)
        skipped = f" ({len(result['skipped'])} already in the archive, skipped)" if result["skipped"] else ""
        console.print(f"Imported {len(result['testimonies'])} testimonies{skipped}, {result['collections']} "
                      f"collections, {result['authorities']} authority records from {path}")
    elif role == "csv":
        _import_csv(archive, data, str(path), dry_run)
    elif dry_run:
        preview = archive.intake.preview(SYSTEM, data, str(path), language, into=into, collection=collection,
                                         key=key, replace=replace)
        _print_preview(preview)
        if preview["problems"]:
            raise ValidationError("would be refused: " + "; ".join(preview["problems"]), file=str(path))
        console.print("Dry run: nothing was written.")
    elif role == "ohms":
        accession = archive.intake.import_ohms(SYSTEM, data, str(path), collection, language=language)
        console.print(f"Imported {path} as draft testimony {accession} (consent pending, archive only)")
    else:
        saved = archive.intake.add_transcript(SYSTEM, into, data, str(path), language=language, key=key,
                                              replace=replace)
        console.print(f"Transcript {saved} of {into} {'replaced' if replace else 'added'} from {path} ({kind})")


def _is_bag(path: str) -> bool:
    """A folder, or a zip holding bagit.txt (at its top or in its one top folder): a BagIt bag."""
    import zipfile
    if Path(path).is_dir():
        return True
    try:
        with zipfile.ZipFile(path) as zipped:
            return any(name.count("/") <= 1 and name.rsplit("/", 1)[-1] == "bagit.txt" for name in zipped.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def _import_bag(path: str, *, fictional: bool, resume: bool, dry_run: bool, unused: list[str]) -> None:
    from archive.errors import ValidationError
    if unused or dry_run:
        raise ValidationError(f"{', '.join(unused + (['--dry-run'] if dry_run else []))} does not apply to a "
                              f"BagIt bag", file=str(path))
    archive = _archive()
    archive.init()
    with _progress() as progress:
        task = progress.add_task("Importing", total=None)

        def step(n, total, accession):
            progress.update(task, completed=n, total=total, description=f"Importing {accession}")

        result = archive.bags.import_bag(SYSTEM, path, fictional=fictional, progress=step, resume=resume)
    skipped = f" ({len(result['skipped'])} already in the archive, skipped)" if result["skipped"] else ""
    console.print(f"Bag valid (every manifest checked); imported {len(result['testimonies'])} testimonies{skipped} "
                  f"from {escape(str(path))}", highlight=False)


def _import_csv(archive, data: bytes, path: str, dry_run: bool) -> None:
    from archive.errors import ValidationError

    with _progress() as progress:
        task = progress.add_task("Checking" if dry_run else "Importing", total=None)

        def step(n, total, accession):
            progress.update(task, completed=n, total=total, description=f"Row {n}: {accession}")

        report = archive.intake.import_csv(SYSTEM, data, path, dry_run=dry_run, progress=step)
    table = Table("line", "accession", "status", "details")
    for row in report["rows"]:
        if row["status"] == "error":
            details = f"[red]{escape(row['field'] or 'row')}: {escape(row['error'])}[/]"
        else:
            details = escape("; ".join([*(c["field"] for c in row["changes"]), *row["notes"]]) or "-")
        table.add_row(str(row["line"]), escape(row["accession_id"] or "-"), row["status"], details)
    console.print(table)
    verb = "would be" if dry_run else "were"
    console.print(f"Rows {'that would be ' if dry_run else ''}created: {report['created']}, updated: "
                  f"{report['updated']}, unchanged: {report['unchanged']}, refused: {report['failed']}. "
                  f"{report['note']}", highlight=False)
    if dry_run:
        console.print("Dry run: nothing was written.")
    if report["failed"]:
        lines = [str(r["line"]) for r in report["rows"] if r["status"] == "error"]
        raise ValidationError(f"{report['failed']} of {len(report['rows'])} rows {verb} refused "
                              f"({'lines' if len(lines) > 1 else 'line'} {', '.join(lines)}); the other "
                              f"rows {verb} imported", file=path)


def _print_preview(preview: dict) -> None:
    say = functools.partial(console.print, markup=False, highlight=False)
    say(f"{preview['filename']}: {preview['kind']}")
    if preview["kind"] == "json":
        for t in preview["testimonies"]:
            say(f"  {t['accession_id']}: {'exists' if t['exists'] else 'new'}")
    else:
        say(f"  would {preview['action'] or 'do nothing'}: {preview.get('accession_id') or '-'}, transcript "
            f"{preview.get('transcript_key') or '-'} ({preview.get('language') or 'language unknown'}), "
            f"{preview['characters']} characters, {len(preview['segments'])} segments")
        table = Table("start", "end", "title", "opening words")
        for s in preview["segments"]:
            table.add_row(_clock(s["start"]), _clock(s["end"]), escape(s["title"]), escape(s["excerpt"][:60]))
        console.print(table)
    for warning in preview["warnings"]:
        say(f"  warning: {warning}")


def _clock(seconds) -> str:
    if seconds is None:
        return "-"
    whole = int(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


@cli.command()
@click.option("--audience", "audience", default="public", show_default=True,
              type=click.Choice([a.label for a in Audience]), help="Export what this audience may see.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="File to write (default: standard output).")
@click.option("--format", "fmt", default="json", show_default=True,
              type=click.Choice(["json", "bagit", "ohms", "vtt", "srt", "dc"]),
              help="json: the archive's JSON format; bagit: a BagIt 1.0 bag written into the new folder DEST; "
                   "ohms: testimony ID as OHMS XML; vtt, srt: one transcript of testimony ID as captions; "
                   "dc: every public testimony as simple Dublin Core XML.")
@click.option("--collection", metavar="SLUG", help="bagit: bag this collection only.")
@click.option("--transcript", metavar="KEY", help="vtt, srt: the transcript (default: the testimony's first).")
@click.argument("targets", nargs=-1, metavar="[ID] [DEST]")
def export(audience, output, fmt, collection, targets, transcript=None):
    """Export the archive in its JSON format (or, with --format bagit, a testimony ID, a --collection or
    the whole archive as a BagIt bag in the new folder DEST; with ohms, vtt or srt, testimony ID), as the
    chosen audience sees it."""
    if fmt == "bagit":
        return _export_bag(audience, collection, targets)
    if fmt == "dc":
        return _export_dc(audience, output, collection, targets)
    if fmt in ("ohms", "vtt", "srt"):
        return _export_exchange(audience, output, fmt, collection, targets, transcript)
    if collection or targets:
        from archive.errors import ValidationError
        raise ValidationError("--collection, ID and DEST apply to --format bagit only (use -o FILE for JSON)")
    archive = _archive()
    with _progress() as progress:
        task = progress.add_task("Exporting", total=None)
        document = archive.transfer.export(
            SYSTEM, audience, progress=lambda n, total, _: progress.update(task, completed=n, total=total))
    text = json.dumps(document, ensure_ascii=False, indent=1)
    if output:
        tmp = Path(output).with_suffix(".partial")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(output)
        console.print(f"Wrote {len(document['testimonies'])} testimonies for {audience} to {output}")
    else:
        click.echo(text)


def _export_dc(audience, output, collection, targets):
    """Every testimony the public may see as simple Dublin Core XML (archive/formats/dublin_core.py)."""
    from archive.errors import ValidationError
    if audience != "public" or collection or targets:
        raise ValidationError("usage: export --format dc [-o FILE]: Dublin Core is made from the public's views "
                              "only (no --audience other than public, no ID or --collection)")
    app = _app()
    base = (app.config["PUBLIC_URL"] or "").rstrip("/")
    url_for = (lambda accession: f"{base}/testimonies/{accession}") if base else (lambda _: None)
    archive = app.extensions["archive"]
    if not output:
        archive.oai.export_dc(SYSTEM, sys.stdout.buffer, repository=app.config["SITE_NAME"], url_for=url_for)
        return
    tmp = Path(output).with_suffix(".partial")
    try:
        with open(tmp, "wb") as out:
            written = archive.oai.export_dc(SYSTEM, out, repository=app.config["SITE_NAME"], url_for=url_for)
        tmp.replace(output)
    finally:
        tmp.unlink(missing_ok=True)
    console.print(f"Wrote {written} public testimonies as Dublin Core to {output}")


def _export_exchange(audience, output, fmt, collection, targets, transcript):
    """One testimony as OHMS XML, or one of its transcripts as WebVTT or SRT (issue 14)."""
    from archive.errors import ValidationError
    if len(targets) != 1 or collection:
        raise ValidationError(f"usage: export --format {fmt} --audience A ID [--transcript KEY] [-o FILE]")
    archive = _archive()
    from archive.identity import Identity
    # The view of the chosen audience: the file holds nothing that audience may not see.
    identity = Identity(Audience.parse(audience), username=SYSTEM.username) if audience != "admin" else SYSTEM
    if fmt == "ohms":
        data = archive.exchange.ohms(identity, targets[0])
    else:
        if transcript is None:
            keys = [t["key"] for t in archive.testimonies.get(identity, targets[0])["transcripts"]]
            if not keys:
                raise ValidationError(f"testimony {targets[0]} has no transcript {audience} may read",
                                      field="transcript")
            transcript = keys[0]
        data = archive.exchange.captions(identity, targets[0], transcript, fmt).encode("utf-8")
    if output:
        tmp = Path(output).with_suffix(".partial")
        tmp.write_bytes(data)
        tmp.replace(output)
        console.print(f"Wrote {targets[0]} as {fmt} for {audience} to {escape(str(output))}", highlight=False)
    else:
        click.echo(data.decode("utf-8"), nl=False)


def _export_bag(audience, collection, targets):
    from archive.errors import ValidationError
    if len(targets) not in (1, 2) or (collection and len(targets) == 2):
        raise ValidationError("usage: export --format bagit --audience A [--collection SLUG | ID] DEST")
    accession_id, dest = (targets[0], targets[1]) if len(targets) == 2 else (None, targets[0])
    app = _app()
    archive = app.extensions["archive"]
    with _progress() as progress:
        task = progress.add_task("Bagging", total=None)
        result = archive.bags.export_bag(
            SYSTEM, dest, audience, collection=collection, accession_id=accession_id,
            organization=app.config["SITE_NAME"],
            progress=lambda n, total, _: progress.update(task, completed=n, total=total))
    console.print(f"Wrote a BagIt bag of {result['testimonies']} testimonies and {result['media']} media "
                  f"derivatives for {audience} to {escape(str(dest))}", highlight=False)


@cli.command()
def reindex():
    """Rebuild every audience's search index from the database, then swap it in."""
    archive = _archive()
    with _progress() as progress:
        step = _index_steps(progress)
        if archive.init(progress=step):  # already rebuilt (new indexes, or another engine's)
            counts = {name: len(archive.indexes.testimony_ids(name)) for name in archive.indexes.index_dirs()}
        else:
            counts = archive.index.reindex(SYSTEM, progress=step)
    for name, count in counts.items():
        console.print(f"{name}: {count} testimonies")


def _index_steps(progress):
    """A reindex progress callback drawing one bar per audience."""
    tasks = {}

    def step(name, count):
        if name not in tasks:
            tasks[name] = progress.add_task(f"Indexing {name}", total=None)
        progress.update(tasks[name], completed=count)
    return step


@cli.command()
def check():
    """Check that each audience's index holds exactly the testimonies that audience may see, and that
    no file of the archive is open to anyone but its owner."""
    app = _app()
    archive = app.extensions["archive"]
    if archive.read_only:
        archive.init()   # writes nothing there; refuses a schema this version cannot read
        console.print("This archive is read-only: edits are off. Only the checks that read were run.",
                      highlight=False)
    loose = private_files.loose(_private_paths(app))
    for path, mode in loose:
        console.print(f"[red]{oct(mode)}[/] {escape(str(path))}: open to others", highlight=False)
    if loose:
        console.print("[red]Files open to others: run `python -m app init` to make them the owner's only.[/]"
                      if not archive.read_only else
                      "[red]Files open to others: their modes cannot be changed while the archive is read-only.[/]")
    report = app.extensions["archive"].index.check(SYSTEM)
    table = Table("index", "missing", "should not be there")
    bad = False
    for name, result in report.items():
        bad |= bool(result["missing"] or result["unexpected"])
        table.add_row(name, ", ".join(result["missing"]) or "-", ", ".join(result["unexpected"]) or "-")
    console.print(table)
    if bad:
        console.print("[red]Indexes and database disagree: run `python -m app reindex`.[/]")
    else:
        console.print("Database and indexes agree for every audience.")
    if bad or loose:
        sys.exit(1)


@cli.group()
def user():
    """Manage accounts."""


def _password() -> str:
    return os.environ.get("ARCHIVE_PASSWORD") or click.prompt("Password", hide_input=True,
                                                              confirmation_prompt=True)


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
def user_add(name, role):
    """Add an account; the password comes from a prompt or ARCHIVE_PASSWORD."""
    archive = _archive()
    archive.init()
    archive.users.add(SYSTEM, name, role, _password())
    console.print(f"Added {name} ({role})")


@user.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
def user_set_role(name, role):
    """Change an account's role."""
    _archive().users.set_role(SYSTEM, name, role)
    console.print(f"{name} is now {role}")


@user.command("disable")
@click.argument("name")
def user_disable(name):
    """Disable an account; its sessions end at their next request."""
    _archive().users.disable(SYSTEM, name)
    console.print(f"Disabled {name}")


@cli.group()
def consent():
    """Consent records."""


@consent.command("withdraw")
@click.argument("accession_id")
@click.option("--reason", required=True, help="Why, in the narrator's or archivist's words.")
def consent_withdraw(accession_id, reason):
    """Withdraw consent: gone from every lower audience at once; a tombstone remains."""
    _archive().consent.withdraw(SYSTEM, accession_id, reason)
    console.print(f"Consent for {accession_id} withdrawn; a tombstone remains.")


@cli.command()
@click.option("--sound/--no-sound", default=True, show_default=True,
              help="Speak the timed demo transcripts with espeak-ng and attach them as recordings.")
def demo(sound):
    """Load the fictional demo collection and create demo accounts (once); print the logins."""
    app = _app()
    archive = app.extensions["archive"]
    archive.init()
    logins = Path(app.config["INSTANCE_PATH"]) / "demo-logins.txt"
    if not archive.testimonies.list(SYSTEM):
        result = archive.transfer.import_file(SYSTEM, DEMO_FILE, fictional=True)
        console.print(f"Loaded {len(result['testimonies'])} fictional demo testimonies.")
        if sound:
            _demo_recordings(archive)
    if not logins.exists():
        lines = []
        for name, role in DEMO_USERS:
            password = secrets.token_urlsafe(12)
            archive.users.add(SYSTEM, name, role, password)
            lines.append(f"{role:<11} {name:<11} {password}")
        fd = os.open(logins, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write("\n".join(lines) + "\n")
    console.print("Demo logins (also in " + str(logins) + "):")
    click.echo(logins.read_text())


def _demo_recordings(archive) -> None:
    from rich.progress import Progress

    from archive.demo import voices

    if not voices.available():
        console.print("No demo recordings: they are spoken by espeak-ng and encoded by ffmpeg "
                      "(apt-get install espeak-ng ffmpeg, then start again with an empty archive).")
        return
    document = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Speaking the demo transcripts", total=None)
        done = voices.add_recordings(archive, SYSTEM, document,
                                     progress=lambda n, total, accession: progress.update(task, completed=n,
                                                                                          total=total))
    console.print(f"Attached {done} fictional recordings (espeak-ng), each redaction silenced on them.")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
def serve(host, port, workers):
    """Serve the archive with gunicorn (a production WSGI server)."""
    from gunicorn.app.base import BaseApplication

    app = _app()
    app.extensions["archive"].init()
    if not app.extensions["archive"].read_only:
        private_files.tighten(_private_paths(app))
    # Workers fork from this process: let each open its own database connections.
    app.extensions["archive"].db.dispose()

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")

        def load(self):
            return app

    console.print(f"Serving the archive on http://{host}:{port}")
    notice = public_address.warning(app.config.get("PUBLIC_URL"), host)
    if notice:
        click.echo(notice, err=True)
    Server().run()


def _backup_passphrase(confirm: bool) -> str:
    from archive.errors import ValidationError

    if os.environ.get("ARCHIVE_BACKUP_PASSPHRASE"):
        return os.environ["ARCHIVE_BACKUP_PASSPHRASE"]
    if not sys.stdin.isatty():     # a prompt nobody can answer (cron, a pipe) would echo or hang
        raise ValidationError("the backup passphrase comes from ARCHIVE_BACKUP_PASSPHRASE or a prompt on a "
                              "terminal: set the variable")
    return click.prompt("Backup passphrase", hide_input=True, confirmation_prompt=confirm)


@cli.command()
@click.argument("dest", type=click.Path(file_okay=False))
@click.option("--encrypt", is_flag=True,
              help="Encrypt with a passphrase (from ARCHIVE_BACKUP_PASSPHRASE or a prompt).")
def backup(dest, encrypt):
    """Back up the running archive into a new folder: database snapshot, media, manifest of hashes."""
    from archive import backup as backups

    app = _app()
    archive = app.extensions["archive"]
    report = backups.backup(archive, dest, passphrase=_backup_passphrase(True) if encrypt else None)
    rows = report["rows"]
    console.print(f"Backup of {rows.get('testimonies', 0)} testimonies, {rows.get('users', 0)} accounts, "
                  f"{rows.get('audit_events', 0)} audit events, {rows.get('revisions', 0)} revisions and "
                  f"{rows.get('media_assets', 0)} media assets ({report['files']} files, {report['bytes']:,} "
                  f"bytes{', encrypted' if report['encrypted'] else ''}) written to {dest}", highlight=False)
    console.print(f"Not in it: the secret key (kept apart: keep your own copy of "
                  f"{Path(app.config['INSTANCE_PATH']) / 'secret_key'} or SECRET_KEY, or everyone signs in "
                  f"again); the search indexes (restore rebuilds them); the purge ledger "
                  f"{app.config['PURGE_LEDGER']} (kept apart, so a restore re-applies later purges).",
                  highlight=False)


@cli.command()
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@click.option("--purges", "ledgers", multiple=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="A purge ledger to honour as well as PURGE_LEDGER (e.g. a copy kept with the backups).")
@click.option("--no-purge-ledger", is_flag=True,
              help="Restore even though no purge ledger can be found (no purge since the backup is honoured).")
def restore(src, ledgers, no_purge_ledger):
    """Restore a backup into this empty instance; rebuild the indexes; re-apply later purges."""
    from archive import backup as backups

    archive = _archive()
    own = backups.ledger_of(archive)
    paths = [Path(p) for p in ledgers] + ([own] if own is not None and own.exists() else [])
    if not paths and not no_purge_ledger:
        paths = [own]        # missing: refused with the way out
    passphrase = _backup_passphrase(False) if backups.is_encrypted(src) else None
    report = backups.restore(archive, src, passphrase=passphrase, ledgers=paths)
    rows = report["rows"]
    console.print(f"Restored the backup of {report['created_at']}: {rows.get('testimonies', 0)} testimonies, "
                  f"{rows.get('users', 0)} accounts, {report['files']} files; search indexes rebuilt.",
                  highlight=False)
    for accession in report["withdrawals"]:
        console.print(f"Withdrawn again (purge ledger): {accession}", highlight=False)
    for accession in report["purges"]:
        console.print(f"Purged again (purge ledger): {accession}", highlight=False)
    if not paths:
        console.print("[yellow]No purge ledger was read: a purge made after this backup is not re-applied.[/]")


@cli.command()
@click.argument("accession_id")
@click.option("--style", default="chicago", show_default=True,
              type=click.Choice(["chicago", "apa", "bibtex", "ris", "csl-json"]),
              help="A citation style, or a reference manager's format (RIS, CSL-JSON).")
@click.option("--segment", metavar="KEY-SEQ", help="Cite one segment at its timecode (e.g. en-3).")
def cite(accession_id, style, segment):
    """Cite a testimony as the public sees it (its page's address from PUBLIC_URL)."""
    from archive.citation import cite as citation
    from archive.identity import ANONYMOUS
    app = _app()
    archive = app.extensions["archive"]
    view = archive.testimonies.get(ANONYMOUS, accession_id)
    url = (app.config["PUBLIC_URL"] or "").rstrip("/") + f"/testimonies/{accession_id}" + \
        (f"#seg-{segment}" if segment else "")
    try:
        text = citation(view, style, url, repository=app.config["SITE_NAME"], accessed=archive.today(),
                        segment=segment)
    except ValueError as exc:
        from archive.errors import ValidationError
        raise ValidationError(str(exc), record=accession_id, field="segment" if segment else "style") from None
    click.echo(text, nl=not text.endswith("\n"))


def main():
    os.umask(private_files.UMASK)  # whatever the shell's: everything the archive writes is the owner's only
    cli(prog_name="python -m app")


from . import cli_media  # noqa: E402,F401  (registers `media` and `fixity` on the group)
from . import cli_jobs  # noqa: E402,F401  (registers `worker` and `jobs` on the group)
