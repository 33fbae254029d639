"""OAI-PMH 2.0, the protocol: arguments, errors, resumption tokens, the XML envelope, metadata formats.

The service (archive/services/oai.py) answers from the `oai_records` table and the **public** audience
views; this module knows nothing of the database. Metadata formats are pluggable: `register` one with
its prefix, schema, namespace and a function from a public view to an lxml element (oai_dc and
OHMS, both below).
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Callable

from lxml import etree

from .formats import dublin_core, ohms_out

OAI = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"
PROTOCOL_VERSION = "2.0"

# verb -> (required arguments, optional arguments); a resumptionToken is exclusive where allowed.
VERBS: dict[str, tuple[frozenset, frozenset]] = {
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset()),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
}
RESUMABLE = ("ListSets", "ListIdentifiers", "ListRecords")


class OaiError(Exception):
    """An OAI-PMH error condition: reported in the response with its code, never as a server error."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class Context:
    """What a response needs from the web layer: where it is served and how to name a testimony's page."""
    base_url: str
    repository_name: str
    repository_identifier: str
    admin_email: str
    url_for: Callable[[str], str | None] = lambda _: None
    # the archive's today (the service fills it in): the date an OHMS record says it was written
    today: dt.date | None = None


@dataclass(frozen=True)
class MetadataFormat:
    prefix: str
    schema: str
    namespace: str
    # (public view, context) -> the metadata element
    render: Callable[[dict, Context], etree._Element]
    # whether `render` reads the transcripts (a view with them costs more to build)
    transcripts: bool = False


FORMATS: dict[str, MetadataFormat] = {}


def register(fmt: MetadataFormat) -> None:
    """Offer another metadata format to harvesters (ListMetadataFormats lists it, every verb takes it)."""
    FORMATS[fmt.prefix] = fmt


register(MetadataFormat(
    "oai_dc", dublin_core.OAI_DC_SCHEMA, dublin_core.OAI_DC,
    lambda view, ctx: dublin_core.oai_dc(view, repository=ctx.repository_name,
                                         url=ctx.url_for(view["accession_id"]))))

# OHMS (the Nunn Center's ohms.xsd): the whole public view, index points and transcript included.
register(MetadataFormat(
    "ohms", ohms_out.SCHEMA, ohms_out.NS,
    lambda view, ctx: ohms_out.ohms_root(view, ctx.today or now().date()), transcripts=True))


# -- requests -----------------------------------------------------------------------------------

@dataclass
class Request:
    verb: str
    args: dict[str, str] = field(default_factory=dict)


def parse_request(params: dict[str, list[str]]) -> Request:
    """The verb and its arguments, checked as the protocol says (badVerb, badArgument)."""
    verbs = params.get("verb") or []
    if len(verbs) != 1 or verbs[0] not in VERBS:
        what = "no verb" if not verbs else ("a repeated verb" if len(verbs) > 1 else f"the verb {verbs[0]!r}")
        raise OaiError("badVerb", f"{what}: use one of {', '.join(VERBS)}")
    verb = verbs[0]
    args = {}
    for name, values in params.items():
        if name == "verb":
            continue
        if len(values) != 1:
            raise OaiError("badArgument", f"the argument {name} is repeated")
        args[name] = values[0]
    required, optional = VERBS[verb]
    if "resumptionToken" in args and verb in RESUMABLE:
        if len(args) > 1:
            raise OaiError("badArgument", "resumptionToken is an exclusive argument: give it alone with the verb")
        return Request(verb, args)
    unknown = sorted(set(args) - required - optional)
    if unknown:
        raise OaiError("badArgument", f"{verb} does not take {', '.join(unknown)}")
    missing = sorted(required - set(args))
    if missing:
        raise OaiError("badArgument", f"{verb} needs {', '.join(missing)}")
    if verb in ("ListIdentifiers", "ListRecords"):
        bounds(args.get("from"), args.get("until"))
    return Request(verb, args)


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_SECOND = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")


def _datestamp(value: str, name: str, end: bool) -> tuple[dt.datetime, str]:
    try:
        if _DAY.match(value):
            day = dt.datetime.strptime(value, "%Y-%m-%d")
            return (day + dt.timedelta(days=1, seconds=-1) if end else day), "day"
        if _SECOND.match(value):
            return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ"), "second"
    except ValueError:
        pass
    raise OaiError("badArgument", f"{name}={value!r} is not a UTC datestamp: use YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")


