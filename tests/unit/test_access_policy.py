"""The policy against an independent reading of the rule, for every state, audience and date."""
from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

import pytest

from archive import policy
from archive.audience import Audience
from archive.errors import PermissionDenied
from archive.identity import ANONYMOUS, Identity

EMBARGO = dt.date(2030, 1, 1)
DATES = {"day before": EMBARGO - dt.timedelta(days=1), "the day": EMBARGO,
         "day after": EMBARGO + dt.timedelta(days=1)}
SCOPE_ADMITS = {"open": {"public", "researcher", "archivist", "admin"},
                "researchers": {"researcher", "archivist", "admin"},
                "archive": {"archivist", "admin"}}


def expected(state, status, scope, embargo, audience, today) -> bool:
    """DESIGN.md: staff see everything; others only what is published, consented for their scope,
    and out of embargo (an embargo "until" a date is over on that date)."""
    if audience in ("archivist", "admin"):
        return True
    embargo_over = embargo is None or today >= embargo
    return state == "published" and status == "granted" and audience in SCOPE_ADMITS[scope] and embargo_over


CASES = list(itertools.product(("draft", "in_review", "published", "withdrawn"),
                               ("pending", "granted", "withdrawn"), ("open", "researchers", "archive"),
                               (None, EMBARGO), ("public", "researcher", "archivist", "admin"), DATES))


@pytest.mark.parametrize("state,status,scope,embargo,audience,when", CASES)
def test_visibility(state, status, scope, embargo, audience, when):
    testimony = SimpleNamespace(state=state, consent=SimpleNamespace(status=status, scope=scope,
                                                                      embargo_until=embargo))
    today = DATES[when]
    assert policy.can_see_testimony(testimony, Audience.parse(audience), today) == \
        expected(state, status, scope, embargo, audience, today)


def test_no_consent_record_means_staff_only():
    testimony = SimpleNamespace(state="published", consent=None)
    assert not policy.can_see_testimony(testimony, Audience.RESEARCHER, DATES["the day"])
    assert policy.can_see_testimony(testimony, Audience.ARCHIVIST, DATES["the day"])


def test_an_unknown_scope_admits_nobody_below_admin():
    testimony = SimpleNamespace(state="published", consent=SimpleNamespace(status="granted", scope="???",
                                                                            embargo_until=None))
    assert not policy.can_see_testimony(testimony, Audience.RESEARCHER, DATES["the day"])


def test_actions_without_a_rule_are_denied():
    admin = Identity(Audience.ADMIN)
    assert not policy.allowed(admin, "testimony.teleport")
    with pytest.raises(PermissionDenied):
        policy.require(admin, "testimony.teleport")
    with pytest.raises(ValueError):
        policy.gated("testimony.teleport")


def test_rules_rank_audiences():
    assert policy.allowed(ANONYMOUS, "search")
    assert not policy.allowed(ANONYMOUS, "testimony.write")
    assert policy.allowed(Identity(Audience.ARCHIVIST), "testimony.write")
    assert not policy.allowed(Identity(Audience.ARCHIVIST), "user.manage")


def test_gated_methods_take_the_identity_first():
    class Service:
        @policy.gated("search")
        def find(self, identity, query):
            return query

    assert Service().find.__gate__ == "search"
    assert Service().find(ANONYMOUS, "x") == "x"
    with pytest.raises(TypeError):
        Service().find("x", ANONYMOUS)
