"""Where the archive's own address comes from, and the one warning given at start when it is unknown.

Citations, result exports and OAI-PMH records carry the archive's address: PUBLIC_URL, else the host the
request named (its Host header), which on a server reached from other machines is whatever each client
typed, or sent."""
from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]")
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False            # a name other than localhost, or 0.0.0.0 / :: (every interface)


def warning(public_url: str | None, host: str) -> str | None:
    """The start-up warning for a server bound to `host`, or None when there is nothing to warn about."""
    if (public_url or "").strip() or is_loopback(host):
        return None
    return (f"Warning: PUBLIC_URL is not set and the archive listens on {host}, beyond this machine: "
            "citations, result exports and OAI-PMH records will carry whatever host each request names. "
            "Set ARCHIVE_PUBLIC_URL (or PUBLIC_URL in the instance's config.py) to the archive's public address.")
