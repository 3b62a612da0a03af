"""Tags: named lists of organisations ("invited to the 2027 summit", "press contacts"), of one
network node (its coordinators manage them) or of the whole network (admins)."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.models.base import Base, UTCDateTime, utcnow
from network.models.network import Network
from network.models.organization import Organization

organization_tags = Table(
    "organization_tags",
    Base.metadata,
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    # The node whose coordinators manage it; None: network-wide (admins).
    network_id: Mapped[int | None] = mapped_column(ForeignKey("networks.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    network: Mapped[Network | None] = relationship()

    @property
    def code(self) -> str:
        """What an audit diff records for it (network.services.audit.plain): its name, as the bulk
        changes of network.services.tags record it. Searches name a tag by id (tag=12)."""
        return self.name

    def __repr__(self) -> str:
        return f"<Tag {self.id} {self.name!r}>"


# Declared here, not in organization.py: tags are an add-on to the directory. The audit hook records
# changes of this collection like those of themes; bulk changes go through services/tags.py in SQL.
Organization.tags = relationship(Tag, secondary=organization_tags, order_by=Tag.name, viewonly=False)
