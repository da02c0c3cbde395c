"""While a DCGAN trains: KID of its samples vs held-out photos, the best step so far, and the curves as PNG."""

from __future__ import annotations

import copy
import io
from pathlib import Path

import torch

from seebench import ENCODER, atomic_write_bytes, to_model_input

from seebench_plugins.evaluators.kid_fd import kid_score

FEATURE_SIZE = 64  # px the tracking encoder sees (a random-init ResNet-18: nothing to download)


class KidTracker:
    """KID every `every` steps on a fixed set of latents; remembers the generator at its best KID and
    says when `patience` evaluations in a row did not improve it (the budget where training stops
    helping). Held-out photos are features once; samples are embedded at each evaluation."""

    def __init__(self, ctx, held_out: torch.Tensor, every: int, samples: int, patience: int, seed: int):
        self.every, self.samples, self.patience = every, samples, patience
        torch.manual_seed(seed)
        self.encoder = ctx.build(ENCODER, "resnet18").to(ctx.device).eval()
        self.device = ctx.device
        self.real = self._embed(held_out)
        self.history: list[list[float]] = []  # [step, kid, kid_std]
        self.best_kid, self.best_step, self.best_state = float("inf"), 0, None
        self.since_best = 0

    def _embed(self, images: torch.Tensor) -> torch.Tensor:
        out = []
        with torch.inference_mode():
            for start in range(0, len(images), 128):
                x = to_model_input(images[start:start + 128], FEATURE_SIZE, self.device)
                out.append(self.encoder(x).float().cpu())
        return torch.cat(out)

    def due(self, step: int) -> bool:
        return bool(self.every) and step % self.every == 0

    def evaluate(self, step: int, netG, sample_fn) -> float:
        """KID of netG's samples now (sample_fn() -> uint8 images); True in `stop` when patience ran out."""
        kid, std, _ = kid_score(self.real, self._embed(sample_fn()), subsets=50, subset_size=1000, seed=0)
        self.history.append([float(step), kid, std])
        if kid < self.best_kid:
            self.best_kid, self.best_step, self.since_best = kid, step, 0
            self.best_state = copy.deepcopy({k: v.detach().cpu() for k, v in netG.state_dict().items()})
        else:
            self.since_best += 1
        return kid

    @property
    def stop(self) -> bool:
        return bool(self.patience) and self.since_best >= self.patience

    def state(self) -> dict:
        return {"kid_history": torch.tensor(self.history, dtype=torch.float64).reshape(-1, 3),
                "best": torch.tensor([self.best_kid, self.best_step, self.since_best], dtype=torch.float64),
                "best_G": self.best_state or {}}

    def load_state(self, state: dict) -> None:
        self.history = state["kid_history"].tolist()
        self.best_kid, best_step, since = state["best"].tolist()
        self.best_step, self.since_best = int(best_step), int(since)
        self.best_state = state["best_G"] or None


def plot_curves(path: Path, history: list[list[float]], kid_history: list[list[float]], chosen_step: int | None) -> None:
    """loss_D, loss_G and D(x)/D(G(z)) over steps, and KID over steps with the chosen step marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = 2 if kid_history else 1
    fig, axes = plt.subplots(1, panels, figsize=(5.5 * panels, 3.6), squeeze=False)
    ax = axes[0][0]
    if history:
        h = torch.tensor(history)
        ax.plot(h[:, 0], h[:, 1], label="loss D")
        ax.plot(h[:, 0], h[:, 2], label="loss G")
        ax.plot(h[:, 0], h[:, 3], label="D(x)", alpha=0.6)
        ax.plot(h[:, 0], h[:, 4], label="D(G(z))", alpha=0.6)
    ax.set_xlabel("step")
    ax.set_title("DCGAN losses")
    ax.legend(fontsize=8)
    if kid_history:
        k = torch.tensor(kid_history)
        ax = axes[0][1]
        ax.errorbar(k[:, 0], k[:, 1], yerr=k[:, 2], marker="o", ms=3, capsize=2)
        if chosen_step is not None:
            ax.axvline(chosen_step, color="red", linestyle="--", label=f"kept: step {chosen_step}")
            ax.legend(fontsize=8)
        ax.set_xlabel("step")
        ax.set_title("KID, samples vs held-out photos (lower is better)")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    atomic_write_bytes(path, buf.getvalue())  # a unique temp name, then a rename
    plt.close(fig)
