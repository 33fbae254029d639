"""Search, always in the caller's own audience index (built only from that audience's views)."""
from __future__ import annotations

import re
import threading

from sqlalchemy import func, select

from ..audience import Audience
from ..identity import Identity
from ..model import AuditEvent, Authority, Collection, Redaction, SensitiveTerm, Testimony, Transcript
from ..policy import gated
from ..search import SearchResult
from ..search.expansion import name_key
from ..search.results import SORTS  # noqa: F401  (re-exported for the web layer)
from ..views import RTL_LANGUAGES, shows_name
from .base import Service

_RTL_SCRIPT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_LETTER = re.compile(r"[^\W\d_]")


def _language_in_script(text: str, languages: list[str]) -> str | None:
    """The one language of `languages` written in the script of `text` (right-to-left or not), else None."""
    if not text or not _LETTER.search(text):
        return None
    rtl = bool(_RTL_SCRIPT.search(text))
    fitting = [code for code in languages if (code.split("-")[0].lower() in RTL_LANGUAGES) == rtl]
    return fitting[0] if len(fitting) == 1 else None


FILTER_KEYS = ("collection", "language", "place", "subject", "role", "decade", "year", "audio")


class SearchService(Service):
    def __init__(self, archive):
        super().__init__(archive)
        self._variants: dict[str, tuple[tuple, list[list[str]]]] = {}
        self._hidden: tuple[int | None, set[tuple[str, ...]]] | None = None
        self._labels_of: dict[str, tuple[tuple, tuple[dict, dict]]] = {}
        self._lock = threading.Lock()

    @gated("search")
    def search(self, identity: Identity, query: str, filters: dict[str, list[str]] | None = None,
               page: int = 1, pagesize: int = 20, sort: str = "relevance", *,
               facet_counts: bool = True) -> SearchResult:
        filters = {k: [v for v in vs if v] for k, vs in (filters or {}).items() if k in FILTER_KEYS and vs}
        page = max(1, min(int(page), 500))
        # A process killed between a commit and its index write left the change pending: whoever
        # searches next (in any server) writes it, unless a writer is at work and will.
        self.archive.index.replay_pending(wait=False)
        variants = self._variant_groups(identity.audience)
        result = self.archive.indexes.search(identity.audience.index_name, query or "", filters,
                                             page=page, pagesize=pagesize, sort=sort, variants=variants)
        # A ticked facet keeps its other values listed with their counts (multi-select: values of
        # one facet are alternatives): its counts are those of the search without its own filter,
        # one more search per facet ticked. Counted in the same audience's index as the hits.
        if facet_counts and not result.error:
            for name in filters:
                others = {k: v for k, v in filters.items() if k != name}
                widened = self.archive.indexes.search(identity.audience.index_name, query or "", others,
                                                      page=1, pagesize=1, sort="relevance", variants=variants)
                if not widened.error and name in widened.facets:
                    result.facets[name] = widened.facets[name]
        return result

    @gated("search")
    def search_all(self, identity: Identity, query: str, filters: dict[str, list[str]] | None = None,
                   sort: str = "relevance", limit: int = 1000) -> SearchResult:
        """Up to `limit` testimonies of one search, for exports: the first page's result with the rest appended."""
        first = self.search(identity, query, filters, page=1, pagesize=100, sort=sort, facet_counts=False)
        page = 1
        while not first.error and len(first.testimonies) < min(first.total, limit):
            page += 1
            more = self.search(identity, query, filters, page=page, pagesize=100, sort=sort, facet_counts=False)
            if not more.testimonies:
                break
            first.testimonies.extend(more.testimonies)
        del first.testimonies[limit:]
        return first

    @gated("search")
    def hit_languages(self, identity: Identity, result: SearchResult) -> dict[str, dict]:
        """The languages of one page of hits, for `lang` and `dir` on the page: per testimony, each
        transcript's language by key ("transcripts") and the title's ("title": the one language of the
        testimony written in the title's script, else None). One query, bounded by the page's size;
        only testimonies already in the caller's results are looked up."""
        ids = [t.accession_id for t in result.testimonies][:200]
        if not ids:
            return {}
        with self.archive.db.session() as session:
            rows = session.execute(select(Testimony.accession_id, Testimony.languages,
                                          Transcript.key, Transcript.language)
                                   .outerjoin(Transcript, Transcript.testimony_id == Testimony.id)
                                   .where(Testimony.accession_id.in_(ids))).all()
        out: dict[str, dict] = {}
        for accession, languages, key, language in rows:
            entry = out.setdefault(accession, {"transcripts": {}, "title": None, "languages": list(languages or [])})
            if key:
                entry["transcripts"][key] = language
        for hit in result.testimonies:
            entry = out.get(hit.accession_id)
            if entry:
                entry["title"] = _language_in_script(hit.title, entry.pop("languages"))
        return out

    def _variant_groups(self, audience: Audience) -> list[list[str]]:
        """Authority names to widen queries with. Below archivist never a name that is, or holds, a
        sensitive term or a redacted text, so no expansion leads from a hidden name to the records it
        hides in; the index adds only the names its audience can already find (see Expander)."""
        index = audience.index_name
        with self.archive.db.session() as session:
            # A new sensitive term may leave every index document as it was, so the index version alone
            # would keep a stale answer; every write is audited, so the last audit event dates the rest.
            version = (self.archive.indexes.version(index), session.scalar(select(func.max(AuditEvent.id))))
        with self._lock:
            cached = self._variants.get(index)
        if cached and cached[0] == version:
            return cached[1]
        with self.archive.db.session() as session:
            groups = [[a.label, *(a.variants or [])] for a in session.scalars(select(Authority))]
            if audience < Audience.ARCHIVIST and groups:
                hidden = self._hidden_names(session, version[1])
                groups = [[n for n in g if shows_name(n, hidden)] for g in groups]
        with self._lock:
            self._variants[index] = (version, groups)
        return groups

    def _hidden_names(self, session, audited: int | None) -> set[tuple[str, ...]]:
        """The names no audience below archivist may be led to: every redacted text and sensitive term.
        The same for each such audience, and read again only after a write (as of the last audit event):
        every redaction in the archive is read, and the searches after a redaction wait for it."""
        with self._lock:
            cached = self._hidden
        if cached is not None and cached[0] == audited and audited is not None:
            return cached[1]
        hidden = {name_key(s) for s in session.scalars(select(Redaction.text)) if s}
        for term, variants in session.execute(select(SensitiveTerm.term, SensitiveTerm.variants)):
            hidden.update(name_key(v) for v in [term, *(variants or [])])
        hidden.discard(())
        with self._lock:
            self._hidden = (audited, hidden)
        return hidden

    @gated("search")
    def facet_labels(self, identity: Identity, facets: dict[str, list]) -> dict[str, dict[str, str]]:
        """Display labels for the place and collection ids that the caller's own results hold."""
        places, collections = self._labels(identity.audience.index_name)
        return {"place": {k: places[k] for k, _ in facets.get("place", []) if k in places},
                "collection": {k: collections[k] for k, _ in facets.get("collection", []) if k in collections}}

    def _labels(self, index: str) -> tuple[dict[str, str], dict[str, str]]:
        """Every place authority's label and collection's title by key, read again only after a write
        (as of the index's version and the last audit event, as _variant_groups): not every authority
        on every results page."""
        with self.archive.db.session() as session:
            version = (self.archive.indexes.version(index), session.scalar(select(func.max(AuditEvent.id))))
            with self._lock:
                cached = self._labels_of.get(index)
            if cached is not None and cached[0] == version and version[1] is not None:
                return cached[1]
            labels = (dict(session.execute(select(Authority.key, Authority.label)).all()),
                      dict(session.execute(select(Collection.slug, Collection.title)).all()))
        with self._lock:
            self._labels_of[index] = (version, labels)
        return labels

    @gated("search")
    def suggest(self, identity: Identity, prefix: str, limit: int = 10) -> list[str]:
        prefix = (prefix or "").strip()
        if len(prefix) < 2:
            return []
        index = identity.audience.index_name
        found = list(self.archive.indexes.suggest(index, prefix, limit=limit))
        if len(found) < limit and len(prefix) >= 4:
            # A misspelt word ("Raqa") starts no word of the index: offer the spelling search would
            # suggest, from the same audience's index; not a shorter word the reader has typed past
            # ("had" for "hadd"), which completes nothing.
            correction = self.archive.indexes.did_you_mean(index, prefix)
            if correction and not prefix.lower().startswith(correction.lower()) and correction not in found:
                found.append(correction)
        return found
