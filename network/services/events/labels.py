"""The words for events' codes, in the reader's language."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

EVENT_KIND_LABELS = {
    "side_event": _l("Side event"), "conference_session": _l("Conference session"),
    "network_meeting": _l("Network meeting"), "workshop": _l("Workshop"), "webinar": _l("Webinar"),
}  # fmt: skip
EVENT_STATUS_LABELS = {
    "planned": _l("Planned"), "open": _l("Open for registration"), "full": _lp("event status", "Full"),
    "held": _l("Held"), "cancelled": _lp("event status", "Cancelled"),
}  # fmt: skip
HOST_ROLE_LABELS = {"host": _l("Host"), "co_host": _l("Co-host"), "sponsor": _l("Sponsor"), "partner": _l("Partner")}
REGISTRATION_STATUS_LABELS = {
    "registered": _l("Registered"), "waitlisted": _l("On the waitlist"), "cancelled": _lp("registration", "Cancelled"),
}  # fmt: skip
NOTE_KIND_LABELS = {"note": _l("Note"), "decision": _l("Decision"), "action": _l("Follow-up action")}
