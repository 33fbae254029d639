"""Sign in and out. Sessions are re-checked against the account on every request."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from archive.errors import TooManyAttempts
from archive.identity import ANONYMOUS

from ..identity import archive, audience

bp = Blueprint("auth", __name__)


class SignInForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=120)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])


def _safe_next(target: str | None) -> str:
    parts = urlsplit(target or "")
    if target and not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("public.home")


@bp.route("/signin", methods=["GET", "POST"])
@audience("public")
def signin():
    form = SignInForm()
    if form.validate_on_submit():
        try:
            identity = archive().users.authenticate(ANONYMOUS, form.username.data, form.password.data)
        except TooManyAttempts as exc:
            flash(f"Sign-in refused: {exc}.", "error")
            return render_template("auth/signin.html", form=form), 429
        if identity is not None:
            session.clear()
            session.permanent = True
            session["user_id"] = identity.user_id
            return redirect(_safe_next(request.args.get("next")))
        flash("Those credentials were not accepted.", "error")
        return render_template("auth/signin.html", form=form), 401
    return render_template("auth/signin.html", form=form)


@bp.post("/signout")
@audience("public")
def signout():
    session.clear()
    return redirect(url_for("public.home"))
