"""recall@k and nDCG@k on rankings small enough to compute by hand."""
import math

import pytest

from .metrics import dcg, ndcg_at, recall_at


def test_dcg_discounts_by_log2_of_rank_plus_one():
    # 3/log2(2) + 2/log2(3) + 1/log2(4) = 3 + 1.26186 + 0.5
    assert dcg([3, 2, 1]) == pytest.approx(4.761859507)


def test_ndcg_of_a_known_ranking():
    # Gains 3, 0, 2 -> DCG 3 + 0 + 2/2 = 4; ideal 3, 2 -> 3 + 2/log2(3) = 4.2618595.
    assert ndcg_at(["a", "x", "c"], {"a": 3, "c": 2}) == pytest.approx(4 / (3 + 2 / math.log2(3)))
    assert ndcg_at(["a", "x", "c"], {"a": 3, "c": 2}) == pytest.approx(0.9385575, abs=1e-6)


def test_ndcg_is_one_for_the_ideal_order_and_lower_when_grades_are_swapped():
    judged = {"a": 3, "b": 1}
    assert ndcg_at(["a", "b"], judged) == pytest.approx(1.0)
    # 1 + 3/log2(3) = 2.8927893 against 3 + 1/log2(3) = 3.6309298
    assert ndcg_at(["b", "a"], judged) == pytest.approx(0.7967076, abs=1e-6)


def test_nothing_found_scores_zero():
    assert ndcg_at([], {"a": 2}) == 0.0
    assert recall_at(["x", "y"], {"a": 2}) == 0.0


def test_only_the_first_k_count():
    judged = {"a": 1, "b": 1}
    ranking = [f"x{i}" for i in range(10)] + ["a", "b"]
    assert recall_at(ranking, judged, k=10) == 0.0
    assert recall_at(["a", "x", "b"], judged, k=2) == 0.5
    assert ndcg_at(["x", "a", "b"], judged, k=1) == 0.0


def test_ideal_is_cut_at_k_so_twelve_relevant_can_still_score_one():
    judged = {f"d{i}": 1 for i in range(12)}
    assert ndcg_at(list(judged), judged, k=10) == pytest.approx(1.0)
    assert recall_at(list(judged), judged, k=10) == pytest.approx(10 / 12)


def test_recall_ignores_grade_but_ndcg_does_not():
    judged = {"a": 3, "b": 1}
    assert recall_at(["b"], judged) == recall_at(["a"], judged) == 0.5
    assert ndcg_at(["a"], judged) > ndcg_at(["b"], judged)


def test_a_repeated_testimony_earns_its_gain_once():
    assert ndcg_at(["a", "a"], {"a": 3, "b": 3}) == pytest.approx(3 / (3 + 3 / math.log2(3)))


def test_a_query_without_relevant_testimonies_is_a_judging_error():
    with pytest.raises(ValueError):
        recall_at(["a"], {})
    with pytest.raises(ValueError):
        ndcg_at(["a"], {"a": 0})
