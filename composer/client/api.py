"""The ComfyDeploy API client: one object per target, one connection pool, typed answers.

::

    async with ApiClient(base_url, api_key, target="sandbox") as api:
        result = await api.submit(body)           # -> RunQueued | BatchQueued | ... (results.py)
        run = await api.get_run(run_id)           # -> RunUpdate
        await api.cancel(run_id)                  # -> CancelResult
        models = await api.models()               # -> list[ModelInfo]

The ``httpx.AsyncClient`` is created on the running loop when the client is entered and closed on
the same loop when it exits (a client shared across loops fails with "Event loop is closed").
Reads are retried on 429/502/503/504 and dropped connections (:mod:`composer.client.retry`);
``POST /run*`` never is. Errors are :mod:`composer.client.errors` values with messages for people.
The API key travels only to the API: downloads of output files never carry it.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Self
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter, ValidationError

from composer import __version__
from composer.client import errors
from composer.client.closing import AsyncClosing
from composer.client.results import (
    BatchQueued,
    CancelResult,
    DeploymentRuns,
    FirstResult,
    NativeRun,
    RunQueued,
    StreamOpened,
    SubmitResult,
    SyncOutputs,
)
from composer.client.retry import RetryPolicy, parse_retry_after, send_with_retries
from composer.client.stream import RunStream
from composer.core.batch import expand_runs
from composer.core.catalogue import DeploymentInfo, ModelInfo
from composer.core.endpoints import Answer, Endpoint, choose_endpoint
from composer.core.request import RunRequest
from composer.core.run_parsing import RunParseError, parse_outputs, parse_run
from composer.core.runs import RunUpdate
from composer.core.wire import RequestKind, kind_of

USER_AGENT: Final = f"composer/{__version__}"

_MODELS: Final = TypeAdapter(list[ModelInfo])
# The names the server's request union gives each kind in a 422's ``loc``.
_UNION_MEMBERS: Final = {
    RequestKind.MODEL: "ModelRunRequest",
    RequestKind.DEPLOYMENT: "DeploymentRunRequest",
}
_DEPLOYMENTS: Final = TypeAdapter(list[DeploymentInfo])


_ssl_lock = threading.Lock()
_ssl_context: ssl.SSLContext | None = None


def shared_ssl_context() -> ssl.SSLContext:
    """One TLS context (the CA certificates loaded) for every client of the process.

    Loading the certificates takes tens of milliseconds; done per client, on the window's
    event loop, that is a visible stall at the first request to each target. Call this on a
    worker thread early (the window does) and every client reuses the result."""
    global _ssl_context
    with _ssl_lock:
        if _ssl_context is None:
            _ssl_context = httpx.create_ssl_context()
        return _ssl_context


def warm_up_tls() -> threading.Thread:
    """Make :func:`shared_ssl_context` on a worker thread now, so the first request does not
    load the CA certificates on the caller's (the window's) thread."""
    thread = threading.Thread(target=shared_ssl_context, name="composer-tls", daemon=True)
    thread.start()
    return thread


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds to wait, by kind of request.

    ``connect`` is short (an unreachable host should say so fast); ``read`` covers ordinary
    answers; ``run_wait`` is for sync and sync_first_result, whose answer comes only when the run
    ends; ``stream_idle`` is the longest silence accepted between two events of a stream.
    """

    connect: float = 5.0
    read: float = 30.0
    write: float = 30.0
    pool: float = 60.0
    run_wait: float = 900.0
    stream_idle: float = 300.0

    def for_read(self, read: float | None = None) -> httpx.Timeout:
        """An httpx timeout with this read limit (default: :attr:`read`)."""
        return httpx.Timeout(
            connect=self.connect,
            read=self.read if read is None else read,
            write=self.write,
            pool=self.pool,
        )


