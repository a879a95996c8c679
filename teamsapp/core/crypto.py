"""Encryption of secrets kept at rest (the TOTP secrets), with a key derived from `BACKEND_SECRET_KEY`."""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from teamsapp.core.config import get_settings

# A purpose label of its own: the same secret key also signs JWTs and keys token hashes, and HKDF
# keeps the derived encryption key independent of those uses.
_KEY_INFO = b"teamsapp/totp-secret/v1"


class DecryptionFailed(Exception):
    """A stored secret cannot be read with the current key (tampered with, or the key changed)."""


@functools.cache
def _fernet(signing_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO).derive(
        signing_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt_secret(plaintext: str) -> str:
    """The authenticated encryption (Fernet: AES-CBC + HMAC) of a secret, as text for a column."""
    return _fernet(get_settings().signing_key).encrypt(plaintext.encode()).decode()


def decrypt_secret(ciphertext: str) -> str:
    """The secret back from `encrypt_secret`; `DecryptionFailed` if it was not made with this key."""
    try:
        return _fernet(get_settings().signing_key).decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise DecryptionFailed("the stored secret cannot be decrypted with BACKEND_SECRET_KEY") from None
