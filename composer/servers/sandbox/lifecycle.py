"""One run's life: queue, cold start, per-node execution, outputs, and how it ends.

``not-started -> queued -> started -> running -> success | failed | timeout`` (``cancelled`` comes
from :meth:`Engine.cancel`). Every delay is simulated seconds divided by the speed factor and
drawn from the run's own random generator, so with a seed a run's timing and outcome repeat.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from composer.core.simulation import float32
from composer.servers.sandbox.runs import Run, utc_now
from composer.servers.sandbox.targets import NodeDef

if TYPE_CHECKING:
    from composer.servers.sandbox.engine import Engine

_MAX_STEPS = 200


async def execute(engine: Engine, run: Run) -> None:
    """Drive ``run`` from ``not-started`` to its end; cancelled by :meth:`Engine.cancel`."""
    slots = engine.slots_for(run.target)
    ticket = slots.ticket()  # before any await: slots go to runs in creation order
    holding = False
    try:
        await _pause(engine, run, 0.15, 0.4)  # the API hands the run to the queue
        engine.set_status(run, "queued")
        engine.publish(run, "function_call_id", run.modal_function_call_id)
        await ticket
        holding = True
        await _boot(engine, run)
        outcome = await _run_nodes(engine, run)
        if outcome == "success":
            engine.log(run, f"Prompt executed in {_elapsed(run):.2f} seconds")
            engine.publish(run, "executing", {"node": None, "prompt_id": str(run.id)})
        engine.set_status(run, outcome)
    finally:
        if holding:
            slots.release()
            engine.keep_warm(run.target)
        else:
            slots.withdraw(ticket)
        engine.leave_queue(run)


async def _boot(engine: Engine, run: Run) -> None:
    cold = engine.is_cold(run.target)
    gpu = run.gpu or run.target.gpu
    engine.log(run, f"Starting a {gpu} container" + (" (cold start)" if cold else ""))
    await _pause(engine, run, *((3.0, 6.0) if cold else (0.3, 0.8)))
    engine.leave_queue(run)
    engine.publish(run, "gpu_ready", {"gpu": gpu, "cold_start": cold})
    engine.set_status(run, "started")
    await _pause(engine, run, *((1.0, 2.0) if cold else (0.1, 0.3)))
    engine.publish(run, "comfyui_api_ready", None)
    engine.publish(run, "comfyui_ready", None)
    engine.log(run, "got prompt")
    engine.publish(run, "", {"prompt_id": str(run.id), "number": run.number, "node_errors": {}})
    engine.set_status(run, "running")
    engine.publish(run, "execution_start", {"prompt_id": str(run.id), "timestamp": _now_ms()})


async def _run_nodes(engine: Engine, run: Run) -> str:
    """Execute the workflow's nodes; returns how the run ends."""
    target = run.target
    nodes = target.nodes
    stop_at = run.rng.randrange(len(nodes)) if run.outcome != "success" else -1
    missing = [
        spec.input_id
        for spec in target.inputs
        if spec.required and spec.default is None and _blank(run.inputs.get(spec.input_id))
    ]
    outputs_by_node = {spec.node_id: spec for spec in target.outputs}
    for index, node in enumerate(nodes):
        engine.publish(run, "executing", {"node": node.node_id, "prompt_id": str(run.id)})
        engine.set_progress(run, f"Executing {node.class_type}", float32(index / len(nodes)))
        if index == stop_at:
            await _pause(engine, run, node.seconds * 0.3, node.seconds * 0.6)
            if run.outcome == "timeout":
                engine.log(run, f"Run timed out after {target.run_timeout} seconds")
            else:
                engine.log(run, f"Error executing {node.class_type}: CUDA out of memory (sandbox)")
            return run.outcome
        if missing and node.class_type.startswith("ComfyUIDeployExternal"):
            engine.log(run, f"Required input {missing[0]!r} is missing: the workflow cannot run")
            return "failed"
        await _execute_node(engine, run, node)
        if node.node_id in outputs_by_node:
            engine.save_output(run, outputs_by_node.pop(node.node_id))
    for spec in outputs_by_node.values():  # outputs of nodes the pipeline does not list
        engine.save_output(run, spec)
    return "success"


async def _execute_node(engine: Engine, run: Run, node: NodeDef) -> None:
    if node.steps_input is None:
        await _pause(engine, run, node.seconds * 0.8, node.seconds * 1.2)
        return
    steps = _steps(run.inputs.get(node.steps_input), node.default_steps)
    per_step = node.seconds * run.rng.uniform(0.8, 1.2)
    if not run.subscribers:
        # Nobody watches the steps: one wait instead of one per step keeps 1,000 runs cheap.
        await _sleep(engine, per_step * steps)
        return
    for step in range(1, steps + 1):
        await _sleep(engine, per_step)
        progress = {"value": step, "max": steps, "node": node.node_id, "prompt_id": str(run.id)}
        engine.publish(run, "progress", progress)
    engine.log(run, f"100%|{'█' * 10}| {steps}/{steps}")


async def _pause(engine: Engine, run: Run, low: float, high: float) -> None:
    await _sleep(engine, run.rng.uniform(low, high))


async def _sleep(engine: Engine, seconds: float) -> None:
    # A paused sandbox holds every run here, before and after the wait, so no state changes
    # while paused (tests look at a passing state this way).
    await engine.gate.wait()
    await asyncio.sleep(engine.config.scaled(seconds))
    await engine.gate.wait()


def _steps(value: Any, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return min(max(int(value), 1), _MAX_STEPS)


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _elapsed(run: Run) -> float:
    start = run.started_at or run.created_at
    return (utc_now() - start).total_seconds()


def _now_ms() -> int:
    return int(utc_now().timestamp() * 1000)
