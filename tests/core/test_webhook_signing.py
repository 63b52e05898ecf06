"""Signed webhook URLs: valid, expired, forged, unsigned (PyJWT HS256, ComfyDeploy's doc scheme)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from composer.core.signing import (
    SignatureState,
    generate_secret,
    secret_warning,
    sign_url,
    verify_query,
    verify_url,
)

SECRET = "s3cret-for-tests-s3cret-for-tests-0123"
NOW = 1_746_093_600.0  # 2025-05-01T10:00:00Z


def test_signed_url_keeps_the_url_and_adds_timestamp_and_signature() -> None:
    url = "http://127.0.0.1:8787/hook?target_events=run.output"
    signed = sign_url(url, SECRET, now=NOW)
    assert signed.startswith(url + "&timestamp=1746093600000&signature=")
    token = parse_qs(urlsplit(signed).query)["signature"][0]
    # The token is a standard HS256 JWT whose iat is the timestamp in milliseconds.
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_iat": False})
    assert claims == {"iat": 1746093600000}
    assert verify_url(signed, SECRET, now=NOW + 5).state is SignatureState.VALID


def test_resigning_replaces_old_parameters_and_keeps_fragment() -> None:
    once = sign_url("http://h/hook?a=1#top", SECRET, now=NOW)
    twice = sign_url(once, SECRET, now=NOW + 10)
    assert twice.count("timestamp=") == 1 and twice.count("signature=") == 1
    assert twice.startswith("http://h/hook?a=1&timestamp=1746093610000") and twice.endswith("#top")
    assert verify_url(twice, SECRET, now=NOW + 10).ok


def test_extra_claims_are_signed() -> None:
    signed = sign_url("http://h/", SECRET, now=NOW, claims={"deployment_id": "abc"})
    token = parse_qs(urlsplit(signed).query)["signature"][0]
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_iat": False})
    assert claims["deployment_id"] == "abc"


def test_expired_in_both_directions() -> None:
    signed = sign_url("http://h/", SECRET, now=NOW)
    old = verify_url(signed, SECRET, now=NOW + 3601)
    assert old.state is SignatureState.EXPIRED and "3601 s old" in old.reason
    future = verify_url(signed, SECRET, now=NOW - 7200)
    assert future.state is SignatureState.EXPIRED and "in the future" in future.reason
    assert verify_url(signed, SECRET, now=NOW + 100, max_age=60).state is SignatureState.EXPIRED


@pytest.mark.parametrize(
    "tamper",
    [
        lambda url: url.replace("timestamp=1746093600000", "timestamp=1746093660000"),
        lambda url: url[:-3] + ("xyz" if not url.endswith("xyz") else "abc"),
        lambda url: url.split("&signature=")[0] + "&signature=not.a.jwt",
        lambda url: url.split("&signature=")[0],
        lambda url: url.split("?")[0] + "?" + url.split("&")[-1],
        lambda url: url.replace("timestamp=1746093600000", "timestamp=soon"),
    ],
    ids=[
        "changed-timestamp",
        "changed-signature",
        "garbage",
        "no-signature",
        "no-timestamp",
        "nan",
    ],
)
def test_forged(tamper: object) -> None:
    signed = sign_url("http://h/hook?a=1", SECRET, now=NOW)
    check = verify_url(tamper(signed), SECRET, now=NOW)  # type: ignore[operator]
    assert check.state is SignatureState.FORGED, check.reason


def test_signed_with_another_secret_is_forged() -> None:
    signed = sign_url("http://h/", "other-secret", now=NOW)
    check = verify_url(signed, SECRET, now=NOW)
    assert check.state is SignatureState.FORGED and "does not match" in check.reason


def test_alg_none_tokens_are_refused() -> None:
    token = jwt.encode({"iat": 1746093600000}, key=None, algorithm="none")
    check = verify_query(f"timestamp=1746093600000&signature={token}", SECRET, now=NOW)
    assert check.state is SignatureState.FORGED


def test_unsigned() -> None:
    assert verify_query("", SECRET).state is SignatureState.UNSIGNED
    assert verify_url("http://h/hook?target_events=run.output", SECRET).state is (
        SignatureState.UNSIGNED
    )


def test_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        sign_url("http://h/", "")


def test_short_secrets_get_a_warning_and_generated_ones_do_not() -> None:
    warning = secret_warning("short")
    assert warning is not None and "5 bytes" in warning
    generated = generate_secret()
    assert secret_warning(generated) is None
    assert generated != generate_secret()
    assert verify_url(sign_url("http://h/", generated), generated).ok
