"""The sensitive-term register (per testimony and archive-wide), where its terms still show
unredacted, and "redact all" as proposals.

A term is looked for in every spelling and script it is registered with (archive.scanning), in
every text an audience below archivist could be shown. Terms also decide which place variants the
lower views and search expansion hide (archive.views.hidden_names), so a change re-indexes the
testimonies whose views it changes.

A narrator's legal name is a term of every testimony the narrator is in (archive.narrator_names):
derived at each scan, it has no row, and is addressed as "narrator-<key>" where a row has its id.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from ..audience import Audience
from ..errors import ConflictError, NotFound, PermissionDenied, ValidationError
from ..formats import serialize
from ..identity import Identity
from ..model import Authority, SensitiveTerm, Testimony
from ..narrator_names import TERM_ID as NARRATOR_TERM, narrator_terms
from ..policy import gated
from ..scanning import Finding, find_terms, scan_record, scan_record_identifiers
from ..scanning.offsets import fold_text
from ..scanning.patterns import spelling_words
from ..scanning.terms import Term
from ..search.expansion import name_key
from ..views import hidden_names, shows_name
from ..vocabulary import REDACTABLE_FIELDS, REDACTION_CATEGORIES
from .base import Service
from .gate import protective
from .redactions import propose

MAX_LENGTH = 300
# A term is staff's own tool: no audience below archivist ever reads one.
TERM_AUDIENCES = ("archivist", "admin")
DEFAULT_REPLACEMENT = "[name withheld]"


def archive_wide(session: Session) -> list[SensitiveTerm]:
    return list(session.scalars(select(SensitiveTerm).where(SensitiveTerm.testimony_id.is_(None))
                                .order_by(SensitiveTerm.id)))


def _as_term(row: SensitiveTerm | Term) -> Term:
    if isinstance(row, Term):
        return row
    return Term(row.term, tuple(row.variants or ()), row.category or "other")


def terms_of(session: Session, testimony: Testimony,
             wide: list[SensitiveTerm] | None = None) -> list[tuple[int | str, Term, SensitiveTerm | None]]:
    """(id, term, row) for every term looked for in the testimony: its own, the archive-wide ones and
    its narrators' legal names. A registered term that is a narrator's name (an OHMS import registers
    its interviewees) stays one term, given the name's parts, so no occurrence is reported twice."""
    rows = [*sorted(testimony.sensitive_terms, key=lambda r: r.id),
            *(archive_wide(session) if wide is None else wide)]
    entries: list[tuple[int | str, Term, SensitiveTerm | None]] = [(r.id, _as_term(r), r) for r in rows]
    for term_id, name in narrator_terms(testimony):
        same = next((i for i, (_, t, _) in enumerate(entries) if fold_text(t.term) == fold_text(name.term)), None)
        if same is None:
            entries.append((term_id, name, None))
            continue
        row_id, term, row = entries[same]
        known = {fold_text(s) for s in term.spellings}
        extra = tuple(v for v in name.variants if fold_text(v) not in known)
        entries[same] = (row_id, Term(term.term, (*term.variants, *extra), term.category), row)
    return entries


def unredacted(testimony: Testimony, terms: list[SensitiveTerm | Term]) -> list[Finding]:
    """Occurrences of `terms` that an audience below archivist could read in this testimony:
    outside every span redaction (proposed or approved, as the views apply them) and outside
    field-redacted fields."""
    if not terms:
        return []
    record = serialize.full_testimony(testimony)
    record["shown_names"] = _shown_names(testimony)
    return scan_record(record, [_as_term(t) for t in terms], record["redactions"])


