"""Encryption at rest for connector secrets that must be read back (the notification signing key).

App tokens are only ever compared, so they are stored as digests; a signing secret has to
be used to sign, so it is encrypted with a key from `FIELD_ENCRYPTION_KEY` (derived from
`SECRET_KEY` when unset).
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    material = getattr(settings, "FIELD_ENCRYPTION_KEY", "") or settings.SECRET_KEY
    key = base64.urlsafe_b64encode(hashlib.sha256(f"connector-secret:{material}".encode()).digest())
    return Fernet(key)


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ValueError("The connector secret cannot be read with this FIELD_ENCRYPTION_KEY.") from error
