"""The access policy, checked against an independent reading of DESIGN.md's rule.

"A testimony reaches an audience only if it is published, its consent is granted for that
audience's scope, and no embargo is running"; archivists and admins (staff) see everything.
"""
from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace

import pytest

from archive import policy
from archive.audience import Audience
from archive.errors import NotFound, PermissionDenied
from archive.identity import ANONYMOUS, SYSTEM, Identity, for_role

EMBARGO = dt.date(2030, 1, 1)
# when -> (embargo_until, today)
WHEN = {
    "day before the embargo ends": (EMBARGO, EMBARGO - dt.timedelta(days=1)),
    "the day the embargo ends": (EMBARGO, EMBARGO),
    "day after the embargo ends": (EMBARGO, EMBARGO + dt.timedelta(days=1)),
    "no embargo": (None, EMBARGO - dt.timedelta(days=1)),
}
STATUSES = ("pending", "granted", "withdrawn")
SCOPES = ("open", "researchers", "archive")
STATES = ("draft", "in_review", "published", "withdrawn")
AUDIENCES = ("public", "researcher", "archivist", "admin")

# Written from DESIGN.md ("Audiences"), not from archive/audience.py.
WHO_A_SCOPE_ADMITS = {
    "open": ("public", "researcher", "archivist", "admin"),
    "researchers": ("researcher", "archivist", "admin"),
    "archive": ("archivist", "admin"),
}


def reaches(status: str, scope: str, state: str, audience: str, embargo_until, today) -> bool:
    if audience in ("archivist", "admin"):
        return True
    if state != "published":
        return False
    if status != "granted":
        return False
    if audience not in WHO_A_SCOPE_ADMITS[scope]:
        return False
    # "embargo until D": D is the first day the testimony may be read.
    if embargo_until is not None and not (today >= embargo_until):
        return False
    return True


def stand_in(status: str, scope: str, state: str, embargo_until) -> SimpleNamespace:
    return SimpleNamespace(state=state, held=None, consent=SimpleNamespace(status=status, scope=scope,
                                                                embargo_until=embargo_until))


@pytest.mark.parametrize("status,scope,state,when",
                         list(itertools.product(STATUSES, SCOPES, STATES, WHEN)))
def test_can_see_testimony_matches_the_rule(status, scope, state, when):
    embargo_until, today = WHEN[when]
    testimony = stand_in(status, scope, state, embargo_until)
    for audience in AUDIENCES:
        got = policy.can_see_testimony(testimony, Audience.parse(audience), today)
        want = reaches(status, scope, state, audience, embargo_until, today)
        assert got is want, (status, scope, state, when, audience)


def test_the_matrix_is_not_trivial():
    """The expected function itself admits and refuses: the matrix above tests something."""
    outcomes = {reaches(s, sc, st, a, *WHEN[w])
                for s, sc, st, a, w in itertools.product(STATUSES, SCOPES, STATES, AUDIENCES, WHEN)}
    assert outcomes == {True, False}
    # Exactly: public sees published+granted+open outside a running embargo (3 of 4 date cases).
    public_yes = [c for c in itertools.product(STATUSES, SCOPES, STATES, WHEN)
                  if reaches(c[0], c[1], c[2], "public", *WHEN[c[3]])]
    assert len(public_yes) == 3
    assert all(c[:3] == ("granted", "open", "published") for c in public_yes)


def test_a_running_embargo_hides_from_researchers_until_the_day_itself():
    testimony = stand_in("granted", "researchers", "published", EMBARGO)
    assert not policy.can_see_testimony(testimony, Audience.RESEARCHER, dt.date(2029, 12, 31))
    assert policy.can_see_testimony(testimony, Audience.RESEARCHER, dt.date(2030, 1, 1))
    assert not policy.can_see_testimony(testimony, Audience.PUBLIC, dt.date(2031, 1, 1))
    assert policy.embargo_running(testimony.consent, dt.date(2029, 12, 31))
    assert not policy.embargo_running(testimony.consent, EMBARGO)


