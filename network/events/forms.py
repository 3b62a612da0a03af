"""Forms of the events feature: one per use. They parse and render; the services check."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, SelectMultipleField, StringField, TextAreaField

from network import labels
from network.models.event import EVENT_KINDS, EVENT_STATUSES, HOST_ROLES, NOTE_KINDS
from network.organizations.forms import EditForm, NumberField, Required, country_choices, theme_choices
from network.services import events as service
from network.services.events.labels import EVENT_KIND_LABELS, EVENT_STATUS_LABELS, HOST_ROLE_LABELS, NOTE_KIND_LABELS


def _choices(codes, names) -> list[tuple[str, str]]:
    return [(c, labels.label(names, c)) for c in codes]


class LocalTimeField(StringField):
    """A date and time in the event's own time zone (the browser's datetime-local picker)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("render_kw", {"type": "datetime-local"})
        super().__init__(*args, **kwargs)


class EventForm(EditForm):
    title = StringField(_l("Title"), validators=[Required()])
    title_local = StringField(_l("Title in the local language"))
    kind = SelectField(_l("Kind"), validate_choice=False)
    status = SelectField(_l("Status"), validate_choice=False)
    network_id = SelectField(_l("Convened by (network node)"), validate_choice=False)
    starts_at = LocalTimeField(_l("Starts"), validators=[Required()])
    ends_at = LocalTimeField(_l("Ends"), validators=[Required()])
    timezone = SelectField(_l("Time zone"), validate_choice=False, description=_l("The times above are in this zone."))
    venue = StringField(_l("Venue"))
    city = StringField(_l("City"))
    country = SelectField(_l("Country"), validate_choice=False)
    online_url = StringField(_l("Online link"))
    capacity = NumberField(_l("Capacity"), whole=True, description=_l("Seats; past them people join a waitlist."))
    description = TextAreaField(_l("Description"))
    themes = SelectMultipleField(_l("Themes"), validate_choice=False)
    initiatives = SelectMultipleField(_l("Linked initiatives"), validate_choice=False)
    SERVICE_NAMES = {"network_id": "network"}

    def __init__(self, *args, networks=None, **kwargs):
        super().__init__(*args, **kwargs)
        locale = get_locale()
        self.kind.choices = _choices(EVENT_KINDS, EVENT_KIND_LABELS)
        self.status.choices = _choices(EVENT_STATUSES, EVENT_STATUS_LABELS)
        if networks is None:
            del self.network_id
        else:
            self.network_id.choices = [("", "—")] + [(str(n.id), labels.localized_name(n, locale)) for n in networks]
        self.timezone.choices = [(z, z) for z in service.time_zones()]
        self.country.choices = country_choices(blank=True)
        self.themes.choices = theme_choices()
        self.initiatives.choices = [(i.slug, labels.localized_name(i, locale)) for i in service.initiative_choices()]
        if not self.is_submitted():
            self.remember_original()

    def data_for_service(self) -> dict:
        data = super().data_for_service()
        return {self.SERVICE_NAMES.get(name, name): value for name, value in data.items()}

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        back = {s: f for f, s in self.SERVICE_NAMES.items()}
        super().show_errors({back.get(k, k): v for k, v in errors.items()})


def event_form_data(event) -> dict:
    return {
        "title": event.title, "title_local": event.title_local, "kind": event.kind, "status": event.status,
        "starts_at": service.local_input(event.starts_at, event.timezone),
        "ends_at": service.local_input(event.ends_at, event.timezone), "timezone": event.timezone,
        "venue": event.venue, "city": event.city, "country": event.country.code if event.country else "",
        "online_url": event.online_url, "capacity": event.capacity, "description": event.description,
        "themes": [t.slug for t in event.themes], "initiatives": [i.slug for i in event.initiatives],
        "version": event.version,
    }  # fmt: skip


class HostForm(FlaskForm):
    organization = StringField(_l("Organisation"), description=_l("Its name or address in the directory (slug)."))
    role = SelectField(_l("Role"), default="co_host")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = _choices(HOST_ROLES, HOST_ROLE_LABELS)


class AgendaItemForm(FlaskForm):
    title = StringField(_l("Agenda item"))
    starts_at = LocalTimeField(_l("Starts"))
    ends_at = LocalTimeField(_l("Ends"))
    description = TextAreaField(_l("Description"), render_kw={"rows": 2})


class SpeakerForm(FlaskForm):
    person = SelectField(_l("Person in the directory"), validate_choice=False)
    name = StringField(_l("Or a name"))
    organization_name = StringField(_l("and their organisation"))

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.person.choices = [("", "—")] + [(str(p.id), f"{p.name} — {p.organization.name}") for p in people]


class RegisterForm(FlaskForm):
    dietary = StringField(_l("Dietary needs"), render_kw={"maxlength": 500})
    accessibility = StringField(_l("Accessibility needs"), render_kw={"maxlength": 500})


class RegisterPersonForm(RegisterForm):
    name = StringField(_l("Name"))
    email = StringField(_l("Email"), render_kw={"type": "email"})
    organization_name = StringField(_l("Organisation"))


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), description=_l("Columns: name, email, organization, dietary, accessibility."))


class InviteForm(FlaskForm):
    organizations = TextAreaField(
        _l("Organisations"), description=_l("One per line, by name or address in the directory (slug)."),
        render_kw={"rows": 3},
    )  # fmt: skip
    tag = SelectField(_l("And the organisations with this tag"), validate_choice=False)

    def __init__(self, *args, tags=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.tag.choices = [("", "—")] + [(str(t.id), t.name) for t in tags]


class NoteForm(FlaskForm):
    kind = SelectField(_l("Kind"), default="note")
    subject = StringField(_l("Subject"))
    body = TextAreaField(_l("Details"), render_kw={"rows": 3})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = _choices(NOTE_KINDS, NOTE_KIND_LABELS)


class ConfirmForm(FlaskForm):
    version = HiddenField()
