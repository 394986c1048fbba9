"""Personal data at rest: AES-GCM field encryption and keyed blind indexes (HMAC-SHA256).

One master key comes from the environment or the local key file (never the database); two purpose keys are
derived from it with HKDF, so the blind-index key can never decrypt and the encryption key never hashes.
"""

import base64
import functools
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_VERSION = "v1"


def _derive(purpose: bytes) -> bytes:
    master = settings.FIELD_ENCRYPTION_KEY.encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"xiangzhi-field-keys", info=purpose).derive(
        master
    )


@functools.cache
def _keys(master: str) -> tuple[AESGCM, bytes]:
    return AESGCM(_derive(b"encrypt")), _derive(b"blind-index")


def _current() -> tuple[AESGCM, bytes]:
    return _keys(settings.FIELD_ENCRYPTION_KEY)


def encrypt(plaintext: str) -> str:
    aead, _ = _current()
    nonce = os.urandom(12)
    sealed = aead.encrypt(nonce, plaintext.encode(), _VERSION.encode())
    return f"{_VERSION}:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    version, _, body = token.partition(":")
    if version != _VERSION:
        raise ValueError("unknown ciphertext version")
    raw = base64.urlsafe_b64decode(body)
    aead, _ = _current()
    return aead.decrypt(raw[:12], raw[12:], version.encode()).decode()


def blind_index(purpose: str, value: str) -> str:
    """A keyed hash for exact lookup; `purpose` separates the keyspaces (an ID tail never matches a phone tail)."""
    _, key = _current()
    digest = hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:15]).decode().lower()  # 24 characters, 120 bits