def _shown_names(testimony: Testimony) -> dict[str, list[str]]:
    """Names a reader is shown beside the record's own fields: its places' labels and variants (on the
    page, in facets, in search expansion), its collection's title and description, its photos' captions."""
    session = object_session(testimony)
    labels: list[str] = []
    if session is not None and testimony.places:
        # A variant the views hide below archivist (it holds a hidden name) is the authority doing its
        # job; a label is always shown, so a label that is a term is always a finding.
        hidden = hidden_names(testimony, Audience.RESEARCHER)
        for authority in session.scalars(select(Authority).where(Authority.key.in_(list(testimony.places)))):
            labels += [authority.label, *(v for v in authority.variants or [] if shows_name(v, hidden))]
    collection = testimony.collection
    return {"places.label": labels,
            "collection": [collection.title, collection.description or ""] if collection is not None else [],
            "media.caption": [m.caption for m in testimony.media if m.caption]}


def scan_testimony(session: Session, testimony: Testimony) -> list[Finding]:
    """Unredacted occurrences of the testimony's own, the archive-wide and its narrators' terms."""
    return unredacted(testimony, [term for _, term, _ in terms_of(session, testimony)])


def findings_summary(session: Session, testimony: Testimony, wide: list[SensitiveTerm],
                     audience: Audience) -> dict | None:
    """Where terms still show unredacted in a testimony, as a dashboard lists it (terms the audience
    may not read counted, not named); None where none shows."""
    found = unredacted(testimony, [term for _, term, _ in terms_of(session, testimony, wide)])
    if not found:
        return None
    hidden = hidden_keys([*testimony.sensitive_terms, *wide], audience)
    return {"accession_id": testimony.accession_id, "title": testimony.title, "state": testimony.state,
            "count": len(found), "terms": sorted({f.occurrence.term_key for f in found} - hidden),
            "restricted": sum(1 for f in found if f.occurrence.term_key in hidden)}


def readable(row: SensitiveTerm, audience: Audience) -> bool:
    """May `audience` read the term itself (its name and variants)?"""
    return audience >= Audience.parse(row.visible_to or "archivist")


def hidden_keys(rows: list[SensitiveTerm], audience: Audience) -> set[str]:
    """The keys (as findings name terms) of the terms `audience` may not read. A key that a term it
    may read shares stays shown: the reader knows that name already."""
    return {r.term for r in rows if not readable(r, audience)} - {r.term for r in rows if readable(r, audience)}


def describe(findings: list[Finding], hidden: set[str] = frozenset()) -> str:
    """'Khaled Mansour' ×2 (transcript en), ... : for the reasons publishing is refused. A term in
    `hidden` (the caller may not read it) is counted and placed, never named."""
    by_term: dict[str, list[Finding]] = {}
    for f in findings:
        by_term.setdefault(f.occurrence.term_key, []).append(f)
    parts = []
    for term, found in by_term.items():
        where = sorted({_where(f) for f in found})
        name = "a term restricted to admins" if term in hidden else repr(term)
        parts.append(f"{name} ×{len(found)} ({', '.join(where)})")
    return ", ".join(parts)


def _where(f: Finding) -> str:
    loc = f.location
    if loc.transcript is not None:
        return f"transcript {loc.transcript}" if loc.field == "text" else f"segment {loc.field}s of {loc.transcript}"
    return loc.field.replace("_", " ")


def _term_audience(identity: Identity, visible_to: str) -> str:
    try:
        audience = Audience.parse(visible_to)
    except ValueError as exc:
        raise ValidationError(str(exc), field="visible_to") from None
    if audience.label not in TERM_AUDIENCES:
        raise ValidationError(f"a sensitive term is shown to {' or '.join(TERM_AUDIENCES)}, not {audience.label}",
                              field="visible_to")
    if audience > identity.audience:
        raise PermissionDenied(f"{identity.describe()} may not register a term restricted to {audience.label}s")
    return audience.label


def _require_readable(identity: Identity, row: SensitiveTerm) -> None:
    if not readable(row, identity.audience):
        raise PermissionDenied(f"sensitive term {row.id} is restricted to {row.visible_to}s")


