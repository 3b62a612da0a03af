"""Exports of the directory prepared on the job queue (the large ones; small ones answer at once)."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.models.base import Base, UTCDateTime, one_of, utcnow
from network.models.user import User

EXPORT_STATUSES = ("queued", "running", "done", "failed")
EXPORT_FORMATS = ("csv", "xlsx")


class ExportJob(Base):
    """One export someone asked for: the search it covers, how far it got, and the file it wrote
    (in instance/exports/, kept EXPORT_KEEP_HOURS; expired_at says when it was deleted)."""

    __tablename__ = "export_jobs"
    __table_args__ = (one_of("status", EXPORT_STATUSES), one_of("format", EXPORT_FORMATS))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    format: Mapped[str] = mapped_column(String(4))
    # The directory search's query-string arguments: {"q": ["text"], "country": ["KE", "UG"], …}
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    locale: Mapped[str] = mapped_column(String(10), default="en")  # the language of its messages
    status: Mapped[str] = mapped_column(String(10), default="queued")
    row_count: Mapped[int | None] = mapped_column(Integer)
    file_name: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
