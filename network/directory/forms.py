"""Forms of the directory."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from network import labels
from network.models.initiative import PARTICIPANT_ROLES
from network.org_picker import OrganizationField


class SaveSearchForm(FlaskForm):
    name = StringField(_l("Name of this search"), validators=[DataRequired(), Length(max=120)])
    query = HiddenField()


class BulkForm(FlaskForm):
    """What an action on many organisations needs: an initiative and a role, or a tag."""

    initiative = SelectField(_l("Initiative"), validate_choice=True)
    role = SelectField(_l("Role"), default="partner", validate_choice=True)
    tag = SelectField(_l("Tag"), validate_choice=True)

    def __init__(self, *args, initiatives=(), tags=(), action="", **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action
        self.initiative.choices = [(i.slug, i.title) for i in initiatives]
        self.role.choices = [(r, labels.label(labels.PARTICIPANT_ROLE_LABELS, r)) for r in PARTICIPANT_ROLES]
        self.tag.choices = [(str(t.id), t.name + (f" · {t.network.name}" if t.network else "")) for t in tags]
        # Only the fields of the chosen action are asked for.
        if action != "initiative":
            del self.initiative, self.role
        if action not in ("tag", "untag"):
            del self.tag


def _node_choices(nodes, admin: bool) -> list[tuple[str, str]]:
    choices = [("", _l("Whole network (admins)"))] if admin else []
    return choices + [(str(n.id), ("— " * max(0, n.path.count("/") - 2)) + n.name) for n in nodes]


class TagForm(FlaskForm):
    name = StringField(_l("Name of the tag"), validators=[DataRequired(), Length(max=80)])
    network = SelectField(_l("Belongs to"), validate_choice=True,
                          description=_l("The coordinators of this node manage the tag."))  # fmt: skip

    def __init__(self, *args, nodes=(), admin=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.network.choices = _node_choices(nodes, admin)


class TagFromSearchForm(TagForm):
    name = StringField(_l("Name of the tag"), validators=[Length(max=80)])


class MergePickForm(FlaskForm):
    """Which record to merge into this one (a GET form: it only leads to the merge page)."""

    class Meta:
        csrf = False

    duplicate = OrganizationField(
        _l("The duplicate record"),
        validators=[DataRequired()],
        description=_l(
            "Type its name in any language, then pick it. The next page compares the two before anything changes."
        ),
    )
