"""Accounts: argon2 password hashes, roles, disabling. Sign-in never says which part was wrong."""
from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from ..audience import ROLES
from ..errors import ConflictError, NotFound, ValidationError
from ..identity import ANONYMOUS, Identity, for_role
from ..model import User
from ..policy import gated
from .base import Service

_hasher = PasswordHasher()
# Verifying against a dummy hash keeps unknown usernames as slow as wrong passwords.
_DUMMY_HASH = _hasher.hash("not a password of anyone's")
USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,120}$")
MIN_PASSWORD = 10


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
    def authenticate(self, identity: Identity, username: str, password: str, *, audit_failure: bool = True,
                     **detail) -> Identity | None:
        """The identity for these credentials, or None. A success is audited; so is a failure unless
        the caller (the web layer's limiter, which sees bursts across servers) has already audited
        the burst it belongs to. `detail` (the address, say) goes into the audit event.

        There is no lock here: one that counts failures per account lets anyone lock staff out.
        Throttling is the caller's, by address and by account from that address."""
        username = (username or "")[:120]
        with self.archive.db.session() as session:
            user = session.scalar(select(User).where(User.username == username))
            try:
                _hasher.verify(user.password_hash if user else _DUMMY_HASH, password or "")
                ok = user is not None and not user.disabled
            except (VerificationError, InvalidHashError):
                ok = False
            if ok or audit_failure:
                self.archive.audit.record(session, ANONYMOUS, "signin.ok" if ok else "signin.failed", username,
                                          **detail)
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

    @gated("testimony.read")
    def signin_throttled(self, identity: Identity, username: str, **detail) -> None:
        """Audit that sign-ins for this username were refused unchecked (once per burst: the caller
        counts the refusals, so a flood of them cannot grow the audit log)."""
        with self.archive.db.session() as session:
            self.archive.audit.record(session, ANONYMOUS, "signin.throttled", (username or "")[:120], **detail)

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
