"""Conversations with the care team, their messages and wound photos."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    Select,
    String,
    Text,
    false,
    func,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recovery.extensions import db
from recovery.orm import allowed, utcnow

if TYPE_CHECKING:
    from recovery.auth.models import User
    from recovery.patients.models import Patient


CONVERSATION_STATUSES = ("open", "closed")


class Conversation(db.Model):
    """A thread between one patient's side and their care team, open until closed."""

    __tablename__ = "conversations"
    __table_args__ = (
        allowed("status", CONVERSATION_STATUSES),
        # The staff queue: open ones, unread first, then the longest waiting.
        Index("ix_conversations_queue", "status", "unread_by_staff", "last_message_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default="open")
    # Set by a message from the patient's side, cleared when staff open the thread.
    unread_by_staff: Mapped[bool] = mapped_column(default=True)
    # Set by a staff reply, cleared when the patient or a caregiver opens it.
    unread_by_patient: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    patient: Mapped[Patient] = relationship()
    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.id"
    )


class Message(db.Model):
    """One message; its text is patient data (audited, never logged)."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_patient_created", "patient_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE")
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    from_staff: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The urgent alert this message raised, when it named a red flag.
    alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("alerts.id", ondelete="SET NULL")
    )

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()
    attachments: Mapped[list[MessageAttachment]] = relationship(
        back_populates="message", order_by="MessageAttachment.id"
    )


class MessageAttachment(db.Model):
    """A wound photo, re-encoded without metadata, kept outside the web root."""

    __tablename__ = "message_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    # A random name in MESSAGE_UPLOAD_DIR: nothing of the patient's file name.
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(20))
    size_bytes: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    message: Mapped[Message] = relationship(back_populates="attachments")


def open_of(patient_id: Any) -> Select[Any]:
    """A patient's open conversation: the newest open one (the id a value or a
    bound parameter, for a statement built once)."""
    return (
        select(Conversation)
        .where(Conversation.patient_id == patient_id, Conversation.status == "open")
        .order_by(Conversation.id.desc())
        .limit(1)
    )


def has_unread_reply(patient_id: Any) -> ColumnElement[bool]:
    """Whether the care team wrote since the patient's side last opened the open
    conversation: SQL, for a query that asks more at once (the home page)."""
    unread = open_of(patient_id).with_only_columns(Conversation.unread_by_patient)
    return func.coalesce(unread.scalar_subquery(), false())
