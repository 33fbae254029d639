"""The web layer: thin routes that parse, call a service with the caller's identity, and render."""
from __future__ import annotations

import datetime as dt
import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from archive.private_files import UMASK

from . import config as settings


def create_app(test_config: dict | None = None) -> Flask:
    # Before anything is written: SQLite, the search engines and Flask create files with the umask's mode.
    os.umask(UMASK)
    instance = (test_config or {}).get("INSTANCE_PATH") or str(settings.instance_path())
    app = Flask(__name__, instance_path=instance, instance_relative_config=True)
    app.config.from_mapping(settings.DEFAULTS)
    app.config["INSTANCE_PATH"] = instance
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("ARCHIVE")
    if test_config:
        app.config.from_mapping(test_config)
    settings.resolve(app.config)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_NAME="archive_session",
                      PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=int(app.config["SESSION_MINUTES"])),
                      WTF_CSRF_TIME_LIMIT=None)
    os.makedirs(app.config["INSTANCE_PATH"], mode=0o700, exist_ok=True)

    from archive.services import Archive

    # A fixed date would lift or impose embargoes: honoured only in tests.
    today = app.config["TODAY"] if app.config.get("TESTING") else ""
    clock = (lambda: dt.date.fromisoformat(today)) if today else None
    app.extensions["archive"] = Archive(app.config["DATABASE_URL"], app.config["INDEX_DIR"],
                                        app.config["MEDIA_DIR"], clock=clock,
                                        search_engine=app.config["SEARCH_ENGINE"],
                                        reserve_mb=app.config["DISK_RESERVE_MB"],
                                        read_only=app.config["READ_ONLY"])
    app.extensions["archive"].media.audio_redaction = app.config["AUDIO_REDACTION"]
    from archive.services import jobs
    jobs.configure(app.extensions["archive"], app.config["JOB_QUEUE"], app.config["INSTANCE_PATH"])
    from archive.backup import keep_ledger
    keep_ledger(app.extensions["archive"], app.config["PURGE_LEDGER"])

    from . import errors, i18n, identity, read_only, security
    from .api.routes import bp as api_bp
    from .auth import throttle
    from .auth.routes import bp as auth_bp
    from .oai.routes import bp as oai_bp
    from .public.routes import bp as public_bp
    from .staff.routes import bp as staff_bp

    security.init_app(app)
    identity.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    read_only.init_app(app)
    for blueprint in (public_bp, auth_bp, staff_bp, api_bp, oai_bp):
        app.register_blueprint(blueprint)
    throttle.init_app(app)
    if int(app.config["PROXY_HOPS"]):
        # Otherwise every client has the proxy's address, and one stranger throttles all of them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["PROXY_HOPS"]))
    return app
