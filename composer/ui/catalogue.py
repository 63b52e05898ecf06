"""What the target offers (models, deployments, their typed inputs), as the form sees it.

The window accepts any :class:`CatalogueSource`: the async client's (``GET /models``,
``GET /deployments``) or a :class:`StaticCatalogue` of known values. :class:`Catalogue` keeps the
last answer, loads a new one without blocking the window, and says what failed in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from PySide6.QtCore import QObject, Signal

from composer.core.wire import KNOWN_MODEL_IDS, RequestKind

if TYPE_CHECKING:  # pydantic models: imported when a catalogue arrives, not at start-up
    from composer.core.catalogue import DeploymentInfo, InputSpec, ModelInfo


@runtime_checkable
class CatalogueSource(Protocol):
    """Where the catalogue comes from; both calls may raise (the target is unreachable)."""

    async def models(self) -> list[ModelInfo]:
        """The catalogue models (``GET /models``)."""
        ...

    async def deployments(self) -> list[DeploymentInfo]:
        """The account's deployments (``GET /deployments``)."""
        ...


class StaticCatalogue:
    """A fixed catalogue: the known model ids (before the client exists), or test values."""

    def __init__(
        self, models: Sequence[ModelInfo] = (), deployments: Sequence[DeploymentInfo] = ()
    ) -> None:
        self._models = list(models)
        self._deployments = list(deployments)

    @classmethod
    def known_models(cls) -> StaticCatalogue:
        """The model ids the contract lists, without input declarations."""
        from composer.core.catalogue import ModelInfo

        return cls([ModelInfo(id=model_id) for model_id in KNOWN_MODEL_IDS])

    async def models(self) -> list[ModelInfo]:
        """The fixed models."""
        return list(self._models)

    async def deployments(self) -> list[DeploymentInfo]:
        """The fixed deployments."""
        return list(self._deployments)


class Catalogue(QObject):
    """The last loaded catalogue of the current target."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.models: list[ModelInfo] = []  # until loaded: model_ids() offers the known ids
        self.deployments: list[DeploymentInfo] = []
        self.error: str | None = None

    async def load(self, source: CatalogueSource) -> bool:
        """Fetch models and deployments; on failure keep what is known and set ``error``."""
        try:
            models = await source.models()
            try:
                deployments = await source.deployments()
            except Exception as exc:  # a target without deployments still has models
                deployments = []
                self.error = f"Deployments could not be loaded: {_reason(exc)}"
            else:
                self.error = None
        except Exception as exc:  # any failure of any source: say it, keep working
            self.error = f"The catalogue could not be loaded: {_reason(exc)}"
            self.changed.emit()
            return False
        self.models = models
        self.deployments = deployments
        self.changed.emit()
        return True

    def model_ids(self) -> list[str]:
        """Ids for completion: the loaded models', else the ones the contract lists."""
        return [model.id for model in self.models] if self.models else list(KNOWN_MODEL_IDS)

    def model_labels(self) -> list[tuple[str, str]]:
        """(menu text, model id) for the model picker."""
        if not self.models:
            return [(model_id, model_id) for model_id in KNOWN_MODEL_IDS]
        return [(f"{m.name} ({m.id})" if m.name else m.id, m.id) for m in self.models]

    def model(self, model_id: object) -> ModelInfo | None:
        """The catalogue model with this id."""
        return next((model for model in self.models if model.id == model_id), None)

    def deployment(self, deployment_id: object) -> DeploymentInfo | None:
        """The deployment with this id (case-insensitive, as UUIDs are)."""
        wanted = str(deployment_id).lower()
        return next((d for d in self.deployments if d.id.lower() == wanted), None)

    def specs_for(self, kind: RequestKind, target_id: object) -> list[InputSpec]:
        """The declared inputs of the chosen model or deployment ([] when unknown)."""
        if kind is RequestKind.MODEL:
            model = self.model(target_id)
            return list(model.inputs) if model else []
        deployment = self.deployment(target_id)
        return list(deployment.input_types) if deployment else []


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__
