"""What can go wrong talking to the API, as a small tree of exceptions with messages for people.

Every error's ``str()`` is one line that says what happened and what to do about it; the command
line prints it as is and the window shows it in a banner. The tree, like httpx's::

    ApiError
    ├── HttpStatusError            the server answered with an error status
    │   ├── UnauthorizedError      401 / 403: the key is missing, wrong, revoked, or suspended
    │   ├── NotFoundError          404
    │   ├── ValidationFailedError  422, with FieldError values at paths into the body
    │   ├── BadRequestError        400 (and other 4xx)
    │   ├── RateLimitedError       429
    │   └── ServerError            5xx
    ├── TransportError             no usable answer
    │   ├── UnreachableError       could not connect: nothing was sent
    │   ├── ApiTimeoutError        a read took too long (safe to try again)
    │   └── OutcomeUnknownError    a POST was sent but its answer was lost: the run may exist
    └── BadAnswerError             an answer that is not what the API sends (not JSON, wrong shape)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from composer.core.validation import FieldError, errors_from_422

_DETAIL_LIMIT = 300  # characters of a server's error text kept in a message


class ApiError(Exception):
    """Base of every client error. ``target`` names the API (a profile name or its base URL)."""

    def __init__(self, message: str, *, target: str = "", method: str = "", url: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.target = target
        self.method = method
        self.url = url

    def __str__(self) -> str:
        return self.message


class HttpStatusError(ApiError):
    """The server answered with an error status; ``detail`` is its ``detail`` (or raw text)."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        detail: Any = None,
        target: str = "",
        method: str = "",
        url: str = "",
    ) -> None:
        super().__init__(message, target=target, method=method, url=url)
        self.status_code = status_code
        self.detail = detail


class UnauthorizedError(HttpStatusError):
    """401 or 403: the API key is missing, wrong, expired or revoked, or the account suspended."""


class NotFoundError(HttpStatusError):
    """404: no such run, deployment or route."""


class ValidationFailedError(HttpStatusError):
    """422: the server refused fields of the body; ``errors`` hold each one at its body path."""

    def __init__(self, message: str, *, errors: Sequence[FieldError], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.errors = list(errors)


class BadRequestError(HttpStatusError):
    """400 (or another 4xx): the server refused the request as a whole."""


class RateLimitedError(HttpStatusError):
    """429: too many requests; ``retry_after`` is the server's advice in seconds, if any."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(HttpStatusError):
    """5xx: the server failed (a cancel's failures are 500s with a detail, too)."""


class TransportError(ApiError):
    """No usable answer came back."""


class UnreachableError(TransportError):
    """The connection could not be made (DNS, refused, TLS, proxy): nothing reached the server."""


class ApiTimeoutError(TransportError):
    """The server did not answer in time."""


class OutcomeUnknownError(TransportError):
    """A request that creates something (``POST /run*``) was sent, then its answer was lost.

    The run may exist: composer never sends it again by itself (the API has no idempotency key,
    so a retry could start a second run). Check the runs of the target before sending again.
    """


class BadAnswerError(ApiError):
    """The server answered 2xx with something the API does not send (not JSON, wrong shape)."""


def where(target: str, url: str) -> str:
    """The name to show for the API: its profile/target name, else the URL."""
    return target or url


def detail_text(detail: Any) -> str:
    """A server ``detail`` as one short line."""
    if detail is None:
        return ""
    text = detail if isinstance(detail, str) else json.dumps(detail, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= _DETAIL_LIMIT else text[: _DETAIL_LIMIT - 1] + "…"


def read_detail(body: bytes, content_type: str) -> Any:
    """The ``detail`` of an error answer, else its text (None when empty)."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return None
    if "json" in content_type or text[:1] in "{[":
        try:
            document = json.loads(text)
        except ValueError:
            return text
        if isinstance(document, dict) and "detail" in document:
            return document["detail"]
        return document
    return text


def member_errors(detail: Any, member: str | None) -> Any:
    """A 422 ``detail`` narrowed to one member of the request union.

    The generic routes parse a union of request kinds, so FastAPI reports each field error once
    per kind it tried, plus the keys each other kind misses (``workflow_id``, ...). Knowing which
    kind was sent (``member``, e.g. ``"ModelRunRequest"``), only that kind's errors matter.
    """
    if member is None or not isinstance(detail, list):
        return detail

    def tried(item: Any) -> Any:
        loc = item.get("loc") if isinstance(item, dict) else None
        return loc[1] if isinstance(loc, list) and len(loc) > 1 else None

    mine = [item for item in detail if tried(item) == member]
    return mine or detail


def error_for_status(
    status_code: int,
    detail: Any,
    *,
    target: str = "",
    method: str = "",
    url: str = "",
    retry_after: float | None = None,
    union_member: str | None = None,
) -> HttpStatusError:
    """The error for an error answer, with a message that says what to do.

    ``union_member`` names the request kind that was sent, to keep only its errors of a 422.
    """
    name = where(target, url)
    said = detail_text(detail)
    context: dict[str, Any] = {
        "status_code": status_code,
        "detail": detail,
        "target": target,
        "method": method,
        "url": url,
    }
    if status_code in (401, 403):
        reason = said or ("Forbidden" if status_code == 403 else "Unauthorized")
        hint = "check your API key for" if status_code == 401 else "check the account and key for"
        return UnauthorizedError(f"{reason} ({status_code}): {hint} {name}", **context)
    if status_code == 404:
        reason = said or "Not found"
        return NotFoundError(f"{reason} (404) at {method} {url}".rstrip(), **context)
    if status_code == 422:
        errors = errors_from_422(member_errors(detail, union_member))
        first = str(errors[0]) if errors else said or "invalid request"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        message = f"The server refused the request (422): {first}{more}"
        return ValidationFailedError(message, errors=errors, **context)
    if status_code == 429:
        wait = f" in {retry_after:g} s" if retry_after is not None else " later"
        message = f"Too many requests (429) to {name}: try again{wait}"
        return RateLimitedError(message, retry_after=retry_after, **context)
    if 400 <= status_code < 500:
        reason = said or "Bad request"
        return BadRequestError(
            f"The server refused the request ({status_code}): {reason}", **context
        )
    reason = f": {said}" if said else ""
    message = f"{name} failed ({status_code}){reason}; try again later or check the service status"
    return ServerError(message, **context)


def unreachable(target: str, url: str, reason: str) -> UnreachableError:
    """Could not connect to the API."""
    name = where(target, url)
    message = f"Cannot reach {name} ({reason}): check the address and your network connection"
    return UnreachableError(message, target=target, url=url)


def timed_out(target: str, method: str, url: str, seconds: float | None) -> ApiTimeoutError:
    """A request without an answer in time."""
    after = f" after {seconds:g} s" if seconds else ""
    message = f"{where(target, url)} did not answer {method} {url}{after}: try again later"
    return ApiTimeoutError(message, target=target, method=method, url=url)


def outcome_unknown(target: str, method: str, url: str, reason: str) -> OutcomeUnknownError:
    """A POST sent whose answer never came."""
    message = (
        f"No answer to {method} {url} ({reason}): the run may exist. composer did not send it "
        f"again; check the runs on {where(target, url)} before sending it again"
    )
    return OutcomeUnknownError(message, target=target, method=method, url=url)


def bad_answer(target: str, method: str, url: str, reason: str) -> BadAnswerError:
    """An answer of the wrong shape."""
    message = (
        f"Unexpected answer to {method} {url}: {reason}. Is {where(target, url)} a ComfyDeploy API "
        f"(a base URL ending in /api)?"
    )
    return BadAnswerError(message, target=target, method=method, url=url)