def _clean(term: str, variants, category: str) -> tuple[str, list[str], str]:
    term = " ".join((term or "").split())
    if not term:
        raise ValidationError("a sensitive term cannot be empty", field="term")
    if isinstance(variants, str):
        variants = variants.splitlines()
    cleaned: list[str] = []
    seen = {fold_text(term)}
    for i, variant in enumerate(variants or ()):
        if not isinstance(variant, str):
            raise ValidationError(f"variant #{i + 1} is not text", field="variants")
        variant = " ".join(variant.split())
        if variant and fold_text(variant) not in seen:
            seen.add(fold_text(variant))
            cleaned.append(variant)
    for i, spelling in enumerate([term, *cleaned]):
        field = "term" if i == 0 else "variants"
        if len(spelling) > MAX_LENGTH:
            raise ValidationError(f"{spelling[:40]!r}… is longer than {MAX_LENGTH} characters", field=field)
        if not any(c.isalnum() for c in spelling) or not spelling_words(spelling):
            raise ValidationError(f"{spelling!r} has no letters or digits to look for", field=field)
    if category not in REDACTION_CATEGORIES:
        raise ValidationError(f"unknown category {category!r} (categories: {', '.join(REDACTION_CATEGORIES)})",
                              field="category")
    return term, cleaned, category


def _names(*terms: tuple[str, list[str]]) -> set[tuple[str, ...]]:
    names = {name_key(n) for term, variants in terms for n in [term, *variants]}
    names.discard(())
    return names


