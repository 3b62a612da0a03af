"""Archiving and restoring: nothing people created is deleted (models.base.Archivable), and every
archivable record is archived and restored by the same two operations."""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from network import permissions
from network.errors import ValidationError
from network.models import Event, Initiative, Organization, OutcomeReport, Partnership, Person, Project, utcnow
from network.models.base import Archivable
from network.services import operation
from network.services.organizations import check_version


@dataclass(frozen=True)
class ArchiveRule:
    action: str  # the permission archiving and restoring ask for
    subject: Callable  # what permission is asked on: the record, or the record it belongs to
    already_archived: str
    not_archived: str


ARCHIVE_RULES: dict[type, ArchiveRule] = {  # a new archivable record type adds its line
    Organization: ArchiveRule("organization.archive", lambda org: org,
                              _l("This organisation is already archived."), _l("This organisation is not archived.")),
    Person: ArchiveRule("person.manage", lambda person: person.organization,
                        _l("This person is already archived."), _l("This person is not archived.")),
    Project: ArchiveRule("project.update", lambda project: project,
                         _l("This project is already archived."), _l("This project is not archived.")),
    OutcomeReport: ArchiveRule("outcome.manage", lambda report: report.project,
                               _l("This outcome report is already archived."),
                               _l("This outcome report is not archived.")),
    Partnership: ArchiveRule("partnership.update", lambda partnership: partnership,
                             _l("This partnership is already archived."), _l("This partnership is not archived.")),
    Initiative: ArchiveRule("initiative.update", lambda initiative: initiative,
                            _l("This initiative is already archived."), _l("This initiative is not archived.")),
    Event: ArchiveRule("event.update", lambda event: event,
                       _l("This event is already archived."), _l("This event is not archived.")),
}  # fmt: skip


@operation
def archive(actor, record: Archivable, expected_version=None) -> Archivable:
    """Archive ``record`` (hidden from lists, kept with its history); ``expected_version`` is the
    version the caller read, checked when given."""
    return _set_archived(actor, record, expected_version, archived=True)


@operation
def restore(actor, record: Archivable, expected_version=None) -> Archivable:
    """Bring an archived ``record`` back."""
    return _set_archived(actor, record, expected_version, archived=False)


def _set_archived(actor, record: Archivable, expected_version, *, archived: bool) -> Archivable:
    rule = ARCHIVE_RULES[type(record)]
    permissions.require(actor, rule.action, rule.subject(record))
    # The state first: a second click of the button says "already archived", not "edit conflict".
    if record.is_archived == archived:
        raise ValidationError(str(rule.already_archived if archived else rule.not_archived))
    if expected_version is not None:
        check_version(record, expected_version, {"archived": record.is_archived}, {"archived": archived})
    record.archived_at = utcnow() if archived else None
    return record
