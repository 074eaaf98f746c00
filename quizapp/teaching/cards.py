"""Login cards: one-time passwords kept sealed between the import and the printout.

Generated passwords are never stored in the database in plain text. Between the request that
makes them and the page that prints them they travel in the signed session cookie, sealed
(encrypted with a key derived from the app's secret key, HMAC-SHA256 in counter mode, and
authenticated), so that the cookie does not show them to anyone who reads it. They are dropped
when the teacher dismisses the cards or signs out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

_NONCE = 16
_TAG = 16


def _keys(secret: str) -> tuple[bytes, bytes]:
    root = hashlib.sha256(f"quizapp-login-cards\x00{secret}".encode()).digest()
    return (
        hmac.new(root, b"encrypt", hashlib.sha256).digest(),
        hmac.new(root, b"authenticate", hashlib.sha256).digest(),
    )


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (
        hmac.new(key, nonce + counter.to_bytes(4, "big"), hashlib.sha256).digest()
        for counter in range((length + 31) // 32)
    )
    return b"".join(blocks)[:length]


def seal(payload: Any, secret: str) -> str:
    """Encrypt and authenticate a JSON-able payload; returns URL-safe text."""
    enc_key, mac_key = _keys(secret)
    plain = json.dumps(payload, separators=(",", ":")).encode()
    nonce = secrets.token_bytes(_NONCE)
    cipher = bytes(
        a ^ b for a, b in zip(plain, _keystream(enc_key, nonce, len(plain)), strict=True)
    )
    tag = hmac.new(mac_key, nonce + cipher, hashlib.sha256).digest()[:_TAG]
    return base64.urlsafe_b64encode(nonce + tag + cipher).decode()


def unseal(token: str, secret: str) -> Any | None:
    """The payload of :func:`seal`, or None when the token is damaged or from another key."""
    enc_key, mac_key = _keys(secret)
    try:
        raw = base64.urlsafe_b64decode(token.encode())
    except (ValueError, TypeError):
        return None
    nonce, tag, cipher = raw[:_NONCE], raw[_NONCE : _NONCE + _TAG], raw[_NONCE + _TAG :]
    expected = hmac.new(mac_key, nonce + cipher, hashlib.sha256).digest()[:_TAG]
    if len(nonce) != _NONCE or not hmac.compare_digest(tag, expected):
        return None
    plain = bytes(
        a ^ b for a, b in zip(cipher, _keystream(enc_key, nonce, len(cipher)), strict=True)
    )
    try:
        return json.loads(plain)
    except ValueError:
        return None
