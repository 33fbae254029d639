"""Account management for admins in the browser: list, add, change role, disable or enable, and a
one-time password reset link (made by the users service, archive/services/users.py, which audits
every change). The link's page (/reset/<token>) belongs to whoever holds it: a visitor sets a new
password there, once, before it expires.

A new account gets no password from the admin: it is made with a random one and its reset link is
shown once, so the admin never knows the password. Links are shown in the response that made them,
never flashed (a flash travels in the session cookie, which is signed, not encrypted).
"""
from __future__ import annotations

import secrets

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from archive.audience import ROLES
from archive.errors import ValidationError
from archive.services.users import MIN_PASSWORD, RESET_HOURS

from ..auth.routes import bp as auth_bp
from ..identity import archive, audience, current
from .records_routes import submitted
from .routes import ActionForm, _csrf_failed, bp

ROLE_CHOICES = [SelectChoice(r) for r in ROLES]


class AddUserForm(FlaskForm):
    username = StringField(_l("Username (2-120 letters, digits or . _ @ -)"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="researcher")


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)


class NewPasswordForm(FlaskForm):
    password = PasswordField(f"New password (at least {MIN_PASSWORD} characters)",
                             validators=[DataRequired(), Length(max=1024)])
    again = PasswordField(_l("The same password again"),
                          validators=[DataRequired(), EqualTo("password", message="the two passwords differ")])


def _page(form: AddUserForm | None = None, link: dict | None = None, status: int = 200):
    identity = current()
    accounts = archive().users.accounts(identity)
    return render_template("staff/users.html", accounts=accounts, form=form or AddUserForm(formdata=None),
                           role_forms={a["username"]: RoleForm(formdata=None, data={"role": a["role"]}) for a in accounts},
                           action_form=ActionForm(), link=link, reset_hours=RESET_HOURS), status


def _link(made: dict) -> dict:
    return {**made, "url": url_for("auth.reset_password", token=made["token"], _external=True)}


@bp.get("/users")
@audience("admin")
def users():
    return _page()


@bp.post("/users")
@audience("admin")
def add_user():
    identity = current()
    form = AddUserForm()

    def save():
        # A random password nobody knows; the account's holder sets their own through the link.
        made = archive().users.add(identity, form.username.data.strip(), form.role.data, secrets.token_urlsafe(32))
        return archive().users.reset_link(identity, made["username"])

    made = submitted(form, save)
    if made is None:
        return _page(form, status=400)
    return _page(link={**_link(made), "new": True})


@bp.post("/users/<username>/role")
@audience("admin")
def set_user_role(username: str):
    form = RoleForm()
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            _csrf_failed()
        raise ValidationError("choose one of the roles", record=username, field="role")
    _refuse_self(username, "change your own role")
    archive().users.set_role(current(), username, form.role.data)
    flash(gettext("%(user)s is now %(role)s.", user=username, role=form.role.data), "ok")
    return redirect(url_for("staff.users") + f"#user-{username}")


@bp.post("/users/<username>/disable")
@audience("admin")
def disable_user(username: str):
    ActionForm().validate_on_submit() or _csrf_failed()
    _refuse_self(username, "disable your own account")
    archive().users.disable(current(), username)
    flash(gettext("%(user)s is disabled: signed out everywhere at their next request, and cannot sign in.",
                  user=username), "ok")
    return redirect(url_for("staff.users") + f"#user-{username}")


@bp.post("/users/<username>/enable")
@audience("admin")
def enable_user(username: str):
    ActionForm().validate_on_submit() or _csrf_failed()
    archive().users.enable(current(), username)
    flash(gettext("%(user)s may sign in again.", user=username), "ok")
    return redirect(url_for("staff.users") + f"#user-{username}")


@bp.post("/users/<username>/reset")
@audience("admin")
def reset_user(username: str):
    ActionForm().validate_on_submit() or _csrf_failed()
    return _page(link=_link(archive().users.reset_link(current(), username)))


def _refuse_self(username: str, what: str) -> None:
    # An admin who demotes or disables themself can lock the archive out of its own accounts.
    if username == current().username:
        raise ValidationError(f"you cannot {what}: another admin does that", record=username)


@auth_bp.route("/reset/<token>", methods=["GET", "POST"])
@audience("public")
def reset_password(token: str):
    form = NewPasswordForm()
    username = archive().users.reset_account(current(), token)
    if username is None:
        return render_template("auth/reset.html", form=None, username=None), 404
    done = submitted(form, lambda: archive().users.use_reset(current(), token, form.password.data))
    if done:
        flash(gettext("Password set for %(user)s: sign in with it.", user=done["username"]), "ok")
        return redirect(url_for("auth.signin"))
    return render_template("auth/reset.html", form=form, username=username), 400 if request.method == "POST" else 200


