"""The archive's fixed vocabularies: workflow states, consent, permissions, redaction kinds."""

WORKFLOW_STATES = ("draft", "in_review", "published", "withdrawn")
CONSENT_STATUSES = ("pending", "granted", "withdrawn")
PERMISSIONS = ("publish_transcript", "publish_audio", "publish_images", "quote", "attribute_real_name")
REDACTION_CATEGORIES = ("person", "place", "date", "contact", "identifier", "third party", "other")
# "removal_proposed": an archivist asked to remove it; it keeps hiding until a second one confirms.
REDACTION_STATES = ("proposed", "approved", "removal_proposed")
# Fields of a testimony a field redaction may hide; anything else is refused at import.
REDACTABLE_FIELDS = ("title", "summary", "interview_place", "interview_date", "interviewers")