def bounds(since: str | None, until: str | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """from and until as datetimes (until a day means its last second), checked against each other."""
    lo = _datestamp(since, "from", False) if since else None
    hi = _datestamp(until, "until", True) if until else None
    if lo and hi:
        if lo[1] != hi[1]:
            raise OaiError("badArgument", "from and until must have the same granularity")
        if lo[0] > hi[0]:
            raise OaiError("badArgument", "from is later than until")
    return (lo[0] if lo else None), (hi[0] if hi else None)


def datestamp(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def now() -> dt.datetime:
    """The current UTC second: the datestamps' granularity."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


# -- resumption tokens: a cursor on (datestamp, identifier), so pages survive changes between them --

def make_token(verb: str, state: dict) -> str:
    raw = json.dumps({"v": verb, **state}, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_token(verb: str, token: str) -> dict:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        state = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise OaiError("badResumptionToken", "this resumptionToken was not made by this repository") from None
    if not isinstance(state, dict) or state.get("v") != verb:
        raise OaiError("badResumptionToken", f"this resumptionToken is not one of {verb}")
    checks = {"p": str, "s": (str, type(None)), "f": (str, type(None)), "u": (str, type(None)),
              "d": (str, type(None)), "i": str, "n": int}
    wanted = ("i", "n") if verb == "ListSets" else tuple(checks)
    for key in wanted:
        if not isinstance(state.get(key), checks[key]) or (key == "n" and state[key] < 0):
            raise OaiError("badResumptionToken", "this resumptionToken is damaged")
    if verb != "ListSets":
        if state["p"] not in FORMATS:
            raise OaiError("badResumptionToken", f"the format {state['p']!r} of this resumptionToken is gone")
        try:
            for key in ("f", "u", "d"):
                if state[key] is not None:
                    dt.datetime.strptime(state[key], "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise OaiError("badResumptionToken", "this resumptionToken is damaged") from None
    return state


def parse_stamp(value: str | None) -> dt.datetime | None:
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ") if value else None


# -- identifiers --------------------------------------------------------------------------------

def identifier(ctx: Context, accession_id: str) -> str:
    return f"oai:{ctx.repository_identifier}:{accession_id}"


def accession_of(ctx: Context, value: str) -> str:
    prefix = f"oai:{ctx.repository_identifier}:"
    if not value.startswith(prefix) or len(value) == len(prefix):
        raise OaiError("idDoesNotExist", f"{value!r} is not an identifier of this repository")
    return value[len(prefix):]


# -- responses ----------------------------------------------------------------------------------

def envelope(ctx: Context, request: Request | None, params: dict[str, list[str]]) -> tuple[etree._Element, etree._Element]:
    """The OAI-PMH root with responseDate and request. Arguments are echoed only for a request that was
    not refused as badVerb or badArgument (the protocol's rule)."""
    root = etree.Element(f"{{{OAI}}}OAI-PMH", nsmap={None: OAI, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI} {OAI_SCHEMA}")
    etree.SubElement(root, f"{{{OAI}}}responseDate").text = datestamp(now())
    req = etree.SubElement(root, f"{{{OAI}}}request")
    req.text = ctx.base_url
    if request is not None:
        req.set("verb", request.verb)
        for name, value in request.args.items():
            req.set(name, value)
    return root, req


def error(ctx: Context, params: dict[str, list[str]], exc: OaiError, request: Request | None) -> bytes:
    root, _ = envelope(ctx, None if exc.code in ("badVerb", "badArgument") else request, params)
    etree.SubElement(root, f"{{{OAI}}}error", code=exc.code).text = exc.message
    return serialize(root)


def serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def sub(parent, name: str, text: str | None = None, **attrs) -> etree._Element:
    element = etree.SubElement(parent, f"{{{OAI}}}{name}", **attrs)
    if text is not None:
        element.text = dublin_core.clean(text)
    return element


def header(parent, ctx: Context, accession_id: str, stamp: dt.datetime, set_spec: str | None,
           deleted: bool) -> etree._Element:
    head = sub(parent, "header", **({"status": "deleted"} if deleted else {}))
    sub(head, "identifier", identifier(ctx, accession_id))
    sub(head, "datestamp", datestamp(stamp))
    if set_spec and SET_SPEC.match(set_spec):
        sub(head, "setSpec", set_spec)
    return head


SET_SPEC = re.compile(r"[A-Za-z0-9\-_.!~*'()]+\Z")


def set_spec(slug: str) -> str | None:
    """A collection's slug as a setSpec, or None where the protocol's characters cannot hold it."""
    return slug if SET_SPEC.match(slug or "") else None
