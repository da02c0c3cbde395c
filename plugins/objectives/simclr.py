"""Objective `simclr`: SimCLR's NT-Xent loss over two views, MLP head."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from seebench import OBJECTIVE, Component, Param, hookimpl

from seebench_plugins.objectives.loop import Pretrainer, common_params


def nt_xent(a: torch.Tensor, b: torch.Tensor, temperature: float) -> torch.Tensor:
    """Normalised-temperature cross-entropy: each view's positive is its twin, the other 2N-2 are negatives."""
    z = torch.cat([a, b])
    n = len(a)
    sim = z @ z.T / temperature
    sim.fill_diagonal_(float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, target)


class SimCLR(Pretrainer):
    name = "simclr"

    def setup(self, encoder, device):
        self.projection(encoder, self.hp["head"], self.hp["embed_dim"])

    def loss(self, encoder, x1, x2):
        a, b = self.embed(encoder, torch.cat([x1, x2])).chunk(2)
        a, b = self.world.gather(a), self.world.gather(b)  # negatives from the global batch under DDP
        return nt_xent(a, b, self.hp["temperature"])


@hookimpl
def seebench_register_objectives():
    return [
        Component(
            kind=OBJECTIVE,
            name="simclr",
            factory=SimCLR,
            description="SimCLR: NT-Xent between two augmented views, in-batch negatives, MLP head",
            params=(Param("temperature", 0.5, "softmax temperature", minimum=1e-4),)
            + common_params(Param, lr=0.3, head="mlp"),
            tags=("contrastive",),
            metadata={"citation": "Chen et al., ICML 2020"},
        )
    ]
