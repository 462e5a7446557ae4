"""Email over real SMTP: an aiosmtpd server on loopback receives the reset email."""

from __future__ import annotations

import socket
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from recovery.extensions import mail
from tests.conftest import Browser


class Collector:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(app):
    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    saved = {k: app.config[k] for k in ("MAIL_BACKEND", "MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    mail.init_app(app)
    yield handler
    app.config.update(saved)
    mail.init_app(app)
    controller.stop()


def test_password_reset_email_is_delivered_over_smtp(
    app, client, make_user, smtp_server
):
    account = make_user("clinician", name="Dr. Smtp")
    Browser(client).submit("/reset-password", {"email": account.email})
    assert len(smtp_server.messages) == 1
    envelope = smtp_server.messages[0]
    assert envelope.rcpt_tos == [account.email]
    message = message_from_bytes(envelope.original_content)
    assert message["Subject"] == "Reset your Recovery password"
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }
    assert "Hello Dr. Smtp" in parts["text/plain"]
    assert "http://localhost/reset-password/" in parts["text/plain"]
    assert "<a href=" in parts["text/html"]
