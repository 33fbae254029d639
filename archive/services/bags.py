"""BagIt packages out (a testimony, a collection or the archive, as one audience sees it) and in
(a partner's bag: its fixity checked whole before anything is written, its JSON imported through
the same path as any JSON import, so the same publication gate and batches apply)."""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Callable

from sqlalchemy import select

from ..audience import Audience
from ..errors import NotFound, ValidationError
from ..formats import bagit_format, json_format, ohms_out, serialize
from ..identity import Identity
from ..intake import limits
from ..model import Collection, Testimony
from ..policy import gated
from ..views import view_for
from .base import Service
from .transfer import TransferService, _Export

Progress = Callable[[int, int, str], None]


class _Zipped:
    """The zipped bag's bytes; its temporary folder goes when the stream is read to its end or closed
    (the web server closes a response whose client left, even before its first byte)."""

    def __init__(self, tmp: Path, name: str):
        self.tmp = tmp
        self.pieces = bagit_format.zip_stream(tmp / name, name)

    def __iter__(self):
        try:
            yield from self.pieces
        finally:
            self.close()

    def close(self) -> None:
        self.pieces.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class BagService(Service):
    @gated("export.audience")
    def export_bag(self, identity: Identity, dest: str | Path, audience: Audience | str | None = None, *,
                   collection: str | None = None, accession_id: str | None = None,
                   organization: str = "Testimony Archive", progress: Progress | None = None) -> dict:
        """Write a BagIt 1.0 bag into the new folder `dest`: the testimony `accession_id`, the
        collection `collection`, or everything, as `audience` sees it. Built beside `dest` and renamed
        to it only when complete; nothing is left behind if it fails."""
        audience = TransferService._export_audience(identity, audience)
        dest = Path(dest)
        if dest.exists():
            raise ValidationError("already exists: a bag is written into a new folder", file=str(dest))
        if not dest.parent.is_dir():
            raise ValidationError("the folder to write the bag in does not exist", file=str(dest.parent))
        work = bagit_format.partial_folder(dest)
        try:
            summary = self._fill(identity, work, audience, collection, accession_id, progress)
            bagit_format.make(work, self._info(audience, collection, accession_id, organization, summary))
            work.rename(dest)
        except BaseException:
            bagit_format.remove(work)
            raise
        return {**summary, "path": str(dest)}

    @gated("export.audience")
    def export_bag_zip(self, identity: Identity, audience: Audience | str | None = None, *,
                       collection: str | None = None, accession_id: str | None = None,
                       organization: str = "Testimony Archive") -> tuple[str, object]:
        """The bag as a zip, streamed: (file name, iterator of bytes). The bag is made (and any refusal
        raised) before the first byte; its temporary folder goes when the stream ends or is dropped."""
        audience = TransferService._export_audience(identity, audience)
        name = bagit_format._safe(f"{accession_id or collection or 'archive'}-{audience.label}-bag")
        tmp = Path(tempfile.mkdtemp(prefix="bag-"))
        try:
            self.export_bag(identity, tmp / name, audience, collection=collection, accession_id=accession_id,
                            organization=organization)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

        return f"{name}.zip", _Zipped(tmp, name)

    def _ids(self, session, collection: str | None, accession_id: str | None) -> list[int] | None:
        if accession_id is not None and collection is not None:
            raise ValidationError("a bag holds one testimony or one collection: give one of them")
        if accession_id is not None:
            found = session.scalar(select(Testimony.id).where(Testimony.accession_id == accession_id))
            if found is None:
                raise NotFound(f"no testimony {accession_id}")
            return [found]
        if collection is not None:
            if session.scalar(select(Collection.id).where(Collection.slug == collection)) is None:
                raise NotFound(f"no collection {collection}")
            return list(session.scalars(select(Testimony.id).join(Collection).where(Collection.slug == collection)
                                        .order_by(Testimony.accession_id)))
        return None

    def _fill(self, identity: Identity, payload: Path, audience: Audience, collection: str | None,
              accession_id: str | None, progress: Progress | None) -> dict:
        with self.archive.db.session() as session:
            ids = self._ids(session, collection, accession_id)
            export = _Export(self.archive.transfer, session, audience, progress, ids=ids)
            if ids is None:
                export.refuse_early()
            items = []
            for item in export.items():
                bagit_format.render_testimony(payload, item, audience)
                self._ohms(session, payload, item["id"], audience, export.authorities)
                items.append(item)
            if accession_id is not None and not items:
                raise NotFound(f"{accession_id} is not visible to the {audience.label} audience")
            collections, places = export.records()
            document = serialize.document(collections, places, items, **export.head())
            bagit_format.write_file(payload, bagit_format.DOCUMENT,
                                    json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"))
            self.archive.audit.record(session, identity, "export.bagit", accession_id or collection or "",
                                      audience=audience.label, testimonies=len(items))
        media = self._media(identity, payload, audience, [item["id"] for item in items])
        return {"testimonies": len(items), "media": media, "audience": audience.label}

    def _ohms(self, session, payload: Path, accession_id: str, audience: Audience, authorities: dict) -> None:
        """The testimony's OHMS XML, made from the bag audience's view as its OHMS download is."""
        today = self.archive.today()
        view = view_for(self.load_testimony(session, accession_id), audience, today, authorities)
        if view is not None:
            bagit_format.write_file(payload, f"{bagit_format.testimony_folder(accession_id)}/ohms.xml",
                                    ohms_out.ohms_xml(view, today))

    def _media(self, identity: Identity, payload: Path, audience: Audience, accession_ids: list[str]) -> int:
        """The derivatives the audience may have (never an original): photos at each size, redacted
        for it; recordings with its ranges silenced. Asked for as that audience, through the gated
        media service, so a bag holds exactly what the audience's pages would serve."""
        if self.archive.media_dir is None:
            return 0
        viewer = Identity(audience, user_id=identity.user_id, username=identity.username)
        media = self.archive.media
        count = 0
        for accession in accession_ids:
            assets = [a for a in media.assets_for(viewer, accession) if a["kind"] in ("photo", "audio", "video")]
            folder = f"{bagit_format.testimony_folder(accession)}/media"
            listed = []
            for asset in assets:
                key = asset["id"]
                try:
                    if asset["kind"] == "photo":
                        files = {f"{size}.png": media.derivative(viewer, key, size) for size in asset["sizes"]}
                    else:
                        found = media.audio(viewer, key) if asset["kind"] == "audio" else media.video(viewer, key)
                        files = {f"{asset['kind']}{found['path'].suffix}": found["path"].read_bytes()}
                except NotFound:
                    continue    # (a derivative that cannot be made now is not heard on the pages either)
                for name, data in files.items():
                    bagit_format.write_file(payload, f"{folder}/{key}/{name}", data)
                listed.append({**asset, "files": sorted(files)})
                count += 1
            if listed:
                bagit_format.write_file(payload, f"{folder}/media.json",
                                        json.dumps(listed, ensure_ascii=False, indent=1).encode("utf-8"))
        return count

    def _info(self, audience: Audience, collection: str | None, accession_id: str | None, organization: str,
              summary: dict) -> dict:
        what = (f"testimony {accession_id}" if accession_id else
                f"collection {collection}" if collection else "the whole archive")
        return {
            "Source-Organization": organization,
            "External-Identifier": accession_id or (f"collection:{collection}" if collection else "archive"),
            "External-Description": f"{what} as the {audience.label} audience sees it: {summary['testimonies']} "
                                    f"testimonies ({json_format.FORMAT} in data/{bagit_format.DOCUMENT}), "
                                    f"{summary['media']} media derivatives",
            "Bagging-Date": self.archive.today().isoformat(),
            "Internal-Sender-Description": f"audience={audience.label}",
        }

    @gated("import")
    def import_bag(self, identity: Identity, path: str | Path, *, fictional: bool = False,
                   progress: Progress | None = None, resume: bool = False) -> dict:
        """Import a partner's bag (a folder, or a .zip of one): the whole bag is validated first
        (bagit.txt's exact form, every manifest and tag manifest, Payload-Oxum, completeness), then
        its data/archive.json is imported as any JSON file is. An invalid bag is refused with the
        reason and nothing is written."""
        path = Path(path)
        where = str(path)
        with tempfile.TemporaryDirectory(prefix="bag-in-") as tmp:
            folder = bagit_format.unpack(path, Path(tmp)) if path.is_file() else path
            bag = bagit_format.check(folder, where)
            document_path = bagit_format.payload_document(bag, where)
            size = document_path.stat().st_size
            if size > limits.MAX_JSON_BYTES:
                raise ValidationError(f"data/{bagit_format.DOCUMENT} is {size:,} bytes, over the limit of "
                                      f"{limits.MAX_JSON_BYTES:,} bytes for a JSON file; split the bag", file=where)
            raw = document_path.read_bytes()
            # Read once, then held to the manifests: a file changed since validation is refused.
            for algorithm, expected in bag.entries[f"data/{bagit_format.DOCUMENT}"].items():
                if hashlib.new(algorithm, raw).hexdigest() != expected.lower():
                    raise ValidationError(f"data/{bagit_format.DOCUMENT} changed after the bag was validated",
                                          file=where)
            name = f"{where}:data/{bagit_format.DOCUMENT}"
            document = json_format.parse_document(json_format.loads(raw, name), name)
        result = self.archive.transfer.import_document(identity, document, source=name, fictional=fictional,
                                                       progress=progress, resume=resume)
        return {**result, "bag": {k: v for k, v in bag.info.items() if isinstance(v, str)}}