class ApiClient(AsyncClosing):
    """An async client for one API target (base URL ending in ``/api``, optional key).

    ``target`` is the name shown in messages ("check your API key for <target>"); it defaults to
    the base URL. ``max_connections`` bounds the pool shared by every request of this client.
    ``transport`` replaces the network (tests of faults a real server cannot produce).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        target: str = "",
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        max_connections: int = 20,
        transport: httpx.AsyncBaseTransport | None = None,
        trust_env: bool = True,
        on_retry: Callable[[int, float, str], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.target = target or self.base_url
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self.max_connections = max_connections
        self.requests_sent = 0  # every HTTP request, retries included (for figures and tests)
        self._api_key = api_key or None
        self._transport = transport
        self._trust_env = trust_env
        self._on_retry = on_retry
        self._http: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        # Never show the key.
        return f"ApiClient({self.base_url!r}, target={self.target!r})"

    @property
    def has_key(self) -> bool:
        """True when an API key is set."""
        return self._api_key is not None

    # --- lifecycle ---

    @property
    def http(self) -> httpx.AsyncClient:
        """The connection pool, created on first use on the running loop."""
        if self._http is None or self._http.is_closed:
            limits = httpx.Limits(
                max_connections=self.max_connections,
                max_keepalive_connections=self.max_connections,
            )
            self._http = httpx.AsyncClient(
                headers={"User-Agent": USER_AGENT},
                timeout=self.timeouts.for_read(),
                limits=limits,
                transport=self._transport,
                trust_env=self._trust_env,
                verify=shared_ssl_context(),
                follow_redirects=True,
                event_hooks={"request": [self._count_request]},
            )
        return self._http

    async def _count_request(self, request: httpx.Request) -> None:
        self.requests_sent += 1

    async def __aenter__(self) -> Self:
        _ = self.http
        return self

    async def aclose(self) -> None:
        """Close the pool (idempotent); call it on the loop that used the client."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    # --- runs ---

    async def submit(
        self, body: Mapping[str, Any] | RunRequest, kind: RequestKind | None = None
    ) -> SubmitResult:
        """Send a run request to the endpoint :func:`choose_endpoint` picks; never retried.

        ``body`` is the wire body (or a request model, sent as ``to_wire()``). Returns one result
        type per kind of answer. Raises an :class:`errors.ApiError`; a POST whose answer was lost
        raises :class:`errors.OutcomeUnknownError` (the run may exist).
        """
        if isinstance(body, RunRequest):
            kind = kind or body.kind
            body = body.to_wire()
        wire = dict(body)
        kind = kind or kind_of(wire) or RequestKind.MODEL
        endpoint = choose_endpoint(wire, kind)
        read = {
            Answer.OUTPUTS: self.timeouts.run_wait,
            Answer.FIRST_RESULT: self.timeouts.run_wait,
            Answer.STREAM: self.timeouts.stream_idle,
        }.get(endpoint.answer)
        member = _UNION_MEMBERS[kind]
        if endpoint.answer is Answer.STREAM:
            response = await self._send(
                endpoint.method, endpoint.path, json=wire, read=read, stream=True,
                accept="text/event-stream", union_member=member,
            )  # fmt: skip
            return self._open_stream(endpoint, wire, response)
        response = await self._send(
            endpoint.method, endpoint.path, json=wire, read=read, union_member=member
        )
        return self._read_submit_answer(endpoint, wire, kind, response)

    def _open_stream(
        self, endpoint: Endpoint, wire: dict[str, Any], response: httpx.Response
    ) -> StreamOpened:
        content_type = response.headers.get("content-type", "")
        if "text/event-stream" not in content_type:
            # Some servers answer a stream request with plain JSON; read it as such.
            raise errors.bad_answer(
                self.target, endpoint.method, str(response.url),
                f"expected an event stream, got {content_type or 'no content type'}",
            )  # fmt: skip
        return StreamOpened(endpoint, wire, RunStream(response, target=self.target))

    def _read_submit_answer(
        self, endpoint: Endpoint, wire: dict[str, Any], kind: RequestKind, response: httpx.Response
    ) -> SubmitResult:
        url = str(response.url)
        if endpoint.answer is Answer.FIRST_RESULT:
            content_type = response.headers.get("content-type", "application/octet-stream")
            filename = _filename_from(response.headers.get("content-disposition"))
            return FirstResult(endpoint, wire, response.content, content_type, filename)
        document = self._json(response, endpoint.method, url)
        if endpoint.answer is Answer.OUTPUTS:
            if not isinstance(document, list):
                raise errors.bad_answer(self.target, "POST", url, "expected a list of outputs")
            outputs = parse_outputs(document)
            run_id = next((o.run_id for o in outputs if o.run_id), None)
            return SyncOutputs(endpoint, wire, outputs, run_id)
        if not isinstance(document, dict):
            raise errors.bad_answer(self.target, "POST", url, "expected a JSON object")
        if endpoint.answer is Answer.WORKER_PARAMS:
            # ComfyDeploy gives the worker the run id as its ComfyUI prompt id.
            run_id = document.get("run_id") or document.get("prompt_id")
            return NativeRun(endpoint, wire, document, run_id if isinstance(run_id, str) else None)
        if isinstance(document.get("batch_id"), str):
            deployment = wire.get("deployment_id") if kind is RequestKind.DEPLOYMENT else None
            return BatchQueued(
                endpoint, wire, document["batch_id"], tuple(expand_runs(wire)),
                str(deployment) if deployment else None, time.time(),
            )  # fmt: skip
        if isinstance(document.get("run_id"), str):
            return RunQueued(endpoint, wire, document["run_id"])
        raise errors.bad_answer(self.target, "POST", url, "no run_id or batch_id in the answer")

    async def get_run(self, run_id: str, *, queue_position: bool = True) -> RunUpdate:
        """``GET /run/{id}`` (with ``?queue_position=true``) as a poll update; retried."""
        document = await self.get_run_object(run_id, queue_position=queue_position)
        try:
            return parse_run(document)
        except RunParseError as exc:
            url = self._url(_run_path(run_id))
            raise errors.bad_answer(self.target, "GET", url, str(exc)) from None

    async def get_run_object(self, run_id: str, *, queue_position: bool = True) -> dict[str, Any]:
        """The run object exactly as the API sent it (for inspectors)."""
        params = {"queue_position": "true"} if queue_position else None
        response = await self._send("GET", _run_path(run_id), params=params, retry=True)
        document = self._json(response, "GET", str(response.url))
        if not isinstance(document, dict):
            raise errors.bad_answer(self.target, "GET", str(response.url), "expected a run object")
        return document

    async def cancel(self, run_id: str) -> CancelResult:
        """``POST /run/{id}/cancel``; its failures come as :class:`errors.ServerError` (500)."""
        response = await self._send("POST", f"{_run_path(run_id)}/cancel")
        document = self._json(response, "POST", str(response.url))
        if not isinstance(document, dict):
            document = {}
        return CancelResult(
            run_id, str(document.get("status", "success")), str(document.get("message", ""))
        )

    # --- catalogue ---

    async def models(self) -> list[ModelInfo]:
        """``GET /models``: the catalogue models."""
        return self._validate(_MODELS, await self._get_json("/models"), "/models")

    async def deployments(self) -> list[DeploymentInfo]:
        """``GET /deployments``: the deployments the key can run."""
        return self._validate(_DEPLOYMENTS, await self._get_json("/deployments"), "/deployments")

    async def deployment(self, deployment_id: str) -> DeploymentInfo:
        """``GET /deployment/{id}``."""
        path = f"/deployment/{quote(deployment_id, safe='')}"
        adapter: TypeAdapter[DeploymentInfo] = TypeAdapter(DeploymentInfo)
        return self._validate(adapter, await self._get_json(path), path)

    async def deployment_runs(
        self, deployment_id: str, *, limit: int = 50, offset: int = 0
    ) -> DeploymentRuns:
        """``GET /deployment/{id}/runs``: a page of its runs, newest first (rows without an id
        are skipped)."""
        path = f"/deployment/{quote(deployment_id, safe='')}/runs"
        document = await self._get_json(path, params={"limit": limit, "offset": offset})
        rows = document.get("data") if isinstance(document, dict) else document
        if not isinstance(rows, list):
            raise errors.bad_answer(self.target, "GET", self._url(path), "expected a list of runs")
        runs = []
        for row in rows:
            try:
                runs.append(parse_run(row))
            except RunParseError:
                continue
        meta = document.get("meta") if isinstance(document, dict) else None
        return DeploymentRuns(tuple(runs), meta if isinstance(meta, dict) else {})

    # --- files ---

    async def fetch(self, url: str) -> tuple[bytes, str]:
        """The bytes and content type of an output file (no API key is sent; retried)."""
        response = await self._send("GET", url, retry=True, auth=False)
        return response.content, response.headers.get("content-type", "application/octet-stream")

    # --- plumbing ---

    def _url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return self.base_url + path_or_url

    async def _get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        response = await self._send("GET", path, params=params, retry=True)
        return self._json(response, "GET", str(response.url))

    def _json(self, response: httpx.Response, method: str, url: str) -> Any:
        try:
            return response.json()
        except ValueError:
            content_type = response.headers.get("content-type")
            reason = f"not JSON ({content_type})" if content_type else "not JSON"
            if not response.content:
                reason = "an empty answer"
            raise errors.bad_answer(self.target, method, url, reason) from None

    def _validate[T](self, adapter: TypeAdapter[T], document: Any, path: str) -> T:
        try:
            return adapter.validate_python(document)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where_ = ".".join(str(part) for part in first["loc"]) or "answer"
            reason = f"{where_}: {first['msg']}"
            raise errors.bad_answer(self.target, "GET", self._url(path), reason) from None

    async def _send(
        self,
        method: str,
        path_or_url: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        read: float | None = None,
        retry: bool = False,
        stream: bool = False,
        auth: bool = True,
        accept: str = "application/json",
        union_member: str | None = None,
    ) -> httpx.Response:
        """Send one request (reads with retries), map failures to :mod:`errors`, check status."""
        url = self._url(path_or_url)
        headers = {"Accept": accept}
        if auth and self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        request = self.http.build_request(
            method, url, json=json, params=params, headers=headers,
            timeout=self.timeouts.for_read(read),
        )  # fmt: skip
        try:
            if retry:
                response = await send_with_retries(
                    lambda: self.http.send(request, stream=stream),
                    self.retry,
                    on_retry=self._on_retry,
                )
            else:
                response = await self.http.send(request, stream=stream)
        except httpx.TransportError as exc:
            raise self._transport_error(exc, method, url, read) from exc
        if response.status_code >= 400:
            body = await response.aread()
            await response.aclose()
            content_type = response.headers.get("content-type", "")
            raise errors.error_for_status(
                response.status_code,
                errors.read_detail(body, content_type),
                target=self.target,
                method=method,
                url=url,
                retry_after=parse_retry_after(response.headers.get("retry-after")),
                union_member=union_member,
            )
        return response

    def _transport_error(
        self, exc: httpx.TransportError, method: str, url: str, read: float | None
    ) -> errors.TransportError:
        reason = _reason(exc)
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.ProxyError):
            return errors.unreachable(self.target, url, reason)
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
            return errors.unreachable(self.target, url, f"not a usable URL: {reason}")
        if isinstance(exc, httpx.PoolTimeout):
            message = (
                f"All {self.max_connections} connections to {errors.where(self.target, url)} "
                f"stayed busy: nothing was sent; try again"
            )
            return errors.TransportError(message, target=self.target, method=method, url=url)
        if method == "POST":
            # The request may have reached the server: never resend it, and say so.
            return errors.outcome_unknown(self.target, method, url, reason)
        if isinstance(exc, httpx.TimeoutException):
            seconds = self.timeouts.read if read is None else read
            return errors.timed_out(self.target, method, url, seconds)
        message = (
            f"The connection to {errors.where(self.target, url)} was lost ({reason}): try again"
        )
        return errors.TransportError(message, target=self.target, method=method, url=url)


def _run_path(run_id: str) -> str:
    return f"/run/{quote(run_id, safe='')}"


def _reason(exc: httpx.TransportError) -> str:
    text = str(exc).strip()
    name = {
        httpx.ConnectTimeout: "connection timed out",
        httpx.ReadTimeout: "no answer in time",
        httpx.WriteTimeout: "sending timed out",
        httpx.PoolTimeout: "no free connection",
        httpx.RemoteProtocolError: "the server closed the connection",
        httpx.ReadError: "the connection broke",
    }.get(type(exc))
    if name:
        return name
    return text or type(exc).__name__


def _filename_from(disposition: str | None) -> str | None:
    """The filename of a ``Content-Disposition`` header, if it names one."""
    if not disposition:
        return None
    for part in disposition.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "filename" and value:
            return value.strip('"') or None
    return None
