"""Reference data: the UN M49 region tree down to countries, and themes."""

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.models.base import Base, one_of

REGION_LEVELS = ("world", "region", "subregion", "intermediate", "country")


class Region(Base):
    """A node of the M49 tree. Countries are keyed by ISO alpha-2, other nodes by M49 code."""

    __tablename__ = "regions"
    __table_args__ = (one_of("level", REGION_LEVELS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(3), unique=True)
    m49: Mapped[str | None] = mapped_column(String(3))
    name: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str | None] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(12), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    # Materialised path of codes, e.g. "/001/142/034/IN/": a subtree is one prefix match.
    path: Mapped[str] = mapped_column(String(64), index=True)
    ldc: Mapped[bool] = mapped_column(Boolean, default=False)
    lldc: Mapped[bool] = mapped_column(Boolean, default=False)
    sids: Mapped[bool] = mapped_column(Boolean, default=False)

    parent: Mapped["Region | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Region"]] = relationship(back_populates="parent", order_by="Region.name")

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"


class Theme(Base):
    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str | None] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<Theme {self.slug}>"
