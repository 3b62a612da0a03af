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

# For the history of an event (network.services.history): coded values by (table, field), and the
# names of the events' fields.
EVENT_CHOICES = {
    ("events", "kind"): EVENT_KIND_LABELS, ("events", "status"): EVENT_STATUS_LABELS,
    ("event_hosts", "role"): HOST_ROLE_LABELS, ("registrations", "status"): REGISTRATION_STATUS_LABELS,
    ("event_notes", "kind"): NOTE_KIND_LABELS,
}  # fmt: skip
EVENT_FIELD_LABELS = {
    "starts_at": _l("Starts"), "ends_at": _l("Ends"), "timezone": _l("Time zone"), "venue": _l("Venue"),
    "city": _l("City"), "country_id": _l("Country"), "online_url": _l("Online link"), "capacity": _l("Capacity"),
    "initiatives": _l("Linked initiatives"), "event_id": _l("Event"), "person_id": _l("Person"),
    "organization_name": _l("Organisation"), "queued_at": _l("Asked on"), "cancelled_at": _l("Cancelled on"),
    "attended_at": _l("Checked in"), "reminded_at": _l("Reminded on"), "dietary": _l("Dietary needs"),
    "accessibility": _l("Accessibility needs"), "registered_by_id": _l("Registered by"), "done": _l("Done"),
}  # fmt: skip
