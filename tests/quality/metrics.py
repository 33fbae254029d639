"""Ranking metrics over graded judgements: recall@k and nDCG@k (Jarvelin & Kekalainen, 2002).

Gains are the judged grades themselves (1-3) with a log2(rank + 1) discount; the ideal ranking
is the judgements sorted by grade, so a query is scored against what could have been found.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence


def recall_at(ranking: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    """Share of the relevant testimonies found in the first k, whatever their grade."""
    wanted = {doc for doc, grade in relevant.items() if grade > 0}
    if not wanted:
        raise ValueError("a judged query needs at least one relevant testimony")
    return len(wanted & set(ranking[:k])) / len(wanted)


def dcg(gains: Sequence[float]) -> float:
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, 1))


def ndcg_at(ranking: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    ideal = dcg(sorted((g for g in relevant.values() if g > 0), reverse=True)[:k])
    if not ideal:
        raise ValueError("a judged query needs at least one relevant testimony")
    # A testimony listed twice earns its gain once: a ranking cannot beat the ideal by repeating.
    seen: set[str] = set()
    gains = []
    for doc in ranking[:k]:
        gains.append(0 if doc in seen else relevant.get(doc, 0))
        seen.add(doc)
    return dcg(gains) / ideal
