"""Sign in and out. Sessions are re-checked against the account on every request."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext, ngettext, lazy_gettext as _l
from flask_limiter import RateLimitExceeded
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..identity import audience
from . import throttle

bp = Blueprint("auth", __name__)


class SignInForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=120)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])


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
        identity = throttle.authenticate(form.username.data, form.password.data)
        if identity is not None:
            session.clear()
            session.permanent = True
            session["user_id"] = identity.user_id
            return redirect(_safe_next(request.args.get("next")))
        flash(gettext("Those credentials were not accepted."), "error")
        return render_template("auth/signin.html", form=form), 401
    return render_template("auth/signin.html", form=form)


@bp.errorhandler(RateLimitExceeded)
def refused(_error):
    wait = throttle.refused()
    minutes = -(-wait // 60)
    flash(ngettext("Too many failed sign-ins from here: try again in %(num)d minute.",
                   "Too many failed sign-ins from here: try again in %(num)d minutes.", minutes), "error")
    response = make_response(render_template("auth/signin.html", form=SignInForm()), 429)
    response.headers["Retry-After"] = str(wait)
    return response


@bp.post("/signout")
@audience("public")
def signout():
    session.clear()
    return redirect(url_for("public.home"))
