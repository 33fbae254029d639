"""`python -m app media add` and `python -m app fixity`: media through the same intake as the browser."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.markup import escape

from archive.errors import ValidationError
from archive.identity import SYSTEM
from archive.views import MEDIA_KINDS

from .cli import _archive, _progress, cli, console
from .cli_jobs import finish_testimony_jobs


@cli.group()
def media():
    """Photos, recordings and documents attached to testimonies."""


@media.command("add")
@click.argument("accession_id")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--kind", type=click.Choice(MEDIA_KINDS), default="photo", show_default=True)
@click.option("--caption", default="", help="Public text shown with a photo, written by an archivist.")
def media_add(accession_id, file, kind, caption):
    """Attach FILE to testimony ACCESSION_ID (type checked from the content, not the name)."""
    path = Path(file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(exc.strerror or str(exc), file=str(path)) from None
    archive = _archive()
    archive.init()
    asset = archive.media.add(SYSTEM, accession_id, data, path.name, kind=kind, caption=caption)
    article = "an" if kind[0] in "aeiou" else "a"
    console.print(f"Attached {path.name} to {accession_id} as {article} {kind} ({asset['mime']}, "
                  f"{asset['bytes']:,} bytes, SHA-256 {asset['sha256']}); media id {asset['id']}",
                  highlight=False)
    if asset.get("warning"):
        console.print(f"[yellow]{asset['warning']}[/]", highlight=False)
    # The recording's versions for each audience: encoded here, with progress (the web app queues them).
    finish_testimony_jobs(archive, accession_id)
    waiting = [p for p in archive.media.placements(SYSTEM, asset["id"]) if p["on_recording"] and p["confirmed"] is None]
    if waiting:
        # Said at once: otherwise the recording silently stays away from readers.
        console.print("[yellow]Readers below archivist hear this recording only once each transcript redaction "
                      "is confirmed where it is heard: listen, then run `python -m app media place "
                      f"{asset['id']} REDACTION START END` for each of:[/]", highlight=False)
        for p in waiting:
            where = f"estimate {p['estimate'][0]:.1f}–{p['estimate'][1]:.1f} s" if p["estimate"] else "no estimate"
            console.print(escape(f"  {p['redaction']} ({p['replacement']}): {where}"), highlight=False)


@media.command("place")
@click.argument("media_id")
@click.argument("redaction")
@click.argument("start", type=float)
@click.argument("end", type=float)
def media_place(media_id, redaction, start, end):
    """Confirm that transcript redaction REDACTION is heard from START to END seconds on recording MEDIA_ID."""
    archive = _archive()
    archive.init()
    placed = archive.media.confirm_transcript_range(SYSTEM, media_id, redaction, start=start, end=end)
    finish_testimony_jobs(archive, archive.media.asset(SYSTEM, media_id)["accession_id"])
    left = [p["redaction"] for p in archive.media.placements(SYSTEM, media_id)
            if p["on_recording"] and p["confirmed"] is None]
    console.print(escape(f"Range {placed['key']} ({placed['start']:g}–{placed['end']:g} s) confirmed for {redaction}"
                         + (f"; still to place: {', '.join(left)}" if left else "; every transcript redaction is placed")),
                  highlight=False)


@cli.command()
@click.option("--repair", is_flag=True, help="Delete orphans: media files that no row owns (left by a "
              "process killed before its commit).")
@click.option("--grace", type=click.IntRange(min=0), default=180, show_default=True, metavar="MINUTES",
              help="A file no row owns counts as an orphan only once it is this old (younger, an intake "
                   "may still be writing it).")
def fixity(repair, grace):
    """Re-hash every original; report missing or changed files and orphans (exit status 1 if there are any)."""
    archive = _archive()
    with _progress() as progress:
        task = progress.add_task("Checking originals", total=None)
        report = archive.media.fixity(
            SYSTEM, progress=lambda n, total, _: progress.update(task, completed=n, total=total),
            repair=repair, grace=grace * 60)
    for problem in ("missing", "changed"):
        for sha in report[problem]:
            console.print(f"[red]{problem}:[/] {sha} ({', '.join(report['assets'][sha])})", highlight=False)
    removed = set(report["removed"])
    for name in report["orphans"]:
        console.print(f"{'removed' if name in removed else '[red]orphan:[/]'} {name}", highlight=False)
    plural = "" if report["checked"] == 1 else "s"
    console.print(f"Checked {report['checked']} original{plural}: {len(report['missing'])} missing, "
                  f"{len(report['changed'])} changed.", highlight=False)
    if report["orphans"]:
        console.print(f"{len(report['orphans'])} orphaned file{'' if len(report['orphans']) == 1 else 's'}: "
                      f"in the media store, owned by no media row.", highlight=False)
    if report["in_flight"]:
        console.print(f"{report['in_flight']} file(s) no row owns were written in the last {grace} minutes: "
                      f"an intake may still be running, so they are left alone.", highlight=False)
    if removed:
        console.print(f"Repaired: removed {len(removed)} orphaned file{'' if len(removed) == 1 else 's'}.",
                      highlight=False)
    elif report["orphans"]:
        console.print("Run `python -m app fixity --repair` to remove the orphans.", highlight=False)
    if not report["ok"]:
        sys.exit(1)
