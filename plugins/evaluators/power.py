"""The fingerprint test's power: held-out content carrying the camera's PRNU at a chosen strength."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from seebench_plugins.evaluators import prnu

STRENGTHS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0)  # tried in this order


def fingerprints_by_position(grey: np.ndarray, resid: np.ndarray, labels: torch.Tensor | None) -> list[np.ndarray]:
    """K per sensor position (the crops' labels), or one K when the images carry no positions."""
    if labels is None:
        return [prnu.estimate_fingerprint(grey, resid)]
    lab = labels.numpy()
    return [prnu.estimate_fingerprint(grey[lab == p], resid[lab == p]) for p in range(int(lab.max()) + 1)]


def camera_prnu(images: torch.Tensor, labels: torch.Tensor | None) -> list[np.ndarray]:
    """The camera's PRNU per position as its photos show it, estimated from `images` (the GAN's
    training crops: the most a generator fitted to them could have learned). Strength 1 is this."""
    grey, resid = prnu.residuals(images)
    return fingerprints_by_position(grey, resid, labels)


def misaligned(images: torch.Tensor, labels: torch.Tensor | None, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
    """n images of real content whose own PRNU does not line up with the sensor: crop j turned by
    90/180/270 degrees and rolled by a few pixels, a different turn and roll on each pass over the
    crops (so repeated content does not repeat its residual at the same pixels)."""
    m = len(images)
    out, lab = [], []
    for i in range(n):
        j, t = i % m, i // m
        x = torch.rot90(images[j], k=1 + t % 3, dims=(-2, -1))
        x = torch.roll(x, shifts=(5 + 7 * t, 3 + 11 * t), dims=(-2, -1))
        out.append(x)
        if labels is not None:
            lab.append(int(labels[j]))
    return torch.stack(out), (torch.tensor(lab, dtype=torch.long) if labels is not None else None)


def inject(content: torch.Tensor, labels: torch.Tensor | None, ks: list[np.ndarray], strength: float) -> torch.Tensor:
    """content * (1 + strength * K[position]) on every channel, back to uint8 (the PRNU model)."""
    x = content.float()
    if labels is None:
        k = torch.from_numpy(ks[0])[None, None]
    else:
        k = torch.from_numpy(np.stack(ks))[labels][:, None]
    return (x * (1.0 + strength * k)).round().clamp(0, 255).to(torch.uint8)


def residual_gain(content: torch.Tensor, labels: torch.Tensor | None, ks: list[np.ndarray]) -> float:
    """How much of a multiplicative pattern the residual extractor keeps on this content (0..1):
    the regression slope of residual(content * (1 + K)) - residual(content) on content * K."""
    g0, r0 = prnu.residuals(content)
    g1, r1 = prnu.residuals(inject(content, labels, ks, 1.0))
    k = np.stack(ks)[labels.numpy()] if labels is not None else ks[0][None]
    x = g0 * k
    return float(np.sum((r1 - r0) * x) / max(float(np.sum(x * x)), 1e-20))


def prnu_content(source: Any, train, test, n: int) -> tuple[Callable[[float], tuple], str]:
    """(strength -> (uint8 images, positions), description): n crops of content no generator and no
    K saw, carrying the camera's PRNU at that strength (1: as strong as in the camera's photos).

    A simulated camera (a source with `prnu_crops`) takes fresh photos with its PRNU scaled: exact.
    For real photos, held-out crops are misaligned (their own PRNU no longer on its pixels) and
    given K estimated from the GAN-training crops, divided by the residual extractor's gain so its
    PRNU part is at the photos' own scale (the estimate's noise comes along: a conservative power)."""
    if hasattr(source, "prnu_crops"):
        return (lambda s: source.prnu_crops(n, s)), "fresh simulated photos with the PRNU scaled"
    k_train = camera_prnu(train.images, train.labels)
    content, labels = misaligned(test.images, test.labels, n)
    gain = residual_gain(content[:256], labels[:256] if labels is not None else None, k_train)
    scaled = [k / max(gain, 0.05) for k in k_train]
    return ((lambda s: (inject(content, labels, scaled, s), labels)),
            f"held-out crops, misaligned, given K of the training crops / residual gain {gain:.2f}")


def power_curve(content: Callable[[float], tuple], k_test: list[np.ndarray], threshold: float, pooled_pce,
                strengths=STRENGTHS) -> tuple[list, float]:
    """Pooled PCE of content carrying strength s of the PRNU, for s in `strengths` until two in a
    row pass the threshold; returns ([(s, pce), ...], the smallest s from which all passed (nan: none))."""
    curve, passed = [], []
    for s in strengths:
        images, labels = content(s)
        grey, resid = prnu.residuals(images)
        pce = float(pooled_pce(grey, resid, labels, k_test)[0])
        curve.append((s, pce))
        passed.append(pce > threshold)
        if len(passed) >= 2 and passed[-1] and passed[-2]:
            break
    smallest = float("nan")  # the smallest strength from which every stronger one tried passed
    for (s, _), ok in reversed(list(zip(curve, passed))):
        if not ok:
            break
        smallest = s
    return curve, smallest
