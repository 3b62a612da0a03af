"""The network and its nodes (CAN International -> CAN South Asia -> CAN Bangladesh)."""

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.models.base import Archivable, Base, Timestamped, Versioned
from network.models.geography import Region


class Network(Versioned, Timestamped, Archivable, Base):
    __tablename__ = "networks"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_local: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("networks.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    # Materialised path of ids, e.g. "/1/4/17/": the node and everything below it is one prefix.
    path: Mapped[str] = mapped_column(String(255), index=True, default="/")
    # Profile fields the members of its organisations change without a coordinator's approval,
    # comma-separated (network.services.organizations.DIRECT_EDIT_CHOICES); empty: all reviewed.
    direct_edit_fields: Mapped[str] = mapped_column(String(200), default="", server_default="")

    @property
    def direct_edit_list(self) -> list[str]:
        return [name for name in (self.direct_edit_fields or "").split(",") if name]

    parent: Mapped["Network | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Network"]] = relationship(back_populates="parent", order_by="Network.name")
    region: Mapped[Region | None] = relationship()

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    def __repr__(self) -> str:
        return f"<Network {self.slug}>"
