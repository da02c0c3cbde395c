"""Objective `moco-v2`: momentum key encoder, queue of negatives, MLP head, temperature 0.2, blur."""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from seebench import OBJECTIVE, Component, Param, hookimpl

from seebench_plugins.objectives.loop import Pretrainer, common_params


class MoCoV2(Pretrainer):
    """MoCo v2. BatchNorm would let a query find its key through batch statistics (MoCo fixes that by
    shuffling across GPUs); here the global key batch is shuffled and pushed through in `bn_splits`
    sub-batches, the one-device emulation of shuffle-BN. Under DDP the ranks gather the key views,
    draw the same shuffle, each embeds its share of the sub-batches, and the keys are gathered back:
    the same keys as one process, and every rank enqueues all of them, so the queues stay identical.
    """

    name = "moco-v2"
    blur = True

    def setup(self, encoder, device):
        self.projection(encoder, self.hp["head"], self.hp["embed_dim"])
        self.key_encoder = copy.deepcopy(encoder).to(device)
        self.key_heads = copy.deepcopy(self.heads).to(device)
        for p in list(self.key_encoder.parameters()) + list(self.key_heads.parameters()):
            p.requires_grad_(False)
        dim = self.hp["embed_dim"] if not hasattr(encoder, "embed") else getattr(encoder, "embed_dim", None)
        if dim is None:
            with torch.no_grad():
                dim = self.embed(encoder.eval(), torch.zeros(2, 3, 32, 32, device=device)).shape[1]
            encoder.train()
        self.queue = F.normalize(torch.randn(self.hp["queue_size"], dim, device=device), dim=1)
        self.ptr = 0

    def _key_embed(self, x: torch.Tensor) -> torch.Tensor:
        saved, self.heads = self.heads, self.key_heads
        try:
            return self.embed(self.key_encoder, x)
        finally:
            self.heads = saved

    def loss(self, encoder, x1, x2):
        world = self.world
        q = world.gather(self.embed(encoder, x1))
        with torch.no_grad():
            x2 = world.gather(x2, grad=False)
            splits = self.hp["bn_splits"] if len(x2) >= 2 * self.hp["bn_splits"] else 1
            perm = torch.randperm(len(x2), device=x2.device)
            chunks = x2[perm].chunk(splits)
            mine = [self._key_embed(chunks[i]) for i in world.share(len(chunks))]
            k = world.gather(torch.cat(mine) if mine else q.new_zeros(0, q.shape[1]), grad=False)
            k = k[torch.argsort(perm)]
        pos = (q * k).sum(dim=1, keepdim=True)
        neg = q @ self.queue.T
        logits = torch.cat([pos, neg], dim=1) / self.hp["temperature"]
        self._keys = k
        return F.cross_entropy(logits, torch.zeros(len(q), dtype=torch.long, device=q.device))

    @torch.no_grad()
    def after_step(self, encoder):
        m = self.hp["key_momentum"]
        for online, key in ((encoder, self.key_encoder), (self.heads, self.key_heads)):
            for p, pk in zip(online.parameters(), key.parameters()):
                pk.mul_(m).add_(p.detach(), alpha=1 - m)
            for b, bk in zip(online.buffers(), key.buffers()):
                bk.copy_(b)
        k, n = self._keys[-len(self.queue):], len(self.queue)
        idx = (torch.arange(len(k), device=k.device) + self.ptr) % n
        self.queue[idx] = k
        self.ptr = (self.ptr + len(k)) % n

    def extra_state(self):
        return {"key_encoder": self.key_encoder.state_dict(), "key_heads": self.key_heads.state_dict(),
                "queue": self.queue.cpu(), "ptr": self.ptr}

    def load_extra_state(self, state):
        self.key_encoder.load_state_dict(state["key_encoder"])
        self.key_heads.load_state_dict(state["key_heads"])
        self.queue = state["queue"].to(self.queue.device)
        self.ptr = int(state["ptr"])


@hookimpl
def seebench_register_objectives():
    return [
        Component(
            kind=OBJECTIVE,
            name="moco-v2",
            factory=MoCoV2,
            description="MoCo v2: momentum key encoder (0.999), queue of negatives, MLP head, T=0.2: the paper's large scale",
            params=(
                Param("temperature", 0.2, "softmax temperature", minimum=1e-4),
                Param("queue_size", 65536, "negatives kept in the queue", minimum=1),
                Param("key_momentum", 0.999, "momentum of the key encoder's moving average", minimum=0.0, maximum=1.0),
                Param("bn_splits", 4, "sub-batches of the shuffled key pass (shuffle-BN on one device)", minimum=1),
            ) + common_params(Param, lr=0.03, head="mlp"),
            tags=("contrastive", "paper-large"),
            metadata={"citation": "Chen et al., arXiv:2003.04297"},
        )
    ]
