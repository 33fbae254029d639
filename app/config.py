"""Settings: defaults here, then the instance folder's config.py, then ARCHIVE_* environment variables.

Every setting is documented in README.md (a test checks that none is missing).
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

DEFAULTS = {
    # Where the database, indexes, media and secret key live.
    "INSTANCE_PATH": "instance",
    # SQLAlchemy URL; empty means SQLite in the instance folder.
    "DATABASE_URL": "",
    # Search indexes (one directory per audience); empty means <instance>/indexes.
    "INDEX_DIR": "",
    # Search engine: "sqlite" (SQLite FTS5) or "whoosh" (pure Python, far slower past a few hundred
    # testimonies). Empty keeps the engine the archive's indexes have; a new archive gets "sqlite".
    # Setting another engine on an existing archive rebuilds its indexes from the database at init.
    "SEARCH_ENGINE": "",
    # Megabytes of disk kept back beside the indexes, released so that a withdrawal or a redaction still
    # goes through when the disk is full (archive/reserve.py); 0 keeps none.
    "DISK_RESERVE_MB": 64,
    # Serve readers only, writing nothing (a mirror, or a check before an upgrade). A database or index
    # folder on read-only media is found at start and served so without it (archive/readonly.py).
    "READ_ONLY": False,
    # Media store; empty means <instance>/media.
    "MEDIA_DIR": "",
    # Where every purge and withdrawal is also written, for restores to re-apply; empty means
    # <instance>/purges.jsonl. Best kept on other storage than the database (see README, backups).
    "PURGE_LEDGER": "",
    # Session signing key; empty means generated once into <instance>/secret_key.
    "SECRET_KEY": "",
    # Send the session cookie over HTTPS only. Turn off only for plain-HTTP loopback use.
    "SESSION_COOKIE_SECURE": True,
    # Minutes of inactivity before a signed-in session ends.
    "SESSION_MINUTES": 120,
    # Where the sign-in limiter keeps its counts: "memory://" for one server process, a Redis URL
    # (e.g. redis://127.0.0.1:6379) when several processes or servers must throttle as one.
    "RATELIMIT_STORAGE_URI": "memory://",
    # Failed sign-ins allowed for one account from one address, per window (Flask-Limiter notation).
    "SIGNIN_LIMIT_PER_ACCOUNT": "5 per minute; 20 per hour; 100 per day",
    # Failed sign-ins allowed from one address (an IPv6 /64) whatever the accounts tried.
    "SIGNIN_LIMIT_PER_ADDRESS": "20 per minute; 100 per hour; 500 per day",
    # Refused tries that make the wait longer: past these, every try from there is refused for the window.
    "SIGNIN_PENALTY": "3 per 10 minutes; 6 per hour; 12 per day",
    # Reverse proxies in front of the app whose X-Forwarded-For is trusted for the client's address.
    "PROXY_HOPS": 0,
    # Largest request body accepted, in bytes.
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    # Results per search page.
    "SEARCH_PAGE_SIZE": 20,
    # Testimonies per page of a list (a collection, the API's list, the dashboard's table, its panels).
    "LIST_PAGE_SIZE": 20,
    # A second archivist must approve each redaction.
    "TWO_PERSON_RULE": True,
    # What lower audiences hear in a redacted time range of a recording: "silence" or "tone".
    "AUDIO_REDACTION": "silence",
    # The job queue for slow work (a recording's re-encoding after a redaction, services/jobs.py): empty
    # is a SQLite file in the instance folder (one machine); a Redis URL (e.g. redis://127.0.0.1:6379/0)
    # when several machines share the work; "immediate" runs each job at once in the process that
    # queued it (tests). `python -m app worker` runs the jobs.
    "JOB_QUEUE": "",
    # Threads of one `python -m app worker`, each running one job at a time.
    "JOB_WORKERS": 2,
    # Site name shown in the header; also the repository named in citations.
    "SITE_NAME": "Testimony Archive",
    # Public address of the archive (e.g. https://archive.example.org) for the stable URLs in
    # citations and exports; empty means the address the request came to.
    "PUBLIC_URL": "",
    # OAI-PMH (/oai): the address harvesters' operators write to (Identify's adminEmail; set it), and the
    # repository identifier in record identifiers (oai:<it>:<accession id>); empty means PUBLIC_URL's host.
    "OAI_ADMIN_EMAIL": "archivist@example.org",
    "OAI_REPOSITORY_IDENTIFIER": "",
    # Tests only (ignored unless TESTING): pretend today is this ISO date, for embargo tests.
    "TODAY": "",
}


def instance_path() -> Path:
    return Path(os.environ.get("ARCHIVE_INSTANCE_PATH") or DEFAULTS["INSTANCE_PATH"]).resolve()


def secret_key(instance: Path) -> str:
    """Read the instance's key, generating it (readable by its owner only) the first time."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def resolve(config) -> None:
    """Fill the settings that default to places inside the instance folder."""
    instance = Path(config["INSTANCE_PATH"]).resolve()
    config["INSTANCE_PATH"] = str(instance)
    config["DATABASE_URL"] = config["DATABASE_URL"] or f"sqlite:///{instance / 'archive.db'}"
    config["INDEX_DIR"] = config["INDEX_DIR"] or str(instance / "indexes")
    config["MEDIA_DIR"] = config["MEDIA_DIR"] or str(instance / "media")
    config["PURGE_LEDGER"] = config["PURGE_LEDGER"] or str(instance / "purges.jsonl")
    config["SECRET_KEY"] = config["SECRET_KEY"] or secret_key(instance)
