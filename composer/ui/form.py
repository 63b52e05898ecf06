"""The request form: every field of a model run or a deployment run, bound to the draft.

Sections: the kind switch and the target (``model_id`` or ``deployment_id``), the run options,
the webhook, ``inputs``, ``batch_input_params``, and an "Advanced (workspace-internal)" section.
Switching the kind keeps every shared field. The form registers each field as the owner of its
path with the :class:`~composer.ui.problems.ProblemMarker`, so errors appear where they happen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCompleter,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from composer.core.draft import MISSING, DraftChange
from composer.core.wire import (
    EXECUTION_MODE_HELP,
    EXECUTION_MODES,
    GPUS,
    KNOWN_ORIGINS,
    RequestKind,
)
from composer.ui.batch_editor import BatchEditor
from composer.ui.binding import DraftBinding
from composer.ui.catalogue import Catalogue
from composer.ui.fields import BoolField, ChoiceField, ComboTextField, FieldRow, LineField
from composer.ui.icons import set_icon
from composer.ui.inputs_editor import InputsEditor
from composer.ui.menu_button import MenuButton
from composer.ui.problems import ProblemMarker
from composer.ui.theme import set_role

if TYPE_CHECKING:
    from composer.core.catalogue import InputSpec

LABEL_WIDTH = 150


def _parse_int(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return text  # "-" while typing: validation says what is wrong


def _picker(tip: str, name: str) -> MenuButton:
    button = MenuButton()
    set_icon(button, "chevron-down")
    button.setText("Pick")
    button.setToolTip(tip)
    button.setAccessibleName(tip)
    button.setObjectName(name)
    return button


class RequestForm(QWidget):
    """All request fields; edits go to the draft, the draft's changes come back here."""

    def __init__(
        self,
        binding: DraftBinding,
        marker: ProblemMarker,
        catalogue: Catalogue,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("form_body")
        self.binding = binding
        self.marker = marker
        self.catalogue = catalogue
        self.fields: dict[str, FieldRow] = {}
        self._grid = QGridLayout()
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(14)
        self._grid.setVerticalSpacing(8)
        self._grid.setColumnMinimumWidth(0, LABEL_WIDTH)
        self._grid.setColumnStretch(1, 1)
        self._row = 0
        self.labels: dict[str, QLabel] = {}

        self._build_kind()
        self._build_target()
        self._build_run()
        self._build_webhook()
        self.inputs = InputsEditor(binding)
        self._section("Inputs", "inputs")
        self._span(self.inputs)
        self.batch = BatchEditor(binding)
        self._section("Batch", "batch_input_params")
        self._span(self.batch)
        self._build_advanced()

        outer = QVBoxLayout(self)
        outer.setContentsMargins(20, 14, 20, 24)
        outer.addLayout(self._grid)
        outer.addStretch(1)

        marker.register(("inputs",), self.inputs)
        marker.register(("batch_input_params",), self.batch)
        for name, field in self.fields.items():
            marker.register((name,), field)
        binding.changed.connect(self.on_change)
        catalogue.changed.connect(self.refresh_catalogue)
        self.refresh_catalogue()
        self.refresh()

    # --- layout helpers ---

    def _section(self, title: str, wire_name: str = "") -> QLabel:
        if self._row:
            line = QFrame()
            set_role(line, "separator")
            self._grid.addWidget(line, self._row, 0, 1, 2)
            self._row += 1
        label = QLabel(title)
        set_role(label, "section")
        label.setContentsMargins(0, 4, 0, 0)
        if wire_name:
            label.setToolTip(wire_name)
        self._grid.addWidget(label, self._row, 0, 1, 2)
        self._row += 1
        return label

    def _field(self, title: str, field: FieldRow, tip: str = "") -> FieldRow:
        name = field.origin
        label = QLabel(title)
        label.setToolTip(tip or name)
        label.setBuddy(field.control)
        label.setContentsMargins(0, 5, 0, 0)
        self._grid.addWidget(label, self._row, 0, Qt.AlignmentFlag.AlignTop)
        self._grid.addWidget(field, self._row, 1)
        self._row += 1
        self.fields[name] = field
        self.labels[name] = label
        return field

    def _span(self, widget: QWidget) -> None:
        self._grid.addWidget(widget, self._row, 0, 1, 2)
        self._row += 1

    # --- sections ---

    def _build_kind(self) -> None:
        self.kind_group = QButtonGroup(self)
        bar = QHBoxLayout()
        bar.setSpacing(0)
        self.kind_buttons: dict[RequestKind, QPushButton] = {}
        for kind in RequestKind:
            button = QPushButton(kind.label)
            button.setCheckable(True)
            button.setObjectName(f"kind_{kind.value}")
            button.setAccessibleName(f"kind: {kind.label}")
            button.setToolTip(
                "A run of a catalogue model (model_id)"
                if kind is RequestKind.MODEL
                else "A run of one of your deployments (deployment_id)"
            )
            self.kind_group.addButton(button)
            self.kind_buttons[kind] = button
            bar.addWidget(button)
            button.clicked.connect(lambda _checked=False, k=kind: self.set_kind(k))
        bar.addStretch(1)
        holder = QWidget()
        holder.setObjectName("kind")
        holder.setAccessibleName("kind")
        holder.setLayout(bar)
        bar.setContentsMargins(0, 0, 0, 4)
        self._span(holder)

    def _build_target(self) -> None:
        self._section("Target")
        self.model_picker = _picker("Choose a catalogue model", "model_id__pick")
        self.model_field = self._field(
            "Model",
            LineField(
                self.binding,
                ("model_id",),
                placeholder="required · a catalogue model id, e.g. flux-dev",
                unset_tip="required",
                extras=(self.model_picker,),
            ),
            "model_id: which catalogue model runs",
        )
        self._model_ids = QStringListModel(self)
        completer = QCompleter(self._model_ids, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        assert isinstance(self.model_field, LineField)
        self.model_field.edit.setCompleter(completer)
        completer.activated.connect(lambda _text: self.binding.draft.seal())
        self.deployment_picker = _picker("Choose one of your deployments", "deployment_id__pick")
        self.deployment_field = self._field(
            "Deployment",
            LineField(
                self.binding,
                ("deployment_id",),
                placeholder="required · the deployment's id (a UUID)",
                unset_tip="required",
                extras=(self.deployment_picker,),
            ),
            "deployment_id: which of your deployments runs",
        )

    def _build_run(self) -> None:
        self._section("Run")
        self.mode_field = self._field(
            "Execution mode",
            ChoiceField(
                self.binding,
                ("execution_mode",),
                EXECUTION_MODES,
                unset_label="not set · async",
                unset_tip="the server uses async",
                tips=dict(EXECUTION_MODE_HELP),
            ),
            "execution_mode: how the server answers",
        )
        self._field(
            "GPU",
            ChoiceField(
                self.binding,
                ("gpu",),
                GPUS,
                unset_label="not set · the deployment's GPU",
                unset_tip="the deployment's own GPU",
            ),
            "gpu: the machine type (a deployment's own GPU overrides it)",
        )
        self._field(
            "Batch number",
            LineField(
                self.binding,
                ("batch_number",),
                placeholder="not set · one run",
                unset_tip="one run",
                parse=_parse_int,
                pattern=r"-?\d{0,9}",
            ),
            "batch_number: N identical runs (ignored when batch parameters are set)",
        )
        self._field(
            "Origin",
            ComboTextField(
                self.binding,
                ("origin",),
                KNOWN_ORIGINS,
                placeholder="not set · api",
                unset_tip="the server stores api",
            ),
            "origin: stored with the run; the server's database knows the listed values",
        )

    def _build_webhook(self) -> None:
        self._section("Webhook")
        self._field(
            "Webhook URL",
            LineField(
                self.binding,
                ("webhook",),
                placeholder="not set · no webhook calls",
                unset_tip="no webhook calls",
            ),
            "webhook: ComfyDeploy POSTs run updates to this URL",
        )
        # Filled by composer.ui.webhooks ("Use local receiver", run.output, the reach note).
        self.webhook_slot = QVBoxLayout()
        self.webhook_slot.setContentsMargins(0, 0, 0, 0)
        self._grid.addLayout(self.webhook_slot, self._row, 1)
        self._row += 1
        self._field(
            "Progress events",
            BoolField(
                self.binding,
                ("webhook_intermediate_status",),
                "Also send progress updates",
                default=False,
                unset_tip="false: status changes only",
            ),
            "webhook_intermediate_status: a webhook call per executed node",
        )

    def _build_advanced(self) -> None:
        self._section("Advanced (workspace-internal)")
        self.advanced_toggle = QToolButton()
        self.advanced_toggle.setObjectName("advanced__toggle")
        self.advanced_toggle.setCheckable(True)
        self.advanced_toggle.setText("Show")
        set_role(self.advanced_toggle, "flat")
        self.advanced_toggle.setToolTip("Fields the ComfyDeploy workspace uses internally")
        warning = QLabel(
            "These fields are for ComfyDeploy's own workspace. is_native_run creates a run "
            "that never executes; gpu_event_id ties it to a GPU session."
        )
        warning.setWordWrap(True)
        set_role(warning, "warning")
        holder = QWidget()
        line = QHBoxLayout(holder)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(warning, 1)
        line.addWidget(self.advanced_toggle, 0, Qt.AlignmentFlag.AlignTop)
        self._span(holder)
        new_uuid = QToolButton()
        set_icon(new_uuid, "uuid")
        new_uuid.setText("New UUID")
        new_uuid.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        new_uuid.setObjectName("gpu_event_id__new")
        new_uuid.setToolTip("Fill in a new random UUID")
        new_uuid.clicked.connect(self.new_gpu_event_id)
        self.advanced = [
            self._field(
                "Native run",
                BoolField(
                    self.binding,
                    ("is_native_run",),
                    "Create the run without executing it",
                    default=False,
                    unset_tip="false: the run executes",
                ),
                "is_native_run: the server answers with worker parameters",
            ),
            self._field(
                "GPU event id",
                LineField(
                    self.binding,
                    ("gpu_event_id",),
                    placeholder="not set",
                    unset_tip="no GPU session",
                    extras=(new_uuid,),
                ),
                "gpu_event_id: the id of a GPU session",
            ),
        ]
        self.advanced_toggle.toggled.connect(self.show_advanced)
        self.show_advanced(False)

    # --- behaviour ---

    def show_advanced(self, shown: bool) -> None:
        """Show or hide the workspace-internal fields (always shown when set)."""
        any_set = any(self.binding.is_set(field.path) for field in self.advanced)
        visible = shown or any_set
        for field in self.advanced:
            field.setVisible(visible)
            self.labels[field.origin].setVisible(visible)
        self.advanced_toggle.setText("Hide" if visible else "Show")
        self.advanced_toggle.setEnabled(not any_set)
        if self.advanced_toggle.isChecked() != shown:
            self.advanced_toggle.setChecked(shown)

    def new_gpu_event_id(self) -> str:
        """Fill ``gpu_event_id`` with a new UUID."""
        import uuid  # loaded when first needed (start-up)

        value = str(uuid.uuid4())
        self.binding.draft.seal()
        self.binding.set(("gpu_event_id",), value)
        self.binding.draft.seal()
        return value

    def set_kind(self, kind: RequestKind) -> None:
        """Switch between model run and deployment run, keeping shared fields."""
        self.binding.draft.seal()
        self.binding.draft.set_kind(kind)
        self.binding.draft.seal()

    def on_change(self, change: DraftChange) -> None:
        """Bring every affected part up to date."""
        for field in self.fields.values():
            field.on_change(change)
        self.inputs.on_change(change)
        self.batch.on_change(change)
        if (
            change.kind_changed
            or change.touches(("model_id",))
            or change.touches(("deployment_id",))
        ):
            self._refresh_kind()
            self._refresh_specs()
        if change.touches(("execution_mode",)):
            self._refresh_mode_hint()
        if change.touches(("is_native_run",)) or change.touches(("gpu_event_id",)):
            self.show_advanced(self.advanced_toggle.isChecked())

    def refresh(self) -> None:
        """Show the whole draft (after loading a preset)."""
        for field in self.fields.values():
            field.refresh()
        self.inputs.refresh()
        self.batch.model.reload()
        self.batch.refresh_state()
        self._refresh_kind()
        self._refresh_specs()
        self._refresh_mode_hint()
        self.show_advanced(self.advanced_toggle.isChecked())

    def _refresh_kind(self) -> None:
        kind = self.binding.kind
        self.kind_buttons[kind].setChecked(True)
        for each, button in self.kind_buttons.items():
            set_role(button, "segment-on" if each is kind else "segment-off")
        model = kind is RequestKind.MODEL
        self.model_field.setVisible(model)
        self.labels["model_id"].setVisible(model)
        self.deployment_field.setVisible(not model)
        self.labels["deployment_id"].setVisible(not model)
        self._refresh_target_hint()

    def _refresh_mode_hint(self) -> None:
        mode = self.binding.get(("execution_mode",), MISSING)
        shown = mode if isinstance(mode, str) and mode in EXECUTION_MODE_HELP else "async"
        prefix = "" if mode is not MISSING else "The server uses async. "
        self.mode_field.set_hint(prefix + EXECUTION_MODE_HELP[shown])

    def _refresh_target_hint(self) -> None:
        if self.binding.kind is RequestKind.MODEL:
            model = self.catalogue.model(self.binding.get(("model_id",)))
            text = ""
            if model is not None:
                parts = [model.name or "", model.description or ""]
                if model.inputs:
                    parts.append(f"{len(model.inputs)} declared inputs")
                text = " · ".join(part for part in parts if part)
            self.model_field.set_hint(text)
        else:
            deployment_id = self.binding.get(("deployment_id",))
            deployment = self.catalogue.deployment(deployment_id) if deployment_id else None
            text = ""
            if deployment is not None:
                parts = [deployment.label, deployment.environment or "", deployment.gpu or ""]
                text = " · ".join(part for part in parts if part)
            self.deployment_field.set_hint(text)

    def _refresh_specs(self) -> None:
        kind = self.binding.kind
        target = self.binding.get((kind.key,))
        self.inputs.set_specs(self.catalogue.specs_for(kind, target))

    def refresh_catalogue(self) -> None:
        """New catalogue: completion list, pickers, hints and declared inputs."""
        self._model_ids.setStringList(self.catalogue.model_ids())
        menu = self.model_picker.popup_menu
        menu.clear()
        for text, model_id in self.catalogue.model_labels():
            action = menu.addAction(text)
            action.triggered.connect(lambda _c=False, v=model_id: self._pick(("model_id",), v))
        menu = self.deployment_picker.popup_menu
        menu.clear()
        if not self.catalogue.deployments:
            empty = menu.addAction("No deployments known for this target")
            empty.setEnabled(False)
        for deployment in self.catalogue.deployments:
            extra = f" · {deployment.environment}" if deployment.environment else ""
            action = menu.addAction(f"{deployment.label}{extra}")
            action.setToolTip(deployment.id)
            action.triggered.connect(
                lambda _c=False, v=deployment.id: self._pick(("deployment_id",), v)
            )
        self._refresh_target_hint()
        self._refresh_specs()

    def _pick(self, path: tuple[str], value: str) -> None:
        self.binding.draft.seal()
        self.binding.set(path, value)
        self.binding.draft.seal()

    def specs(self) -> list[InputSpec]:
        """The declared inputs of the current target."""
        return list(self.inputs.specs)
