"""All models, importable from one place: ``from network.models import Organization``."""

from network.models.audit import AuditEvent, ChangeRequest, ImportJob
from network.models.base import Base, utcnow
from network.models.event import AgendaItem, Event, EventHost, EventInvitation, EventNote, Registration, Speaker
from network.models.export import ExportJob
from network.models.geography import Region, Theme
from network.models.initiative import Activity, Initiative, InitiativeProject, InitiativeTarget, Participant
from network.models.mailing import Mailing, MailingDelivery
from network.models.network import Network
from network.models.notice import MembershipEndingNotice, NoticePreference
from network.models.organization import Membership, NotDuplicate, Organization, OrganizationIdentifier, Person
from network.models.project import OutcomeEvidence, OutcomeReport, Partnership, Project, ProjectParticipant
from network.models.tag import Tag
from network.models.user import ApiToken, Notification, SavedSearch, UsedToken, User

__all__ = [
    "Activity", "AgendaItem", "Event", "EventHost", "EventInvitation", "EventNote", "Registration", "Speaker",
    "ApiToken", "AuditEvent", "Base", "ChangeRequest", "ExportJob", "ImportJob", "Initiative",
    "InitiativeProject", "InitiativeTarget", "Mailing", "MailingDelivery", "Membership", "MembershipEndingNotice", "Network", "NotDuplicate",
    "NoticePreference", "Notification", "Organization",
    "OrganizationIdentifier", "OutcomeEvidence", "OutcomeReport", "Participant", "Partnership", "Person", "Project",
    "ProjectParticipant", "Region", "SavedSearch", "Tag", "Theme", "UsedToken", "User", "utcnow",
]  # fmt: skip
