"""Exports of a collection or of the whole archive, made by a job and downloaded when ready.

An export reads every testimony it holds, so its time grows with the archive: in a web request it
would hold a server's worker for minutes and be killed by the server's timeout (issue 16). Staff ask
for one (`queue`), a worker writes it into the exports folder beside the media (shared by every
server), and the job's page offers it (`download`) to anyone whose audience may read it.

What would refuse the export (an audience above the caller's, redactions only an admin may export) is
checked when it is asked for, so the refusal is immediate; the job checks again as it writes. A file
is written under a temporary name and renamed when whole, so no server offers half an export. Files
older than KEEP_HOURS go when the next export finishes.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from ..audience import Audience
from ..errors import NotFound, PermissionDenied, ValidationError
from ..formats import bagit_format
from ..identity import Identity
from ..model import Collection, Job
from ..policy import gated
from .base import Service
from .transfer import TransferService, _Export

FORMATS = {"json": "JSON (the archive's own format)", "bag": "BagIt bag, zipped"}
KEEP_HOURS = 24


class ExportService(Service):
    def folder(self) -> Path:
        if self.archive.media_dir is None:
            raise ValidationError("this archive has no media folder to write exports into")
        return self.archive.media_dir / "exports"

    @gated("export.queue")
    def queue(self, identity: Identity, fmt: str, audience: Audience | str, *,
              collection: str | None = None, organization: str = "Testimony Archive") -> dict:
        """An export job (the one already waiting or running for the same export, else a new one);
        the job as `jobs.get` gives it (finished already when the queue is immediate)."""
        if fmt not in FORMATS:
            raise ValidationError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}",
                                  field="format")
        audience = TransferService._export_audience(identity, audience)
        with self.archive.db.session() as session:
            if collection and session.scalar(select(Collection.id).where(Collection.slug == collection)) is None:
                raise NotFound(f"no collection {collection}")
            _Export(self.archive.transfer, session, audience).refuse_early()
            self.archive.audit.record(session, identity, "export.queued", audience.label, format=fmt,
                                      collection=collection)
            session.commit()
        target = json.dumps({"f": fmt, "a": audience.label, "c": collection or None, "o": organization[:60]},
                            sort_keys=True, ensure_ascii=False)
        if len(target) > 200:
            raise ValidationError("the collection's key is too long for an export job", field="collection")
        job_id = self.archive.jobs.ensure_job("export", testimony=None, target=target, who=identity.describe(),
                                              wait_after_failure=False)
        return self.archive.jobs.get(identity, job_id)

    def build(self, job: dict, report) -> str:
        """The job's work (archive/services/jobs.py runs it in a worker): the file, then its name."""
        spec = json.loads(job["target"])
        audience = Audience.parse(spec["a"])
        # The archivist who asked passed the gate (`queue`); the job reads as the audience they chose.
        identity = Identity(audience, username=job["who"])
        folder = self.folder()
        folder.mkdir(parents=True, exist_ok=True)
        label = f"{spec['c'] or 'archive'}-{audience.label}"
        name = bagit_format._safe(f"{label}-bag") + ".zip" if spec["f"] == "bag" else f"{label}.json"
        final = folder / f"job-{job['id']}-{name}"
        tmp = Path(tempfile.mkdtemp(prefix=f".job-{job['id']}-", dir=folder))
        try:
            if spec["f"] == "bag":
                self._bag(identity, audience, spec["c"], spec.get("o") or "Testimony Archive", tmp, report)
            else:
                self._json(identity, spec["c"], tmp / "export", report)
            os.replace(tmp / "export", final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        with self.archive.db.session() as session:
            # The file now holds what this audience reads: recorded as the export itself (the request was
            # recorded as "export.queued").
            self.archive.audit.record(session, identity, "export", audience.label, format=spec["f"],
                                      collection=spec["c"], job=job["id"])
            session.commit()
        self._forget_old(folder)
        return f"Ready to download: {name} ({final.stat().st_size / 1e6:.1f} MB)."

    def _bag(self, identity: Identity, audience: Audience, collection: str | None, organization: str, tmp: Path,
             report) -> None:
        name = "bag"
        self.archive.bags.export_bag(identity, tmp / name, audience, collection=collection,
                                     organization=organization, progress=report)
        with open(tmp / "export", "wb") as out:
            for piece in bagit_format.zip_stream(tmp / name, name):
                out.write(piece)

    def _json(self, identity: Identity, collection: str | None, path: Path, report) -> None:
        with open(path, "w", encoding="utf-8") as out:
            for piece in self.archive.transfer.stream_for(identity, collection=collection, progress=report):
                out.write(piece)

    @staticmethod
    def _forget_old(folder: Path) -> None:
        cutoff = time.time() - KEEP_HOURS * 3600
        for path in folder.iterdir():
            try:
                if path.stat().st_mtime < cutoff:
                    shutil.rmtree(path) if path.is_dir() else path.unlink()
            except OSError:
                pass

    @gated("export.download")
    def download(self, identity: Identity, job_id) -> tuple[Path, str]:
        """The finished export of job `job_id` (its path and the name to download it as), to someone
        whose audience may read what it holds."""
        try:
            number = int(str(job_id))
        except ValueError:
            raise NotFound("no such export") from None
        with self.archive.db.session() as session:
            job = session.get(Job, number)
            if job is None or job.kind != "export":
                raise NotFound("no such export")
            state, target = job.state, json.loads(job.target)
        if Audience.parse(target["a"]) > identity.audience:
            raise PermissionDenied(f"{identity.describe()} may not read an export for {target['a']}")
        if state != "finished":
            raise NotFound("this export is not ready: its job has not finished")
        found = sorted(self.folder().glob(f"job-{number}-*")) if self.folder().is_dir() else []
        if not found:
            raise NotFound(f"this export is gone (exports are kept {KEEP_HOURS} hours): ask for it again")
        return found[0], found[0].name.split("-", 2)[2]