def test_without_a_consent_record_only_staff_see_it():
    testimony = SimpleNamespace(state="published", held=None, consent=None)
    assert not policy.can_see_testimony(testimony, Audience.PUBLIC, EMBARGO)
    assert not policy.can_see_testimony(testimony, Audience.RESEARCHER, EMBARGO)
    assert policy.can_see_testimony(testimony, Audience.ARCHIVIST, EMBARGO)
    assert policy.can_see_testimony(testimony, Audience.ADMIN, EMBARGO)


def test_an_unknown_scope_admits_nobody_below_staff():
    testimony = stand_in("granted", "everyone!", "published", None)
    assert not policy.can_see_testimony(testimony, Audience.PUBLIC, EMBARGO)
    assert not policy.can_see_testimony(testimony, Audience.RESEARCHER, EMBARGO)


def test_require_testimony_hides_as_not_found():
    hidden = stand_in("pending", "open", "published", None)
    with pytest.raises(NotFound):
        policy.require_testimony(ANONYMOUS, hidden, EMBARGO)
    with pytest.raises(NotFound):
        policy.require_testimony(ANONYMOUS, None, EMBARGO)
    policy.require_testimony(for_role("archivist"), hidden, EMBARGO)


# -- actions -----------------------------------------------------------------------------------

def test_rules_cover_the_actions_services_use_and_nothing_is_open_by_default():
    for action, floor in policy.RULES.items():
        assert isinstance(floor, Audience), action
    assert policy.RULES["user.manage"] == Audience.ADMIN
    assert policy.RULES["redaction.write"] == Audience.ARCHIVIST
    assert policy.RULES["consent.write"] == Audience.ARCHIVIST
    assert policy.RULES["testimony.read"] == Audience.PUBLIC


@pytest.mark.parametrize("action", ["", "testimony.delete", "TESTIMONY.READ", "user.manage ", "*"])
def test_unknown_actions_are_denied_even_to_admin(action):
    assert action not in policy.RULES
    assert not policy.allowed(SYSTEM, action)
    with pytest.raises(PermissionDenied):
        policy.require(SYSTEM, action)


@pytest.mark.parametrize("action", sorted(policy.RULES))
@pytest.mark.parametrize("audience", list(Audience))
def test_require_follows_each_rules_floor(action, audience):
    identity = Identity(audience)
    if audience >= policy.RULES[action]:
        policy.require(identity, action)
        assert policy.allowed(identity, action)
    else:
        assert not policy.allowed(identity, action)
        with pytest.raises(PermissionDenied) as info:
            policy.require(identity, action)
        assert action in str(info.value)


class _Service:
    @policy.gated("consent.write")
    def withdraw(self, identity, accession_id, reason=""):
        return ("ran", identity, accession_id, reason)


def test_gated_marks_the_method_and_checks_before_the_body():
    service = _Service()
    assert _Service.withdraw.__gate__ == "consent.write"
    archivist = for_role("archivist", 7, "ann")
    assert service.withdraw(archivist, "OH-1", reason="asked") == ("ran", archivist, "OH-1", "asked")
    with pytest.raises(PermissionDenied):
        service.withdraw(ANONYMOUS, "OH-1")
    with pytest.raises(PermissionDenied):
        service.withdraw(for_role("researcher"), "OH-1")


@pytest.mark.parametrize("first", ["OH-1", None, Audience.ADMIN, "admin", {"audience": "admin"}])
def test_gated_refuses_a_call_whose_first_argument_is_not_an_identity(first):
    with pytest.raises(TypeError):
        _Service().withdraw(first, "OH-1")


def test_gated_refuses_identity_passed_in_the_wrong_position():
    with pytest.raises(TypeError):
        _Service().withdraw("OH-1", SYSTEM)


def test_gated_refuses_an_action_without_a_rule_at_definition_time():
    with pytest.raises(ValueError):
        policy.gated("testimony.teleport")


def test_a_held_testimony_reaches_nobody_below_archivist():
    """The publication gate holds back a published testimony where a term registered since shows."""

    testimony = stand_in("granted", "open", "published", None)
    assert policy.can_see_testimony(testimony, Audience.PUBLIC, dt.date(2026, 1, 1))
    testimony.held = dt.datetime(2026, 1, 1)
    assert [a for a in Audience if policy.can_see_testimony(testimony, a, dt.date(2026, 1, 1))] == [
        Audience.ARCHIVIST, Audience.ADMIN]
