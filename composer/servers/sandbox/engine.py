"""The sandbox's run registry: creating, queueing, cancelling and reporting runs.

Everything here runs on the sandbox's own event loop. A run's execution (its timing and steps)
lives in :mod:`lifecycle`; this module owns the state and turns every change into the events
clients see: the run object, webhook deliveries and stream frames.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import itertools
import random
import secrets
from collections.abc import Iterable
from typing import Any
from uuid import UUID, uuid4

from composer.core.webhook_urls import wants_run_output
from composer.servers.sandbox.config import SandboxConfig
from composer.servers.sandbox.files import FileStore
from composer.servers.sandbox.images import render_animation, render_run_image
from composer.servers.sandbox.runs import Outcome, Run, RunOutput, utc_now, webhook_time
from composer.servers.sandbox.slots import Slots
from composer.servers.sandbox.targets import OutputDef, Target
from composer.servers.sandbox.webhooks import WebhookDispatcher

_DATA_URL_TYPES = {
    "data:image/png;base64,": ("png", "image/png"),
    "data:image/jpeg;base64,": ("jpeg", "image/jpeg"),
    "data:image/jpg;base64,": ("jpeg", "image/jpeg"),
}
WARM_SECONDS = 60.0  # a target stays warm this long (simulated) after its last run


class InputImageError(ValueError):
    """A ``data:image/...;base64,`` input that does not decode."""


class Engine:
    """All runs of one sandbox, their queues and their events."""

    def __init__(self, config: SandboxConfig, files: FileStore, webhooks: WebhookDispatcher):
        self.config = config
        self.files = files
        self.webhooks = webhooks
        webhooks.on_result = self._webhook_result
        self.files_url = "http://127.0.0.1/api/files"  # set by the server once it is bound
        self.runs: dict[UUID, Run] = {}
        self._slots: dict[str, Slots] = {}
        self._waiting: dict[str, list[Run]] = {}
        self._warm_until: dict[str, float] = {}
        self._numbers = itertools.count(1)
        self._seeder = random.Random(config.seed)
        # Cleared by pause(): every run stops at its next step until resume() sets it again.
        self.gate = asyncio.Event()
        self.gate.set()

    # --- creating runs ---

    def create_run(
        self,
        target: Target,
        inputs: dict[str, Any],
        *,
        origin: str | None,
        webhook: str | None,
        intermediate: bool,
        gpu: str | None,
        gpu_event_id: str | None,
        batch_id: UUID | None = None,
        native: bool = False,
    ) -> Run:
        """Register a new run (``not-started``); :meth:`start` sets it going."""
        if self.config.seed is not None:
            rng = random.Random(self._seeder.getrandbits(64))
            run_id = UUID(int=rng.getrandbits(128), version=4)
        else:
            rng = random.Random()
            run_id = uuid4()
        draw = rng.random()
        outcome: Outcome = "success"
        if draw < self.config.fail_rate:
            outcome = "failed"
        elif draw < self.config.fail_rate + self.config.timeout_rate:
            outcome = "timeout"
        run = Run(
            id=run_id,
            number=next(self._numbers),
            target=target,
            inputs=dict(inputs),
            origin=origin,
            webhook=webhook,
            webhook_intermediate_status=intermediate,
            gpu=target.gpu if target.kind == "deployment" else (gpu or target.gpu),
            gpu_event_id=gpu_event_id if native else None,
            batch_id=batch_id,
            native=native,
            outcome=outcome,
            rng=rng,
        )
        self.runs[run.id] = run
        if native:
            # Nothing executes: the caller's worker would run it (is_native_run).
            run.queued_at = run.started_at = run.created_at
        else:
            run.modal_function_call_id = f"fc-{rng.getrandbits(96):024X}"
            self._waiting.setdefault(target.id, []).append(run)
        return run

    def start(self, run: Run) -> None:
        """Begin the run's lifecycle as a task of its own."""
        from composer.servers.sandbox.lifecycle import execute

        if run.native or run.task is not None:
            return
        run.task = asyncio.get_running_loop().create_task(execute(self, run))

    def store_input_images(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """Replace ``data:image/...;base64,`` inputs by URLs of files the sandbox serves,
        as the real service uploads them before creating the run."""
        stored = dict(inputs)
        for key, value in inputs.items():
            if not isinstance(value, str):
                continue
            for prefix, (extension, media_type) in _DATA_URL_TYPES.items():
                if value.startswith(prefix):
                    try:
                        content = base64.b64decode(value[len(prefix) :], validate=True)
                    except (binascii.Error, ValueError) as exc:
                        raise InputImageError(
                            f"The input {key!r} is not valid base64 image data"
                        ) from exc
                    path = f"inputs/img_{secrets.token_hex(8)}.{extension}"
                    self.files.put(path, media_type, content)
                    stored[key] = f"{self.files_url}/{path}"
                    break
        return stored

    # --- queries ---

    def get(self, run_id: UUID) -> Run | None:
        """The run with this id."""
        return self.runs.get(run_id)

    def queue_position(self, run: Run) -> int | None:
        """How many runs of the same target were created earlier and still wait (0: next)."""
        if not run.waiting:
            return None
        waiting = self._waiting.get(run.target.id, [])
        with contextlib.suppress(ValueError):
            return waiting.index(run)
        return None

    def runs_of(self, target_id: str) -> list[Run]:
        """The runs of one target, newest first."""
        return [run for run in reversed(self.runs.values()) if run.target.id == target_id]

    def slots_for(self, target: Target) -> Slots:
        """The concurrency limit of a target's queue."""
        slots = self._slots.get(target.id)
        if slots is None:
            limit = target.concurrency_limit
            slots = Slots(lambda: limit or self.config.concurrency)
            self._slots[target.id] = slots
        return slots

    def is_cold(self, target: Target) -> bool:
        """True when no container of the target is running or was recently used."""
        if self.slots_for(target).active > 1:
            return False
        return asyncio.get_running_loop().time() > self._warm_until.get(target.id, 0.0)

    def keep_warm(self, target: Target) -> None:
        """Note that a run of the target just ended: the next one starts warm for a while."""
        until = asyncio.get_running_loop().time() + self.config.scaled(WARM_SECONDS)
        self._warm_until[target.id] = until

    def leave_queue(self, run: Run) -> None:
        """Take a run out of its target's waiting list."""
        waiting = self._waiting.get(run.target.id)
        if waiting is not None:
            with contextlib.suppress(ValueError):
                waiting.remove(run)

    # --- events ---

    def set_status(self, run: Run, status: str) -> None:
        """Change the status; tell stream subscribers and the webhook (from ``queued`` on)."""
        now = utc_now()
        run.status = status
        run.updated_at = now
        if status == "queued":
            run.queued_at = run.queued_at or now
        elif status == "started":
            run.started_at = now
        if run.terminal:
            run.ended_at = now
            self.leave_queue(run)
        self.publish(run, "status", {"status": status})
        if run.webhook and status != "not-started":
            self.webhooks.send(run.webhook, str(run.id), run.webhook_payload(self.files_url))
        if run.terminal:
            run.done.set()

    def set_progress(self, run: Run, live_status: str, progress: float) -> None:
        """A node began executing: live status and progress, and the intermediate webhook."""
        run.live_status = live_status
        run.progress = progress
        run.updated_at = utc_now()
        self.publish(run, "live_status", {"live_status": live_status, "progress": progress})
        if run.webhook and run.webhook_intermediate_status:
            payload = run.webhook_payload(self.files_url, outputs=[])
            self.webhooks.send(run.webhook, str(run.id), payload)

    def save_output(self, run: Run, spec: OutputDef) -> RunOutput:
        """Save one output of the run: its file(s), the output object and its events."""
        output = RunOutput(
            id=UUID(int=run.rng.getrandbits(128), version=4),
            run_id=run.id,
            output_id=spec.output_id,
            node_id=spec.node_id,
            node_class=spec.class_type,
            kind=spec.kind,
            items=self._output_items(run, spec),
            created_at=utc_now(),
        )
        run.outputs.append(output)
        run.updated_at = output.created_at
        data = output.to_json(self.files_url)["data"]
        self.publish(
            run, "executed", {"node": spec.node_id, "output": data, "prompt_id": str(run.id)}
        )
        self.publish(run, "output_ready", {"output_id": spec.output_id, "node_id": spec.node_id})
        if run.webhook and wants_run_output(run.webhook):
            payload = run.webhook_payload(self.files_url, outputs=[output], event="run.output")
            self.webhooks.send(run.webhook, str(run.id), payload)
        return output

    def _output_items(self, run: Run, spec: OutputDef) -> list[Any]:
        prompt, seed, extra = describe_inputs(run)
        if spec.kind == "text":
            return [f"{run.target.name}: seed {seed}; " + "; ".join(extra or ["default settings"])]
        title = run.target.name
        if spec.kind == "gifs":
            filename = f"{spec.output_id}_{run.number:05d}_.gif"
            media_type = "image/gif"
            self.files.put_lazy(
                f"{run.id}/{filename}", media_type, lambda: render_animation(title, prompt, seed)
            )
        else:
            filename = f"{spec.output_id}_{run.number:05d}_.png"
            media_type = "image/png"
            self.files.put_lazy(
                f"{run.id}/{filename}",
                media_type,
                lambda: render_run_image(title, prompt, seed, extra),
            )
        return [
            {
                "path": f"{run.id}/{filename}",
                "type": "output",
                "filename": filename,
                "is_public": True,
                "subfolder": "",
                "upload_duration": round(run.rng.uniform(0.05, 0.4), 3),
            }
        ]

    def publish(self, run: Run, event: str, data: Any) -> None:
        """Send an ``event_update`` frame to the run's stream subscribers."""
        if run.subscribers:
            frame = data if event == "" else {"event": event, "data": data}
            for queue in run.subscribers:
                queue.put_nowait(("event_update", frame))

    def log(self, run: Run, text: str) -> None:
        """A log line of the run, streamed as ``log_update``."""
        run.logs.append(text)
        if run.subscribers:
            frame = {"logs": text, "timestamp": webhook_time(utc_now())}
            for queue in run.subscribers:
                queue.put_nowait(("log_update", frame))

    def subscribe(self, run: Run) -> asyncio.Queue[tuple[str, Any]]:
        """A queue receiving the run's stream frames from now on."""
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        run.subscribers.append(queue)
        return queue

    def unsubscribe(self, run: Run, queue: asyncio.Queue[tuple[str, Any]]) -> None:
        """Stop sending frames to ``queue``."""
        with contextlib.suppress(ValueError):
            run.subscribers.remove(queue)

    def _webhook_result(self, run_id: str, ok: bool) -> None:
        with contextlib.suppress(ValueError):
            run = self.runs.get(UUID(run_id))
            if run is not None:
                run.webhook_status = "success" if ok else "failed"

    # --- cancelling and shutting down ---

    def cancel(self, run: Run) -> None:
        """Cancel a run that has not ended (an ended run is left as it is)."""
        if run.terminal:
            return
        if run.task is not None:
            run.task.cancel()
        self.set_status(run, "cancelled")

    async def stop_all(self) -> None:
        """Stop every run task (without changing statuses) and wait for them."""
        tasks = [run.task for run in self.runs.values() if run.task and not run.task.done()]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def reset(self) -> None:
        """Forget every run and file (tests call this between tests)."""
        await self.stop_all()
        await self.webhooks.cancel_all()
        self.runs.clear()
        self._slots.clear()
        self._waiting.clear()
        self._warm_until.clear()
        self._numbers = itertools.count(1)
        self._seeder = random.Random(self.config.seed)
        self.gate.set()
        self.webhooks.attempts.clear()
        self.files.clear(keep=lambda path: path.startswith("previews/"))


def describe_inputs(run: Run) -> tuple[str, object, list[str]]:
    """The prompt, the seed and a few other settings of a run, for its pictures and texts."""
    inputs = {**run.target.defaults(), **run.inputs}
    prompt = ""
    for key, value in inputs.items():
        if "prompt" in key and "negative" not in key and isinstance(value, str):
            prompt = value
            break
    seed = inputs.get("seed", "random")
    extra = [
        f"{key}: {value}"
        for key, value in _scalars(inputs.items())
        if key != "seed" and "prompt" not in key and not str(value).startswith("http")
    ]
    return prompt, seed, extra[:3]


def _scalars(items: Iterable[tuple[str, Any]]) -> Iterable[tuple[str, Any]]:
    for key, value in items:
        if isinstance(value, str | int | float | bool) and len(str(value)) <= 40:
            yield key, value
