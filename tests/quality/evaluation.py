"""Running the judged queries against an archive holding the judged corpus."""
from __future__ import annotations

import datetime as dt
import json
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

from archive.audience import Audience
from archive.formats.json_format import parse_document
from archive.identity import SYSTEM, Identity
from archive.services import Archive

from .corpus import demo_document, real_document
from .metrics import ndcg_at, recall_at

JUDGEMENTS = Path(__file__).resolve().parent / "judged_queries.json"
K = 10
# The demo's embargoes are judged as of this day (the test suite's fixed clock).
TODAY = dt.date(2026, 11, 24)


@dataclass
class Judged:
    query: str
    audience: str
    relevant: dict[str, int]
    note: str = ""


@dataclass
class Measured:
    query: str
    audience: str
    recall: float
    ndcg: float
    ranking: list[str]
    missed: list[str]


def load_judgements(path: Path = JUDGEMENTS) -> list[Judged]:
    return [Judged(**item) for item in json.loads(path.read_text(encoding="utf-8"))]


def build_archive(directory: Path, database_url: str | None = None) -> Archive:
    """A fresh archive holding the real corpus and the demo collection: SQLite in `directory`, or the
    empty database at `database_url` (the PostgreSQL engine's)."""
    archive = Archive(database_url or f"sqlite:///{directory / 'archive.db'}", directory / "indexes",
                      directory / "media", clock=lambda: TODAY)
    archive.init()
    archive.transfer.import_document(SYSTEM, parse_document(real_document(), "realdata"), source="realdata")
    archive.transfer.import_document(SYSTEM, parse_document(demo_document(), "demo-collection.json"),
                                     source="demo-collection.json", fictional=True)
    return archive


def ranking(archive: Archive, query: str, audience: str, k: int = K) -> list[str]:
    result = archive.search.search(Identity(Audience.parse(audience)), query, page=1, pagesize=k)
    return [hit.accession_id for hit in result.testimonies]


def measure(archive: Archive, judged: Judged, k: int = K) -> Measured:
    ranked = ranking(archive, judged.query, judged.audience, k)
    return Measured(judged.query, judged.audience, recall_at(ranked, judged.relevant, k),
                    ndcg_at(ranked, judged.relevant, k), ranked,
                    sorted(doc for doc in judged.relevant if doc not in ranked[:k]))


def means(measured: list[Measured]) -> dict[str, float]:
    return {"recall@10": statistics.fmean(m.recall for m in measured),
            "ndcg@10": statistics.fmean(m.ndcg for m in measured)}


def as_json(measured: list[Measured]) -> dict:
    return {"k": K, "queries": [asdict(m) for m in measured], "means": means(measured)}
