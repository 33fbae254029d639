"""Search, always in the caller's own audience index (built only from that audience's views)."""
from __future__ import annotations

from sqlalchemy import select

from ..identity import Identity
from ..model import Collection
from ..policy import gated
from ..search import SearchResult
from .base import Service

FILTER_KEYS = ("collection", "language", "place", "subject", "year")


class SearchService(Service):
    @gated("search")
    def search(self, identity: Identity, query: str, filters: dict[str, list[str]] | None = None,
               page: int = 1, pagesize: int = 20) -> SearchResult:
        filters = {k: [v for v in vs if v] for k, vs in (filters or {}).items() if k in FILTER_KEYS and vs}
        page = max(1, min(int(page), 500))
        return self.archive.indexes.search(identity.audience.index_name, query or "", filters,
                                           page=page, pagesize=pagesize)

    @gated("search")
    def facet_labels(self, identity: Identity, facets: dict[str, list]) -> dict[str, dict[str, str]]:
        """Display labels for the place and collection ids that the caller's own results hold."""
        with self.archive.db.session() as session:
            authorities = self.authorities(session)
            collections = dict(session.execute(select(Collection.slug, Collection.title)).all())
        places = [v for v, _ in facets.get("place", [])]
        held = [v for v, _ in facets.get("collection", [])]
        return {"place": {k: authorities[k].label for k in places if k in authorities},
                "collection": {k: collections[k] for k in held if k in collections}}

    @gated("search")
    def suggest(self, identity: Identity, prefix: str, limit: int = 10) -> list[str]:
        prefix = (prefix or "").strip()
        if len(prefix) < 2:
            return []
        return self.archive.indexes.suggest(identity.audience.index_name, prefix, limit=limit)
