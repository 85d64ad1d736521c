"""SMTP_URL with TLS and login against aiosmtpd: STARTTLS on smtp://, implicit TLS on smtps://."""

from __future__ import annotations

import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from harness.stack import free_port
from services.notify.delivery import SmtpTransport, TemporaryFailure
from tests.support.notify import RecordingHandler

MESSAGE = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: TLS\r\n\r\nHallo\r\n"


@pytest.fixture
def certificate(tmp_path, monkeypatch):
    """A self-signed certificate for 127.0.0.1 that the client trusts (SSL_CERT_FILE)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def authenticator(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=(auth_data.login, auth_data.password) == (b"todo", b"s3cret:pw"))


@pytest.fixture
def tls_server(certificate):
    servers = []

    def start(**options):
        handler = RecordingHandler()
        port = free_port()
        controller = Controller(
            handler,
            hostname="127.0.0.1",
            port=port,
            authenticator=authenticator,
            auth_require_tls=True,
            **options,
        )
        controller.start()
        servers.append(controller)
        return handler, port

    yield start
    for controller in servers:
        controller.stop()


def test_starttls_and_login(tls_server, certificate):
    handler, port = tls_server(tls_context=certificate, require_starttls=True)
    transport = SmtpTransport(f"smtp://todo:s3cret%3Apw@127.0.0.1:{port}", timeout=5)
    transport.send("a@example.org", "b@example.org", MESSAGE)
    transport.close()
    (received,) = handler.received
    assert received.rcpt_tos == ["b@example.org"]


def test_implicit_tls_and_login(certificate):
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        ssl_context=certificate,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        transport = SmtpTransport(f"smtps://todo:s3cret%3Apw@127.0.0.1:{port}", timeout=5)
        transport.send("a@example.org", "b@example.org", MESSAGE)
        transport.close()
    finally:
        controller.stop()
    assert len(handler.received) == 1


def test_wrong_password_keeps_the_mail_for_later(tls_server, certificate):
    handler, port = tls_server(tls_context=certificate, require_starttls=True)
    transport = SmtpTransport(f"smtp://todo:wrong@127.0.0.1:{port}", timeout=5)
    with pytest.raises(TemporaryFailure):
        transport.send("a@example.org", "b@example.org", MESSAGE)
    assert handler.received == []
