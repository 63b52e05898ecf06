"""Signed webhook URLs: ComfyDeploy signs nothing, so composer signs the URL it hands out.

The scheme is the one ComfyDeploy's documentation suggests, so a handler written from those docs
accepts composer's URLs: the URL gets ``timestamp=<Unix milliseconds>`` and
``signature=<JWT>``, an HS256 token whose ``iat`` claim equals the timestamp. On receipt the
token must verify with the shared secret, its ``iat`` must equal the URL's timestamp, and the
timestamp must be recent (one hour by default, in either direction, as in those docs).

HMAC and the token format are PyJWT's; nothing here is hand-rolled crypto. The secret is passed
in: it lives in the OS keyring (``composer.core.secrets``), never in a preset or the history.
"""

from __future__ import annotations

import secrets
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final
from urllib.parse import parse_qsl, quote

import jwt

from composer.core.webhook_urls import join_url, split_url

TIMESTAMP_PARAM: Final = "timestamp"
SIGNATURE_PARAM: Final = "signature"
ALGORITHM: Final = "HS256"
DEFAULT_MAX_AGE: Final = 3600.0  # seconds, as ComfyDeploy's docs suggest
MIN_SECRET_BYTES: Final = 32  # RFC 7518 section 3.2: an HS256 key as long as the hash


class SignatureState(StrEnum):
    """What a received request's URL signature says."""

    VALID = "valid"
    EXPIRED = "expired"  # signed with the secret, but the timestamp is too old (or too new)
    FORGED = "forged"  # a signature that does not verify, or parameters changed after signing
    UNSIGNED = "unsigned"  # neither timestamp nor signature present


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """The outcome of checking one URL: a state and a sentence saying why."""

    state: SignatureState
    reason: str

    @property
    def ok(self) -> bool:
        """True only for a valid signature."""
        return self.state is SignatureState.VALID


def generate_secret() -> str:
    """A new random signing secret (URL-safe text, 256 bits)."""
    return secrets.token_urlsafe(MIN_SECRET_BYTES)


def secret_warning(secret: str | bytes) -> str | None:
    """A sentence for the UI when a secret is too short to be a good HS256 key, else None."""
    size = len(secret.encode("utf-8") if isinstance(secret, str) else secret)
    if size >= MIN_SECRET_BYTES:
        return None
    return (
        f"The signing secret is {size} bytes long; use at least {MIN_SECRET_BYTES} "
        "(composer can generate one)."
    )


def _require_secret(secret: str | bytes) -> bytes:
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    if not key:
        raise ValueError("a signing secret must not be empty")
    return key


@contextmanager
def _short_keys_allowed() -> Iterator[None]:
    # Newer PyJWT warns on keys under 32 bytes; composer says so itself (secret_warning), once,
    # in words a user can act on, instead of a warning per request in a log.
    with warnings.catch_warnings():
        category = getattr(jwt, "InsecureKeyLengthWarning", None)
        if category is not None:
            warnings.simplefilter("ignore", category)
        yield


def sign_url(
    url: str,
    secret: str | bytes,
    *,
    now: float | None = None,
    claims: dict[str, Any] | None = None,
) -> str:
    """``url`` with ``timestamp`` and ``signature`` query parameters appended.

    Earlier ``timestamp``/``signature`` parameters are replaced (re-signing is idempotent in
    shape); every other part of the URL, ``target_events`` included, is kept literally.
    ``claims`` adds extra JWT claims (e.g. a deployment id) for handlers that check them.
    """
    key = _require_secret(secret)
    timestamp = int((time.time() if now is None else now) * 1000)
    with _short_keys_allowed():
        token = jwt.encode({**(claims or {}), "iat": timestamp}, key, algorithm=ALGORITHM)
    base, query, fragment = split_url(url)
    kept = [
        param
        for param in query.split("&")
        if param and param.partition("=")[0] not in (TIMESTAMP_PARAM, SIGNATURE_PARAM)
    ]
    kept += [f"{TIMESTAMP_PARAM}={timestamp}", f"{SIGNATURE_PARAM}={quote(token, safe='')}"]
    return join_url(base, kept, fragment)


def verify_query(
    query: str,
    secret: str | bytes,
    *,
    max_age: float = DEFAULT_MAX_AGE,
    now: float | None = None,
) -> SignatureCheck:
    """Check the ``timestamp``/``signature`` parameters of a raw query string."""
    key = _require_secret(secret)
    params = dict(parse_qsl(query, keep_blank_values=True))
    timestamp_text = params.get(TIMESTAMP_PARAM)
    token = params.get(SIGNATURE_PARAM)
    if timestamp_text is None and token is None:
        return SignatureCheck(SignatureState.UNSIGNED, "the URL carries no timestamp or signature")
    if not token:
        return SignatureCheck(SignatureState.FORGED, "a timestamp without a signature")
    if timestamp_text is None:
        return SignatureCheck(SignatureState.FORGED, "a signature without a timestamp")
    try:
        timestamp = int(timestamp_text)
    except ValueError:
        return SignatureCheck(
            SignatureState.FORGED, f"the timestamp {timestamp_text!r} is no number"
        )
    try:
        # iat holds milliseconds (as in ComfyDeploy's docs), which PyJWT's own iat check would
        # read as seconds far in the future: the age is checked below instead.
        with _short_keys_allowed():
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], options={"verify_iat": False})
    except jwt.InvalidSignatureError:
        return SignatureCheck(SignatureState.FORGED, "the signature does not match this secret")
    except jwt.InvalidTokenError as exc:
        return SignatureCheck(SignatureState.FORGED, f"the signature is not a valid token ({exc})")
    if claims.get("iat") != timestamp:
        return SignatureCheck(
            SignatureState.FORGED, "the timestamp was changed after signing (it differs from iat)"
        )
    age = (time.time() if now is None else now) - timestamp / 1000
    if abs(age) > max_age:
        when = f"{age:.0f} s old" if age > 0 else f"{-age:.0f} s in the future"
        return SignatureCheck(
            SignatureState.EXPIRED,
            f"signed correctly, but the timestamp is {when} (limit {max_age:.0f} s)",
        )
    return SignatureCheck(SignatureState.VALID, "signed with this secret and recent")


def verify_url(
    url: str,
    secret: str | bytes,
    *,
    max_age: float = DEFAULT_MAX_AGE,
    now: float | None = None,
) -> SignatureCheck:
    """Check a full URL (or ``path?query``) signed by :func:`sign_url`."""
    return verify_query(split_url(url)[1], secret, max_age=max_age, now=now)
