"""Merge policy that physically drops deleted documents without rewriting
the whole index.

Whoosh only marks documents deleted; their terms and stored values stay in
the segment files until that segment is merged. Rewriting *every* segment
(optimize) costs time proportional to the whole archive in pure Python, so
instead every segment holding a deletion is rewritten (the writer copies
only live documents) and segments stay bounded in size.
"""
from __future__ import annotations

from whoosh.reading import SegmentReader


def purge_policy(segment_docs: int):
    small = max(1, segment_docs // 10)

    def policy(writer, segments):
        dirty = [s for s in segments if s.has_deletions()]
        clean = sorted((s for s in segments if not s.has_deletions()), key=lambda s: s.doc_count_all())
        size = (writer.docnum - writer.docbase) + sum(s.doc_count() for s in dirty)
        keep = []
        for seg in clean:
            # Fold small segments in too, so frequent small commits do not
            # pile up, but never grow the new segment past the bound.
            if seg.doc_count_all() < small and size + seg.doc_count_all() <= segment_docs:
                dirty.append(seg)
                size += seg.doc_count_all()
            else:
                keep.append(seg)
        for seg in dirty:
            reader = SegmentReader(writer.storage, writer.schema, seg)
            writer.add_reader(reader)
            reader.close()
        return keep

    return policy
