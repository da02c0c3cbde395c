"""Objective `align-uniform`: Wang & Isola's alignment + uniformity loss (alpha 2, t 2, equal weights)."""

from __future__ import annotations

import torch

from seebench import OBJECTIVE, Component, Param, hookimpl

from seebench_plugins.objectives.loop import Pretrainer, common_params


def align_loss(x: torch.Tensor, y: torch.Tensor, alpha: float = 2.0) -> torch.Tensor:
    return (x - y).norm(p=2, dim=1).pow(alpha).mean()


def uniform_loss(x: torch.Tensor, t: float = 2.0) -> torch.Tensor:
    return torch.pdist(x, p=2).pow(2).mul(-t).exp().mean().log()


class AlignUniform(Pretrainer):
    name = "align-uniform"

    def setup(self, encoder, device):
        self.projection(encoder, self.hp["head"], self.hp["embed_dim"])

    def loss(self, encoder, x1, x2):
        z = self.embed(encoder, torch.cat([x1, x2]))
        a, b = z.chunk(2)
        a, b = self.world.gather(a), self.world.gather(b)  # the global batch under DDP (identity otherwise)
        hp = self.hp
        return (hp["align_weight"] * align_loss(a, b, hp["alpha"])
                + hp["uniform_weight"] * (uniform_loss(a, hp["t"]) + uniform_loss(b, hp["t"])) / 2)


@hookimpl
def seebench_register_objectives():
    return [
        Component(
            kind=OBJECTIVE,
            name="align-uniform",
            factory=AlignUniform,
            description="alignment + uniformity on the hypersphere (alpha=2, t=2): the paper's small scale",
            params=(
                Param("alpha", 2.0, "exponent of the alignment distance", minimum=0.0),
                Param("t", 2.0, "temperature of the uniformity Gaussian potential", minimum=0.0),
                Param("align_weight", 1.0, "weight of the alignment term", minimum=0.0),
                Param("uniform_weight", 1.0, "weight of the uniformity term", minimum=0.0),
            ) + common_params(Param, lr=0.12, head="linear"),
            tags=("contrastive", "paper-small"),
            metadata={"citation": "Wang & Isola, ICML 2020"},
        )
    ]
