"""Scanning texts for sensitive terms and identifiers that are still unredacted (pure library code).

`find_terms` finds a term in every script and spelling, `scan_record` runs it over every text of a
testimony, `suggest_identifiers` proposes phone numbers, e-mails, coordinates, ID numbers, plates
and dates of birth by pattern. Offsets are code points into the original text, as redactions use.
"""
from .identifiers import Suggestion, suggest_identifiers
from .record import Finding, IdentifierFinding, Location, scan_record, scan_record_identifiers
from .terms import Occurrence, Term, TermSet, compile_terms, find_terms

__all__ = ["Finding", "IdentifierFinding", "Location", "Occurrence", "Suggestion", "Term", "TermSet",
           "compile_terms", "find_terms", "scan_record", "scan_record_identifiers", "suggest_identifiers"]
