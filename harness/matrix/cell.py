"""A cell of the benchmark matrix and its content key."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from seebench.api.budget import Budget


def content_key(payload: Any, length: int = 20) -> str:
    """sha256 over canonical JSON (sorted keys, no whitespace): same inputs, same key."""
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:length]


@dataclass(frozen=True)
class ComponentRef:
    """A component as used in one cell: its name, display label, resolved parameters, version, and the plugin
    that provided it.

    `version` is the component's own version (`Component.version`, bumped when its numbers change for the
    same parameters). `plugin` ("ENTRY-POINT==DISTRIBUTION-VERSION") is provenance only: releasing seebench
    or a plugin's distribution must not change a cell's key, orphan its caches or split one cell into two
    on a merged leaderboard, so it is recorded but not part of the identity.
    """

    kind: str
    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""
    version: str = ""
    plugin: str = ""

    def identity(self) -> dict[str, Any]:
        """What determines the component's behaviour (the label is only for display, the plugin provenance)."""
        return {"kind": self.kind, "name": self.name, "params": dict(self.params), "version": self.version}

    def to_dict(self) -> dict[str, Any]:
        out = {**self.identity(), "label": self.label or self.name}
        if self.plugin:
            out["plugin"] = self.plugin
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ComponentRef":
        return cls(d["kind"], d["name"], dict(d.get("params", {})), d.get("label", d["name"]), d.get("version", ""),
                   d.get("plugin", ""))


@dataclass(frozen=True)
class Cell:
    """(pretraining data, encoder, objective, evaluator, seed, budget).

    An axis the cell's components do not use is None (an objective that ignores data, an
    evaluator that ignores the encoder), so equivalent cells share one key and run once.
    `row` and `role` say where the result goes on the leaderboard; they are not part of the key.
    """

    evaluator: ComponentRef
    data: ComponentRef | None
    encoder: ComponentRef | None
    objective: ComponentRef | None
    seed: int
    budget: Budget
    row: str = ""
    role: str = "synthetic"

    def identity(self) -> dict[str, Any]:
        ident = lambda ref: ref.identity() if ref is not None else None  # noqa: E731
        return {
            "data": ident(self.data),
            "encoder": ident(self.encoder),
            "objective": ident(self.objective),
            "evaluator": ident(self.evaluator),
            "seed": self.seed,
            "budget": self.budget.to_dict(),
        }

    @property
    def key(self) -> str:
        return content_key(self.identity())

    @property
    def pretrained_key(self) -> str:
        """Key of the pretrained encoder: shared by every evaluator of the same training."""
        ident = self.identity()
        return content_key({k: ident[k] for k in ("data", "encoder", "objective", "seed", "budget")})

    def to_dict(self) -> dict[str, Any]:
        d = lambda ref: ref.to_dict() if ref is not None else None  # noqa: E731
        return {
            "data": d(self.data),
            "encoder": d(self.encoder),
            "objective": d(self.objective),
            "evaluator": d(self.evaluator),
            "seed": self.seed,
            "budget": self.budget.to_dict(),
            "row": self.row,
            "role": self.role,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Cell":
        ref = lambda x: ComponentRef.from_dict(x) if x else None  # noqa: E731
        return cls(
            evaluator=ComponentRef.from_dict(d["evaluator"]),
            data=ref(d.get("data")),
            encoder=ref(d.get("encoder")),
            objective=ref(d.get("objective")),
            seed=int(d["seed"]),
            budget=Budget.from_dict(d["budget"]),
            row=d.get("row", ""),
            role=d.get("role", "synthetic"),
        )

    def short(self) -> str:
        parts = [
            self.row,
            self.encoder.label if self.encoder else "-",
            self.objective.label if self.objective else "-",
            self.evaluator.label,
            f"seed {self.seed}",
            self.budget.name,
        ]
        return " | ".join(parts)
