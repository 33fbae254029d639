"""Accounts: argon2 password hashes, roles, disabling. Sign-in never says which part was wrong."""
from __future__ import annotations

import datetime as dt
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from ..audience import ROLES
from ..errors import ConflictError, NotFound, TooManyAttempts, ValidationError
from ..identity import ANONYMOUS, Identity, for_role
from ..model import AuditEvent, User, utcnow
from ..policy import gated
from .base import Service

_hasher = PasswordHasher()
# Verifying against a dummy hash keeps unknown usernames as slow as wrong passwords.
_DUMMY_HASH = _hasher.hash("not a password of anyone's")
USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,120}$")
MIN_PASSWORD = 10
# Failed sign-ins per username before further attempts are refused for the rest of the window.
MAX_FAILURES = 10
FAILURE_WINDOW_MINUTES = 15


class UserService(Service):
    @gated("user.manage")
    def add(self, identity: Identity, username: str, role: str, password: str) -> dict:
        if not USERNAME.match(username or ""):
            raise ValidationError("a username has 2-120 letters, digits or . _ @ -", field="username")
        self._check_role(role)
        if len(password or "") < MIN_PASSWORD:
            raise ValidationError(f"a password needs at least {MIN_PASSWORD} characters", field="password")
        with self.archive.db.session() as session:
            if session.scalar(select(User).where(User.username == username)):
                raise ConflictError(f"user {username!r} already exists", field="username")
            session.add(User(username=username, role=role, password_hash=_hasher.hash(password)))
            self.archive.audit.record(session, identity, "user.add", username, role=role)
        return {"username": username, "role": role}

    @gated("user.manage")
    def set_role(self, identity: Identity, username: str, role: str) -> dict:
        self._check_role(role)
        with self.archive.db.session() as session:
            user = self._user(session, username)
            before, user.role = user.role, role
            self.archive.audit.record(session, identity, "user.set_role", username, before=before, after=role)
        return {"username": username, "role": role}

    @gated("user.manage")
    def disable(self, identity: Identity, username: str) -> dict:
        with self.archive.db.session() as session:
            self._user(session, username).disabled = True
            self.archive.audit.record(session, identity, "user.disable", username)
        return {"username": username, "disabled": True}

    @gated("user.manage")
    def list(self, identity: Identity) -> list[dict]:
        with self.archive.db.session() as session:
            return [{"username": u.username, "role": u.role, "disabled": u.disabled}
                    for u in session.scalars(select(User).order_by(User.username))]

    @gated("testimony.read")
    def authenticate(self, identity: Identity, username: str, password: str) -> Identity | None:
        """The identity for these credentials, or None; every attempt is audited."""
        username = (username or "")[:120]
        with self.archive.db.session() as session:
            throttled = self._recent_failures(session, username) >= MAX_FAILURES
            if throttled:
                self.archive.audit.record(session, ANONYMOUS, "signin.throttled", username)
        if throttled:
            raise TooManyAttempts(f"too many failed sign-ins; try again in {FAILURE_WINDOW_MINUTES} minutes")
        with self.archive.db.session() as session:
            user = session.scalar(select(User).where(User.username == username))
            try:
                _hasher.verify(user.password_hash if user else _DUMMY_HASH, password or "")
                ok = user is not None and not user.disabled
            except (VerificationError, InvalidHashError):
                ok = False
            self.archive.audit.record(session, ANONYMOUS, "signin.ok" if ok else "signin.failed", username)
            if not ok:
                return None
            if _hasher.check_needs_rehash(user.password_hash):
                user.password_hash = _hasher.hash(password)
            return for_role(user.role, user.id, user.username)

    @gated("testimony.read")
    def identity_for(self, identity: Identity, user_id: int) -> Identity:
        """Re-read the account on every request, so a disabled or demoted user loses access at once."""
        with self.archive.db.session() as session:
            user = session.get(User, user_id)
            if user is None or user.disabled:
                return ANONYMOUS
            return for_role(user.role, user.id, user.username)

    @staticmethod
    def _recent_failures(session, username: str) -> int:
        since = utcnow() - dt.timedelta(minutes=FAILURE_WINDOW_MINUTES)
        return session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "signin.failed", AuditEvent.target == username, AuditEvent.at >= since))

    @staticmethod
    def _check_role(role: str) -> None:
        if role not in ROLES:
            raise ValidationError(f"unknown role {role!r} (roles: {', '.join(ROLES)})", field="role")

    @staticmethod
    def _user(session, username: str) -> User:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"no user {username!r}")
        return user
