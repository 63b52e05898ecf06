"""The simulator in the window: pick scenarios, point them at a handler, read the live report.

Each scenario runs through :func:`composer.client.simulator.simulate` on the app's asyncio
loop, one after another, so its deliveries appear as they are answered and its verdicts as soon
as it ends; the window keeps responding even while a slow handler makes an attempt wait 20 s.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from composer.client.simulator import DeliveryPolicy, simulate
from composer.core.settings import Settings
from composer.core.simulation import (
    SCENARIO_GROUPS,
    SCENARIOS,
    AttemptReport,
    DeliveryReport,
    Outcome,
    ScenarioReport,
)
from composer.ui.theme import current_theme, set_role
from composer.ui.webhooks.recent import RecentUrls, remember, url_combo
from composer.ui.webhooks.replay_panel import normalise_url
from composer.ui.webhooks.tasks import spawn

RECENT_KEY: Final = "webhooks.simulator_urls"
PLACEHOLDER: Final = "Your handler, e.g. http://localhost:3000/api/webhook"
OUTCOME_WORDS: Final[dict[Outcome, str]] = {"pass": "PASS", "warn": "WARN", "fail": "FAIL"}


def outcome_color(outcome: Outcome) -> QColor:
    """Green, amber or red."""
    theme = current_theme()
    return QColor({"pass": theme.json_string, "warn": theme.warning, "fail": theme.error}[outcome])


def attempt_text(attempt: AttemptReport) -> str:
    """``POST 200 12 ms`` or ``GET: no answer within 20 s``."""
    if attempt.status is None:
        return f"{attempt.method}: {attempt.error or 'no answer'}"
    return f"{attempt.method} {attempt.status} {attempt.elapsed * 1000:.0f} ms"


class SimulatorPanel(QWidget):
    """Scenario choice, target URL, run/stop, and the report as a tree.

    ``policy`` is the delivery rules (the service's by default; the limit per attempt follows
    the spin box). :attr:`reports` holds the finished scenarios of the last run.
    """

    message = Signal(str)
    finished = Signal(list)  # list[ScenarioReport]

    def __init__(self, settings: Settings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("simulator")
        self.recent = RecentUrls(settings, RECENT_KEY)
        self.policy = DeliveryPolicy()
        self.reports: list[ScenarioReport] = []
        self.task: asyncio.Task[list[ScenarioReport]] | None = None
        self.receiver_url: str | None = None
        self._scenario_items: dict[str, QTreeWidgetItem] = {}

        self.url = url_combo("simulator__url", PLACEHOLDER, self.recent)
        self.use_receiver = QPushButton("Local receiver")
        self.use_receiver.setObjectName("simulator__use_receiver")
        self.use_receiver.setToolTip("Send to composer's own receiver, to see the deliveries")
        self.use_receiver.clicked.connect(self._point_at_receiver)
        self.limit = QDoubleSpinBox()
        self.limit.setObjectName("simulator__limit")
        self.limit.setRange(0.5, 120.0)
        self.limit.setDecimals(1)
        self.limit.setValue(self.policy.attempt_timeout)
        self.limit.setSuffix(" s")
        self.limit.setToolTip("Time limit per attempt (ComfyDeploy: 20 s)")
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("simulator__run")
        self.run_button.clicked.connect(self.run_or_stop)

        self.scenarios = QListWidget()
        self.scenarios.setObjectName("simulator__scenarios")
        self.scenarios.setAccessibleName("Scenarios")
        self.scenarios.setWordWrap(True)
        for name, info in SCENARIOS.items():
            item = QListWidgetItem(f"{name}: {info.description}")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            item.setToolTip(info.description)
            self.scenarios.addItem(item)
        picks = QHBoxLayout()
        picks.setSpacing(4)
        for label, names in (("All", SCENARIO_GROUPS["all"]), ("Traps", SCENARIO_GROUPS["traps"])):
            button = QPushButton(label)
            button.setObjectName(f"simulator__pick_{label.lower()}")
            button.clicked.connect(lambda _c=False, n=names: self.choose(n))
            picks.addWidget(button)
        none = QPushButton("None")
        none.setObjectName("simulator__pick_none")
        none.clicked.connect(lambda: self.choose(()))
        picks.addWidget(none)
        picks.addStretch(1)

        self.report = QTreeWidget()
        self.report.setObjectName("simulator__report")
        self.report.setAccessibleName("Simulator report")
        self.report.setHeaderLabels(["Scenario", "Answers", "Result"])
        self.report.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.report.header()
        header.resizeSection(0, 300)
        header.resizeSection(1, 260)
        header.setStretchLastSection(True)
        self.outcome = QLabel("Pick scenarios, type your handler's URL and press Run.")
        self.outcome.setObjectName("simulator__outcome")
        self.outcome.setWordWrap(True)
        set_role(self.outcome, "muted")

        top = QHBoxLayout()
        top.setSpacing(6)
        top.addWidget(self.url, 1)
        top.addWidget(self.use_receiver)
        limit_label = QLabel("Limit")
        limit_label.setBuddy(self.limit)
        top.addWidget(limit_label)
        top.addWidget(self.limit)
        top.addWidget(self.run_button)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.scenarios, 1)
        left_layout.addLayout(picks)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(self.report)
        split.setStretchFactor(1, 2)
        split.setSizes([330, 600])
        split.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.outcome)
        layout.addWidget(split, 1)

    # --- choosing ---

    def chosen(self) -> list[str]:
        """The checked scenarios, in menu order."""
        names = []
        for row in range(self.scenarios.count()):
            item = self.scenarios.item(row)
            if item.checkState() == Qt.CheckState.Checked:
                names.append(str(item.data(Qt.ItemDataRole.UserRole)))
        return names

    def choose(self, names: Sequence[str]) -> None:
        """Check exactly these scenarios."""
        wanted = set(names)
        for row in range(self.scenarios.count()):
            item = self.scenarios.item(row)
            on = item.data(Qt.ItemDataRole.UserRole) in wanted
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def set_receiver_url(self, url: str | None) -> None:
        """The local receiver's URL (None while it is stopped), for the shortcut button."""
        self.receiver_url = url
        self.use_receiver.setEnabled(url is not None)

    def _point_at_receiver(self) -> None:
        if self.receiver_url:
            self.url.setEditText(self.receiver_url)

    # --- running ---

    @property
    def running(self) -> bool:
        """True while scenarios are being sent."""
        return self.task is not None and not self.task.done()

    def run_or_stop(self) -> None:
        """The button: run, or stop the run under way."""
        if self.running and self.task is not None:
            self.task.cancel()
            return
        self.run()

    def run(self) -> asyncio.Task[list[ScenarioReport]] | None:
        """Send the chosen scenarios to the URL in the box; the task, or None when not started."""
        url = normalise_url(self.url.currentText())
        names = self.chosen()
        if not url:
            self.message.emit("Type the URL of your webhook handler first.")
            self.url.setFocus()
            return None
        if not names:
            self.message.emit("Pick at least one scenario.")
            return None
        remember(self.url, self.recent, url)
        self.policy = dataclasses.replace(self.policy, attempt_timeout=self.limit.value())
        self.reports = []
        self.report.clear()
        self._scenario_items = {}
        self._show_outcome(f"Sending {len(names)} scenario(s) to {url}…", None)
        self.task = spawn(self._run(url, names), self.message.emit)
        self.run_button.setText("Stop")
        return self.task

    async def _run(self, url: str, names: list[str]) -> list[ScenarioReport]:
        try:
            for name in names:
                self._scenario_item(name)
                report = await simulate(
                    url, [name], policy=self.policy, on_delivery=self.add_delivery
                )
                for scenario in report.scenarios:
                    self.add_verdicts(scenario)
        except asyncio.CancelledError:
            self._show_outcome(
                f"Stopped after {len(self.reports)} of {len(names)} scenarios.", None
            )
            raise
        finally:
            self.run_button.setText("Run")
        self._show_final()
        self.finished.emit(list(self.reports))
        return self.reports

    def _scenario_item(self, name: str) -> QTreeWidgetItem:
        item = self._scenario_items.get(name)
        if item is None:
            item = QTreeWidgetItem([name, "", "running…"])
            item.setToolTip(0, SCENARIOS[name].description)
            font = QFont(item.font(0))
            font.setBold(True)
            item.setFont(0, font)
            self.report.addTopLevelItem(item)
            deliveries = QTreeWidgetItem(["Deliveries", "", ""])
            item.addChild(deliveries)
            item.setExpanded(True)
            deliveries.setExpanded(True)  # watched live; folded once the verdicts are in
            self._scenario_items[name] = item
        return item

    @staticmethod
    def _deliveries_item(scenario: QTreeWidgetItem) -> QTreeWidgetItem:
        # The last child: verdicts are inserted before it.
        group = scenario.child(scenario.childCount() - 1)
        assert group is not None  # made with the scenario's item
        return group

    def add_delivery(self, scenario: str, delivery: DeliveryReport) -> None:
        """Show one delivery and its attempts (called as each is answered)."""
        group = self._deliveries_item(self._scenario_item(scenario))
        attempts = " → ".join(attempt_text(attempt) for attempt in delivery.attempts)
        verdict = "accepted" if delivery.accepted else "lost after every attempt"
        child = QTreeWidgetItem([f"{delivery.index}. {delivery.label}", attempts, verdict])
        child.setToolTip(0, (delivery.trap and f"trap: {delivery.trap}") or delivery.label)
        child.setToolTip(1, attempts)
        if not delivery.accepted:
            child.setForeground(2, outcome_color("fail"))
        elif delivery.retried:
            child.setForeground(2, outcome_color("warn"))
        group.addChild(child)
        group.setText(0, f"Deliveries ({group.childCount()})")
        self.report.scrollToItem(child)

    def add_verdicts(self, scenario: ScenarioReport) -> None:
        """Show a finished scenario's verdicts above its deliveries."""
        self.reports.append(scenario)
        parent = self._scenario_item(scenario.scenario)
        parent.setText(2, OUTCOME_WORDS[scenario.outcome])
        parent.setForeground(2, outcome_color(scenario.outcome))
        parent.setToolTip(2, f"run id {scenario.run_id}")
        retried = sum(1 for delivery in scenario.deliveries if delivery.retried)
        lost = sum(1 for delivery in scenario.deliveries if not delivery.accepted)
        counts = f"{len(scenario.deliveries)} deliveries"
        if retried:
            counts += f", {retried} retried"
        if lost:
            counts += f", {lost} lost"
        parent.setText(1, counts)
        for position, verdict in enumerate(scenario.verdicts):
            word = OUTCOME_WORDS[verdict.outcome]
            # The whole width: the verdict's sentence says what to change in the handler.
            item = QTreeWidgetItem([f"{word} · {verdict.check}: {verdict.message}"])
            item.setToolTip(0, verdict.message)
            item.setForeground(0, outcome_color(verdict.outcome))
            parent.insertChild(position, item)
            item.setFirstColumnSpanned(True)
        group = self._deliveries_item(parent)
        group.setExpanded(scenario.outcome != "pass")
        self.report.scrollToItem(parent)

    def _show_final(self) -> None:
        counts = {outcome: 0 for outcome in OUTCOME_WORDS}
        for scenario in self.reports:
            for verdict in scenario.verdicts:
                counts[verdict.outcome] += 1
        worst: Outcome = "fail" if counts["fail"] else "warn" if counts["warn"] else "pass"
        text = (
            f"{OUTCOME_WORDS[worst]}: {len(self.reports)} scenarios, {counts['pass']} checks "
            f"passed, {counts['warn']} warnings, {counts['fail']} failed."
        )
        if worst != "pass":
            text += " Expand a scenario for what to change in your handler."
        self._show_outcome(text, worst)
        self.message.emit(f"Simulator: {text}")

    def _show_outcome(self, text: str, outcome: Outcome | None) -> None:
        self.outcome.setText(text)
        role = {None: "muted", "pass": "plain", "warn": "warning", "fail": "error"}[outcome]
        set_role(self.outcome, role)
        if outcome == "pass":
            palette = self.outcome.palette()
            palette.setColor(self.outcome.foregroundRole(), outcome_color("pass"))
            self.outcome.setPalette(palette)
