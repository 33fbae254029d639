"""Accounts: argon2 password hashes, roles, disabling. Sign-in never says which part was wrong."""
from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from ..audience import ROLES
from ..errors import ConflictError, NotFound, ValidationError
from ..identity import ANONYMOUS, Identity, for_role
from ..model import AuditEvent, PasswordReset, User, utcnow
from ..policy import gated
from .base import Service

_hasher = PasswordHasher()
# Verifying against a dummy hash keeps unknown usernames as slow as wrong passwords.
_DUMMY_HASH = _hasher.hash("not a password of anyone's")
USERNAME = re.compile(r"^[A-Za-z0-9._@-]{2,120}$")
MIN_PASSWORD = 10
RESET_HOURS = 24          # how long a one-time password reset link lasts


def _token_hash(token: str) -> str:
    return hashlib.sha256((token or "").encode("utf-8", "replace")).hexdigest()


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
    def enable(self, identity: Identity, username: str) -> dict:
        with self.archive.db.session() as session:
            self._user(session, username).disabled = False
            self.archive.audit.record(session, identity, "user.enable", username)
        return {"username": username, "disabled": False}

    @gated("user.manage")
    def list(self, identity: Identity) -> list[dict]:
        with self.archive.db.session() as session:
            return [{"username": u.username, "role": u.role, "disabled": u.disabled}
                    for u in session.scalars(select(User).order_by(User.username))]

    @gated("user.manage")
    def accounts(self, identity: Identity) -> list[dict]:
        """Every account with when it was made, its last sign-in (from the audit log) and whether an
        unused reset link is waiting: the admins' account page."""
        now = utcnow()
        with self.archive.db.session() as session:
            users = list(session.scalars(select(User).order_by(User.username)))
            names = [u.username for u in users]
            last = dict(session.execute(
                select(AuditEvent.target, func.max(AuditEvent.at)).where(AuditEvent.action == "signin.ok")
                .where(AuditEvent.target.in_(names)).group_by(AuditEvent.target)).all()) if names else {}
            waiting = set(session.scalars(select(PasswordReset.user_id).where(
                PasswordReset.used_at.is_(None), PasswordReset.expires_at > now)))
            return [{"username": u.username, "role": u.role, "disabled": u.disabled,
                     "created_at": u.created_at.isoformat(timespec="minutes") if u.created_at else None,
                     "last_signin": last[u.username].isoformat(timespec="minutes") if last.get(u.username) else None,
                     "reset_waiting": u.id in waiting} for u in users]

    @gated("user.manage")
    def reset_link(self, identity: Identity, username: str, *, hours: int = RESET_HOURS) -> dict:
        """A one-time password reset token for an account (the caller makes the link). Only its SHA-256
        is stored; it expires after `hours`, its first use spends it, and it spends the account's
        earlier unused ones. Audited without the token."""
        token = secrets.token_urlsafe(32)
        now = utcnow()
        expires = now + dt.timedelta(hours=hours)
        with self.archive.db.session() as session:
            user = self._user(session, username)
            for old in session.scalars(select(PasswordReset).where(PasswordReset.user_id == user.id,
                                                                    PasswordReset.used_at.is_(None))):
                old.used_at = now
            session.add(PasswordReset(user_id=user.id, token_hash=_token_hash(token), created_at=now,
                                      expires_at=expires, created_by=identity.describe()))
            self.archive.audit.record(session, identity, "user.reset_link", username,
                                      expires=expires.isoformat(timespec="minutes"))
        return {"username": username, "token": token, "expires": expires.isoformat(timespec="minutes")}

    @gated("testimony.read")
    def reset_account(self, identity: Identity, token: str) -> str | None:
        """The username a reset token is for while it is unused and unexpired; None otherwise."""
        with self.archive.db.session() as session:
            found = self._reset(session, token)
            return found[1].username if found else None

    @gated("testimony.read")
    def use_reset(self, identity: Identity, token: str, password: str) -> dict:
        """Set a new password with a one-time reset token, spending it. A token that is unknown, used or
        expired is refused the same way, so a guess learns nothing."""
        if len(password or "") < MIN_PASSWORD:
            raise ValidationError(f"a password needs at least {MIN_PASSWORD} characters", field="password")
        with self.archive.db.session() as session:
            found = self._reset(session, token)
            if found is None:
                raise ValidationError("this reset link is not valid: it was used already, it expired, or it is "
                                      "incomplete. Ask an admin for a new one.", field="token")
            reset, user = found
            reset.used_at = utcnow()
            user.password_hash = _hasher.hash(password)
            self.archive.audit.record(session, for_role(user.role, user.id, user.username), "user.password_reset",
                                      user.username, link_by=reset.created_by)
            return {"username": user.username}

    @staticmethod
    def _reset(session, token: str):
        if not token or len(token) > 200:
            return None
        reset = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == _token_hash(token)))
        if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
            return None
        user = session.get(User, reset.user_id)
        return (reset, user) if user is not None and not user.disabled else None

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
                # A sign-in is recorded as the user's own act; a failed one has no known actor.
                actor = for_role(user.role, user.id, user.username) if ok else ANONYMOUS
                self.archive.audit.record(session, actor, "signin.ok" if ok else "signin.failed", username,
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