class SensitiveTermService(Service):
    @gated("sensitive.read")
    def list(self, identity: Identity, accession_id: str | None = None) -> list[dict]:
        """A testimony's own terms, or (no accession id) the archive-wide ones."""
        with self.archive.db.session() as session:
            if accession_id is None:
                rows = archive_wide(session)
            else:
                rows = sorted(self.get_testimony(session, accession_id).sensitive_terms, key=lambda r: r.id)
            return [self._dict(r, accession_id) for r in rows if readable(r, identity.audience)]

    @gated("sensitive.write")
    def add(self, identity: Identity, term: str, *, variants=(), category: str = "other",
            accession_id: str | None = None, visible_to: str = "archivist") -> dict:
        term, variants, category = _clean(term, variants, category)
        visible_to = _term_audience(identity, visible_to)
        with self.archive.unit_of_work() as session:
            testimony = self.get_testimony(session, accession_id) if accession_id is not None else None
            self._refuse_duplicate(session, testimony, term, identity.audience)
            row = SensitiveTerm(term=term, variants=variants, category=category, visible_to=visible_to)
            if testimony is not None:
                testimony.sensitive_terms.append(row)
            else:
                session.add(row)
            session.flush()
            self._written(session, identity, "sensitive.add", row, testimony, f"sensitive term {row.id} added",
                          _names((term, variants)))
            return self._dict(row, accession_id)

    @gated("sensitive.write")
    def edit(self, identity: Identity, term_id: int, *, term: str, variants=(), category: str = "other",
             visible_to: str | None = None) -> dict:
        """Without `visible_to` the term keeps its audience."""
        term, variants, category = _clean(term, variants, category)
        with self.archive.unit_of_work() as session:
            row = self._row(session, term_id)
            _require_readable(identity, row)
            visible_to = _term_audience(identity, visible_to or row.visible_to or "archivist")
            testimony = self._owner(session, row)
            if fold_text(term) != fold_text(row.term):
                self._refuse_duplicate(session, testimony, term, identity.audience)
            names = _names((row.term, list(row.variants or ())), (term, variants))
            row.term, row.variants, row.category, row.visible_to = term, variants, category, visible_to
            self._written(session, identity, "sensitive.edit", row, testimony, f"sensitive term {row.id} edited",
                          names)
            return self._dict(row, testimony.accession_id if testimony else None)

    @gated("sensitive.write")
    def remove(self, identity: Identity, term_id: int) -> dict:
        with self.archive.unit_of_work() as session:
            row = self._row(session, term_id)
            _require_readable(identity, row)
            testimony = self._owner(session, row)
            names = _names((row.term, list(row.variants or ())))
            if testimony is not None:
                testimony.sensitive_terms.remove(row)
            else:
                session.delete(row)
            session.flush()
            self._written(session, identity, "sensitive.remove", row, testimony, f"sensitive term {term_id} removed",
                          names)
            return {"id": row.id, "removed": True,
                    "testimony": testimony.accession_id if testimony is not None else None}

    @gated("sensitive.read")
    def findings(self, identity: Identity, accession_id: str) -> dict:
        """As `_findings`, without the terms the caller may not read: their occurrences are only
        counted ("restricted"), since an occurrence's text is the term."""
        result = self._findings(identity, accession_id)
        hidden = {t["id"] for t in result["terms"]
                  if identity.audience < Audience.parse(t.get("visible_to") or "archivist")}
        shown = [o for o in result["occurrences"] if o["term_id"] not in hidden]
        return {**result, "terms": [t for t in result["terms"] if t["id"] not in hidden], "occurrences": shown,
                "restricted": len(result["occurrences"]) - len(shown)}

    def _findings(self, identity: Identity, accession_id: str) -> dict:
        """Unredacted occurrences of the testimony's and the archive-wide terms, and identifiers
        (phone numbers, e-mails, ...) that look worth redacting; every offset a code point."""
        with self.archive.db.session() as session:
            testimony = self.get_testimony(session, accession_id)
            entries = terms_of(session, testimony)
            record = serialize.full_testimony(testimony)
            found = unredacted(testimony, [term for _, term, _ in entries])
            identifiers = scan_record_identifiers(record, record["redactions"])
            ids_by_key: dict[str, int | str] = {}
            for term_id, term, _ in entries:
                ids_by_key.setdefault(term.term, term_id)
            summary = []
            for term_id, term, row in entries:
                described = self._dict(row, accession_id) if row is not None else \
                    self._narrator_dict(term_id, term, accession_id)
                summary.append({**described, "variants": list(term.variants),
                                "suggested_replacement": self._replacement_for(testimony, term)})
            # Beside each occurrence, what "redact all" would put there: the reviewer sees the
            # whole outcome, not a count.
            proposed = {s["id"]: s["suggested_replacement"] or DEFAULT_REPLACEMENT for s in summary}
            occurrences = [{**self._location(f.location), "term_id": ids_by_key.get(f.occurrence.term_key),
                            "term": f.occurrence.term_key, "variant": f.occurrence.variant,
                            "category": f.occurrence.category, "start": f.occurrence.start,
                            "end": f.occurrence.end, "text": f.occurrence.matched_text,
                            "partly_redacted": f.occurrence.partly_redacted,
                            "proposed": self._proposal(f, proposed.get(ids_by_key.get(f.occurrence.term_key)))}
                           for f in found]
            for s in summary:
                s["count"] = sum(1 for o in occurrences if o["term_id"] == s["id"])
            return {"accession_id": accession_id, "terms": summary, "occurrences": occurrences,
                    "identifiers": [{**self._location(i.location), "kind": i.suggestion.kind,
                                     "start": i.suggestion.start, "end": i.suggestion.end,
                                     "text": i.suggestion.text} for i in identifiers]}

    @gated("sensitive.read")
    def archive_findings(self, identity: Identity) -> list[dict]:
        """Testimonies (not withdrawn) where a sensitive term still shows unredacted."""
        with self.archive.db.session() as session:
            wide = archive_wide(session)
            found = (findings_summary(session, t, wide, identity.audience)
                     for t in self.all_testimonies(session) if t.state != "withdrawn")
            return [f for f in found if f]

    @gated("redaction.write")
    def redact_all(self, identity: Identity, accession_id: str, term_id: int, *, replacement: str | None = None,
                   category: str | None = None, reason: str = "", visible_to: str = "archivist") -> dict:
        """Propose a redaction for every unredacted occurrence of one term in one testimony, all in
        one unit of work: transcript occurrences as spans with one consistent replacement (the
        archivist's, or the one this testimony already uses for the term), occurrences in a
        redactable field as a field redaction. Segment titles, synopses, keywords, subjects and
        names cannot be redacted: they are returned under "left", to be edited."""
        self._refuse_hidden(identity, term_id)
        with self.archive.unit_of_work() as session:
            testimony = self.get_testimony(session, accession_id)
            entry = next((e for e in terms_of(session, testimony) if str(e[0]) == str(term_id).strip()), None)
            if entry is None:
                self._row(session, term_id)         # "no sensitive term N" when there is none at all
                raise NotFound(f"no sensitive term {term_id} on {accession_id}")
            entry_id, term, _ = entry
            found = unredacted(testimony, [term])
            if not found:
                raise ValidationError(f"{term.term!r} has no unredacted occurrence", record=accession_id)
            replacement = (replacement or "").strip() or self._replacement_for(testimony, term)
            if not replacement:
                raise ValidationError("choose a replacement (e.g. [Narrator's cousin])", record=accession_id,
                                      field="replacement")
            category = category or (term.category if term.category in REDACTION_CATEGORIES else "other")
            common = {"category": category, "reason": reason, "visible_to": visible_to}
            proposed, left, fields = [], [], set()
            for f in found:
                loc, occ = f.location, f.occurrence
                if loc.field == "text":
                    r = propose(session, self.archive, identity, testimony, replacement=replacement,
                                transcript=loc.transcript, start=occ.start, end=occ.end, text=occ.matched_text,
                                **common)
                elif loc.transcript is None and loc.field in REDACTABLE_FIELDS:
                    if loc.field in fields:
                        continue
                    fields.add(loc.field)
                    whole = getattr(testimony, loc.field)
                    shown = replacement if whole == occ.matched_text or whole == [occ.matched_text] \
                        else f"[{loc.field.replace('_', ' ')} withheld]"
                    r = propose(session, self.archive, identity, testimony, replacement=shown, field=loc.field,
                                **common)
                else:
                    left.append({**self._location(loc), "text": occ.matched_text})
                    continue
                proposed.append(r.key)
            self.archive.audit.record(session, identity, "sensitive.redact_all", accession_id, term_id=entry_id,
                                      proposed=proposed, left=len(left))
            self.archive.index.sync(session, testimony)
            return {"accession_id": accession_id, "term_id": entry_id, "replacement": replacement,
                    "proposed": proposed, "left": left}

    # -- helpers ----------------------------------------------------------------------------------

    def _written(self, session: Session, identity: Identity, action: str, row: SensitiveTerm,
                 testimony: Testimony | None, summary: str, names: set[tuple[str, ...]]) -> None:
        # The append-only audit log outlives a purge, so it keeps the term's id and category, never
        # the name itself; the revision (staff-only, purged with the testimony) keeps the words.
        target = testimony.accession_id if testimony is not None else "archive-wide"
        self.archive.audit.record(session, identity, action, target, term_id=row.id, category=row.category,
                                  variants=len(row.variants or ()))
        if testimony is not None:
            self.archive.audit.revision(session, identity, testimony.accession_id, summary, {
                "sensitive_terms": [{"id": s.id, "term": s.term, "variants": list(s.variants or []),
                                     "category": s.category, "visible_to": s.visible_to}
                                    for s in testimony.sensitive_terms]})
        # A term registered is protection: a published testimony where it shows is held, not a refusal.
        protective(session)
        if testimony is not None:
            affected = [testimony]
        else:
            showing = self._showing(session, names)
            affected = showing + [t for t in self._reaching_readers(session) if t not in showing]
        if affected:
            self.archive.index.sync(session, *affected)

    def _reaching_readers(self, session: Session) -> list[Testimony]:
        """Published testimonies with consent for a scope below archivist: an archive-wide term is
        looked for in each, in the same unit of work, so that none shows it after the call returns.
        (Proportional to the archive; registering an archive-wide term is a rare, deliberate act.)"""
        return [t for t in self.all_testimonies(session)
                if t.state == "published" and t.consent is not None and t.consent.status == "granted"
                and t.consent.scope in ("open", "researchers")]

    def _showing(self, session: Session, names: set[tuple[str, ...]]) -> list[Testimony]:
        """Testimonies whose lower views show a place name holding one of these names: the ones an
        archive-wide term changes (views.hidden_names hides such variants below archivist)."""
        if not names:
            return []
        authorities = self.authorities(session)
        holding = {key for key, a in authorities.items()
                   if any(not shows_name(v, names) for v in [a.label, *(a.variants or [])])}
        if not holding:
            return []
        return [t for t in self.all_testimonies(session) if holding.intersection(t.places or [])]

    @staticmethod
    def _refuse_duplicate(session: Session, testimony: Testimony | None, term: str, audience: Audience) -> None:
        rows = testimony.sensitive_terms if testimony is not None else archive_wide(session)
        # Only against terms the caller may read: refusing a name because a term hidden from them
        # holds it would tell them whom that term protects.
        if any(fold_text(r.term) == fold_text(term) for r in rows if readable(r, audience)):
            where = testimony.accession_id if testimony is not None else "the archive-wide register"
            raise ConflictError(f"{term!r} is already a sensitive term of {where}", field="term")

    def _refuse_hidden(self, identity: Identity, term_id) -> None:
        """Acting on a term (redacting every occurrence of it) shows it: only to whom may read it."""
        if not str(term_id).strip().isdigit():
            return
        with self.archive.db.session() as session:
            row = session.get(SensitiveTerm, int(term_id))
            if row is not None:
                _require_readable(identity, row)

    @staticmethod
    def _row(session: Session, term_id) -> SensitiveTerm:
        try:
            row = session.get(SensitiveTerm, int(term_id))
        except (TypeError, ValueError):
            row = None
        if row is None:
            raise NotFound(f"no sensitive term {term_id}")
        return row

    def _owner(self, session: Session, row: SensitiveTerm) -> Testimony | None:
        if row.testimony_id is None:
            return None
        testimony = session.get(Testimony, row.testimony_id)
        return self.get_testimony(session, testimony.accession_id)

    @staticmethod
    def _replacement_for(testimony: Testimony, row: SensitiveTerm | Term) -> str | None:
        """The replacement this testimony already shows for the term, so a pseudonym stays consistent."""
        term = _as_term(row)
        for r in sorted(testimony.redactions, key=lambda r: r.id or 0, reverse=True):
            if r.text and find_terms(r.text, [term]):
                return r.replacement
        return None

    @staticmethod
    def _location(loc) -> dict:
        return {"field": loc.field, "transcript": loc.transcript, "segment": loc.segment, "index": loc.index}

    @staticmethod
    def _proposal(f: Finding, replacement: str | None) -> str:
        """What "redact all" would show here; text only redactions can cover stays to be edited."""
        loc = f.location
        if loc.field == "text" or (loc.transcript is None and loc.field in REDACTABLE_FIELDS):
            return replacement or DEFAULT_REPLACEMENT
        return f"edit the {loc.field.replace('_', ' ').replace('narrators.', 'narrator ')}"

    @staticmethod
    def _narrator_dict(term_id: str, term: Term, accession_id: str) -> dict:
        return {"id": term_id, "term": term.term, "variants": list(term.variants), "category": term.category,
                "testimony": accession_id, "narrator": term_id.removeprefix(NARRATOR_TERM)}

    @staticmethod
    def _dict(row: SensitiveTerm, accession_id: str | None) -> dict:
        return {"id": row.id, "term": row.term, "variants": list(row.variants or []), "category": row.category,
                "visible_to": row.visible_to or "archivist",
                "testimony": accession_id if row.testimony_id is not None else None}
