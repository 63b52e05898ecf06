"""The window's runs: targets and keys, sessions per target, submit, cancel, re-run, webhooks.

:class:`RunsController` connects the window (Submit, the target selector, the catalogue), the
runs panel and the Qt-free :class:`~composer.client.session.Session` of each target. Everything
runs on the window's qasync loop; nothing here blocks it (the built-in sandbox and the discovery
webhook endpoint start on worker threads, history writes happen on the session's writer thread).

For other widgets:

- :meth:`RunsController.on_submission` (``listener(submission)``) and
  :meth:`RunsController.on_run` (``listener(submission, state)``): every change, as it happens,
  on the UI thread. Plain callbacks rather than Qt signals: a signal per run update would hand
  the interpreter lock over once per update, which stalls the window when hundreds of runs
  change at once (and the built-in sandbox runs on a thread of this process).
- :meth:`RunsController.feed_webhook`: hand a webhook delivery's JSON (from the webhook lab) to
  the session following that run.
- :attr:`RunsController.webhooks`: the discovery endpoint; its ``received`` signal carries each
  :class:`~composer.core.webhooks.WebhookRecord` it got.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject

from composer.client import errors
from composer.client.access import (
    CheckOutcome,
    ConnectionCheck,
    TargetAccess,
    check_connection,
    resolve_access,
)
from composer.client.api import ApiClient, warm_up_tls
from composer.client.group import PollSchedule
from composer.client.retry import RetryPolicy
from composer.client.session import Session, Submission
from composer.core.catalogue import DeploymentInfo, ModelInfo
from composer.core.history import HistoryStore
from composer.core.profiles import Profile, ProfileError, ProfileStore
from composer.core.runs import RunState
from composer.core.secrets import warm_up_keyring
from composer.core.snippets import KEY_VARIABLE
from composer.ui.runs.local_servers import BuiltinSandbox, DiscoveryWebhooks
from composer.ui.runs.notify import FinishNotifier
from composer.ui.targets import TargetChoice
from composer.ui.webhooks.tasks import spawn

if TYPE_CHECKING:
    from composer.ui.catalogue import CatalogueSource
    from composer.ui.main_window import MainWindow, SubmitRequest
    from composer.ui.targets_dialog import TargetsDialog


class RunsController(QObject):
    """Sends the window's requests and shows their runs (see the module docstring)."""

    def __init__(
        self,
        window: MainWindow,
        *,
        profiles: ProfileStore | None = None,
        history: HistoryStore | None = None,
        sandbox: BuiltinSandbox | None = None,
        schedule: PollSchedule | None = None,
        notifier: FinishNotifier | None = None,
        environ: Mapping[str, str] | None = None,
        trust_env: bool = True,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.view = window.ensure_runs_view()
        self.model = self.view.model
        self.profiles = profiles or ProfileStore()
        self.history = history
        self.sandbox = sandbox or BuiltinSandbox()
        self.webhooks = DiscoveryWebhooks(self.feed_webhook, self)
        self.notifier = notifier or FinishNotifier(window)
        self.schedule = schedule
        self.environ = os.environ if environ is None else environ
        self.trust_env = trust_env
        self.retry = retry
        self.sessions: dict[tuple[str, str, str], Session] = {}
        self.dialog: TargetsDialog | None = None
        self.tasks: set[asyncio.Task[Any]] = set()
        self._submission_listeners: list[Callable[[Submission], None]] = []
        self._run_listeners: list[Callable[[Submission, RunState], None]] = []
        self._closed = False
        window.runs_controller = self
        window.webhooks.connect_runs(self)  # the webhook lab: its events in, run timelines out

        window.submit_requested.connect(self.on_submit_requested)
        window.targets_requested.connect(lambda: self.open_targets())
        self.view.cancel_requested.connect(self.on_cancel_requested)
        self.view.rerun_requested.connect(self.on_rerun_requested)
        self.view.refresh_requested.connect(self.refresh)
        self.view.message.connect(window.show_message)
        self.refresh_targets()
        self._restore_target()
        # Both take tens of milliseconds the first time: done on worker threads now, so the first
        # request and the first key read do not stall the window.
        warm_up_tls()
        warm_up_keyring()
        if self.sandbox.url:
            window.targets.set_base_url("sandbox", self.sandbox.url)

    # --- targets ---

    def refresh_targets(self) -> None:
        """Offer the current profiles in the window's target selector."""
        try:
            self.window.targets.set_profiles(self.profiles.profiles())
        except ProfileError as exc:
            self.window.show_message(str(exc))

    def _restore_target(self) -> None:
        """Choose the target the open preset names, else the last session's (a custom target
        was not in the selector when the window restored its state)."""
        targets = self.window.targets
        for wanted in (self.window.document.target, self.window.settings.get_str("target")):
            if wanted and targets.find_target(wanted) >= 0:
                targets.select(wanted)
                return

    def profile_for(self, key: str) -> Profile:
        """The profile a target key names (raises :class:`ProfileError`)."""
        return self.profiles.resolve(key)

    async def access_for(self, profile: Profile) -> TargetAccess:
        """Base URL and key of a profile; the built-in sandbox is started first if needed."""
        if profile.is_sandbox:
            base_url = await self.sandbox.ensure()
            self.window.targets.set_base_url("sandbox", base_url)
            return resolve_access(self.profiles, profile, base_url=base_url, environ=self.environ)
        # A stored key comes from the OS keyring, which may be slow or ask to be unlocked:
        # read it on a worker thread so the window keeps painting meanwhile.
        return await asyncio.to_thread(
            resolve_access, self.profiles, profile, base_url=None, environ=self.environ
        )

    def session_for(self, access: TargetAccess) -> Session:
        """The session of a target and key (made on first use; a new key makes a new one, while
        runs sent with the old key are still followed by theirs)."""
        key = (access.name, access.base_url, access.api_key or "")
        session = self.sessions.get(key)
        if session is None:
            session = Session(
                access,
                history=self.history,
                schedule=self.schedule,
                local_webhook=self.webhooks.ensure,
                trust_env=self.trust_env,
                retry=self.retry,
            )
            session.on_submission(self._on_submission)
            session.on_run(self._on_run)
            session.on_problem(self.window.show_message)
            self.sessions[key] = session
        return session

    def catalogue_source(self, choice: TargetChoice) -> CatalogueSource | None:
        """The catalogue of a target: its client's ``GET /models`` and ``GET /deployments``
        (for the sandbox, started when the catalogue is first asked for)."""
        try:
            profile = self.profile_for(choice.key)
        except ProfileError:
            return None
        if profile.is_sandbox and self.sandbox.running:
            access = resolve_access(self.profiles, profile, base_url=self.sandbox.url)
            return self.session_for(access).api
        # The sandbox starts, or the key comes from the keyring, when the catalogue is asked for
        # (on the loop, the keyring on a worker thread): never here, on the window's thread.
        return _DeferredCatalogue(self, profile)

    async def test_connection(self, profile: Profile) -> ConnectionCheck:
        """A cheap authenticated read against a profile with its current key."""
        try:
            access = await self.access_for(profile)
        except Exception as exc:  # the sandbox did not start: say so
            return ConnectionCheck(CheckOutcome.UNREACHABLE, f"The sandbox did not start: {exc}")
        api = ApiClient(
            access.base_url, access.api_key, target=access.name, trust_env=self.trust_env
        )
        async with api:
            return await check_connection(api)

    def open_targets(self, profile_id: str | None = None) -> TargetsDialog:
        """Show the Targets dialog (one, non-modal), with a profile selected."""
        from composer.ui.targets_dialog import TargetsDialog

        if self.dialog is None:
            self.dialog = TargetsDialog(
                self.profiles,
                self.test_connection,
                env_key_set=lambda: bool(self.environ.get(KEY_VARIABLE)),
                parent=self.window,
            )
            self.dialog.profiles_changed.connect(self._after_profiles_changed)
            self.dialog.key_changed.connect(self._after_key_changed)
        if profile_id is not None:
            self.dialog.select(profile_id)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    def _after_profiles_changed(self) -> None:
        self.refresh_targets()

    def _after_key_changed(self, profile_id: str) -> None:
        if self.window.targets.choice.profile_id == profile_id:
            self.window.set_catalogue_provider(self.catalogue_source)  # deployments need the key

    # --- submitting ---

    def on_submit_requested(self, request: SubmitRequest) -> asyncio.Task[Submission | None] | None:
        """Submit (the window's signal) in the background."""
        return self._spawn(self.submit(request))

    async def submit(self, request: SubmitRequest) -> Submission | None:
        """Send the window's request to its target; problems are shown, never raised."""
        try:
            profile = self.profile_for(request.target)
        except ProfileError as exc:
            self._banner(f"Cannot send: {exc}", level="error")
            return None
        try:
            access = await self.access_for(profile)
        except Exception as exc:  # the sandbox could not start (port, import): say what
            self._banner(f"The built-in sandbox did not start: {exc}", level="error")
            return None
        session = self.session_for(access)
        self.window.submit_banner.hide()
        submission = await session.submit(request.body, request.kind, label=self._label())
        self._report(submission, profile.id)
        return submission

    def _label(self) -> str | None:
        """The preset's name; None for an unsaved request (the model or deployment id then)."""
        return self.window.document.name or None

    def _report(self, submission: Submission, profile_id: str | None) -> None:
        """Show what became of a submit: the row, or the error where it can be acted on."""
        self.window.show_runs()
        self.view.select_submission(submission)
        exc = submission.error
        if exc is None:
            self.window.show_message(f"Sent to {submission.target}: {submission.endpoint.path}")
            return
        if isinstance(exc, errors.ValidationFailedError):
            self.window.show_server_errors(exc.errors)
            self._banner(f"{exc}. The fields concerned are marked.", level="error")
        elif isinstance(exc, errors.UnauthorizedError | errors.UnreachableError):
            self._banner(
                str(exc), [("Open Targets…", lambda: self.open_targets(profile_id))], "error"
            )
        elif isinstance(exc, errors.OutcomeUnknownError):
            self._banner(str(exc), level="warning")
        else:
            self._banner(str(exc), level="error")

    def _banner(
        self, text: str, actions: list[tuple[str, Any]] | None = None, level: str = "error"
    ) -> None:
        self.window.submit_banner.show_message(text, actions or [], level=level)
        self.window.show_message(text)

    # --- the runs panel's actions ---

    def on_cancel_requested(
        self, submission: Submission, run_id: str | None
    ) -> asyncio.Task[None] | None:
        """Cancel a run (or every open run of a submission) in the background."""
        return self._spawn(self.cancel(submission, run_id))

    async def cancel(self, submission: Submission, run_id: str | None = None) -> None:
        """Ask the API to cancel; failures are shown in the status bar."""
        session = submission.session
        if run_id is not None:
            try:
                await session.cancel(run_id)
            except errors.ApiError as exc:
                self.window.show_message(f"Cancel failed: {exc}")
            return
        results = await session.cancel_submission(submission)
        failed = [r for r in results if isinstance(r, errors.ApiError)]
        if failed:
            self.window.show_message(f"{len(failed)} cancels failed: {failed[0]}")
        else:
            self.window.show_message(f"Asked to cancel {len(results)} runs of {submission.label}")

    def on_rerun_requested(self, submission: Submission) -> asyncio.Task[Submission | None] | None:
        """Send a submission's request again, in the background."""
        return self._spawn(self.rerun(submission))

    async def rerun(self, submission: Submission) -> Submission | None:
        """The same body to the same target and key."""
        session = submission.session
        if session.closed:
            return None
        again = await session.rerun(submission)
        self._report(again, session.access.profile_id)
        return again

    def refresh(self, submission: Submission, run_id: str) -> None:
        """Poll a run now (after the API or the network came back)."""
        submission.session.group.poll_now(run_id)

    # --- webhooks ---

    def feed_webhook(self, payload: Any) -> RunState | None:
        """A webhook delivery's JSON: merged into the session following its run; a run no
        session knows goes to sessions with a batch still looking for its runs."""
        run_id = payload.get("run_id") if isinstance(payload, dict) else None
        if not isinstance(run_id, str):
            return None
        for session in self.sessions.values():
            if session.submission_of(run_id) is not None:
                return session.feed_webhook(payload)
        state = None
        for session in self.sessions.values():
            if session.wants_webhooks():
                state = session.feed_webhook(payload) or state
        return state

    # --- session events ---

    def on_submission(self, listener: Callable[[Submission], None]) -> Callable[[], None]:
        """Call ``listener(submission)`` when a submission is created, answered, fails or a
        run of its batch is found; returns a remover."""
        return _add(self._submission_listeners, listener)

    def on_run(self, listener: Callable[[Submission, RunState], None]) -> Callable[[], None]:
        """Call ``listener(submission, state)`` for every changed run state; returns a
        remover. Keep it quick (hundreds of runs may change at once): store, then draw later."""
        return _add(self._run_listeners, listener)

    def _on_submission(self, submission: Submission) -> None:
        self.model.note_submission(submission)
        for listener in list(self._submission_listeners):
            listener(submission)

    def _on_run(self, submission: Submission, state: RunState) -> None:
        self.model.note_state(submission, state)
        self.notifier.note(submission, state)
        for listener in list(self._run_listeners):
            listener(submission, state)

    # --- lifecycle ---

    def _spawn[T](self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T] | None:
        """Run a background action; a bug in it is said in the window, not only logged.

        Kept in :attr:`tasks` while it runs, so :meth:`aclose` can cancel it.
        """
        task = spawn(coro, self.window.show_message, describe=_did_not_work)
        if task is not None:
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return task

    async def aclose(self) -> None:
        """Stop following (the runs go on), finish history writes, stop the local servers."""
        if self._closed:
            return
        self._closed = True
        for task in list(self.tasks):
            task.cancel()
        for session in list(self.sessions.values()):
            await session.aclose()
        self.notifier.close()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.webhooks.stop)
        await loop.run_in_executor(None, self.sandbox.stop)


def _did_not_work(error: BaseException) -> str:
    return f"That did not work ({type(error).__name__}: {error})"


def _add[T](listeners: list[T], listener: T) -> Callable[[], None]:
    listeners.append(listener)
    return lambda: listeners.remove(listener) if listener in listeners else None


class _DeferredCatalogue:
    """A target's catalogue whose access is found when first asked: the built-in sandbox
    started, or the API key read from the OS keyring (which may be slow, or ask to unlock)."""

    def __init__(self, controller: RunsController, profile: Profile) -> None:
        self.controller = controller
        self.profile = profile

    async def _api(self) -> ApiClient:
        access = await self.controller.access_for(self.profile)
        return self.controller.session_for(access).api

    async def models(self) -> list[ModelInfo]:
        """``GET /models`` of the target."""
        return await (await self._api()).models()

    async def deployments(self) -> list[DeploymentInfo]:
        """``GET /deployments`` of the target."""
        return await (await self._api()).deployments()
