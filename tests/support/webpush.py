"""A push service and a browser's side of Web Push, for tests.

`PushService` is an HTTP server in a thread standing in for FCM or Mozilla's autopush: it records every
message posted to it and answers each endpoint with the statuses it is told (then 201 Created). `Device` is a
browser's PushSubscription: its own P-256 key pair and auth secret, so a message can be decrypted exactly as a
browser does (RFC 8291 aes128gcm, with http_ece), and the VAPID signature checked (RFC 8292)."""
import base64
import json
import os
import threading
from collections import defaultdict
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Message:
    path: str
    headers: dict
    body: bytes
    answered: int


class PushService:
    def __init__(self):
        self.messages: list[Message] = []
        self.answers: dict[str, list[int]] = defaultdict(list)
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with service._lock:
                    queue = service.answers[self.path]
                    status = queue.pop(0) if queue else 201
                    service.messages.append(Message(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                    body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def to(self, path: str) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if m.path == path]

    def stop(self):
        self._server.shutdown()
        self._server.server_close()


class Device:
    """One browser's subscription at `service`: /sub/<name>."""

    def __init__(self, service: PushService, name: str):
        self.name = name
        self.path = f"/sub/{name}"
        self.endpoint = service.url + self.path
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._auth = os.urandom(16)
        self.p256dh = b64(self._key.public_key().public_bytes(serialization.Encoding.X962,
                                                               serialization.PublicFormat.UncompressedPoint))
        self.auth = b64(self._auth)

    def subscription(self) -> dict:
        return {"endpoint": self.endpoint, "p256dh": self.p256dh, "auth": self.auth}

    def read(self, message: Message) -> dict:
        """Decrypt a message as the browser does and return its JSON payload."""
        assert message.headers["content-encoding"] == "aes128gcm"
        return json.loads(http_ece.decrypt(message.body, private_key=self._key, auth_secret=self._auth,
                                           version="aes128gcm"))


def vapid_claims(message: Message, application_server_key: str) -> dict:
    """Check the VAPID Authorization header (`vapid t=<JWT>, k=<key>`): the key is the one the page gave the
    browser, and the JWT's ES256 signature verifies with it. Returns the JWT's claims."""
    scheme, _, params = message.headers["authorization"].partition(" ")
    assert scheme == "vapid"
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == application_server_key
    header, claims, signature = fields["t"].split(".")
    raw = unb64(signature)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(fields["k"]))
    public.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                  f"{header}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    return json.loads(unb64(claims))
