"""What generator evaluators compare: the cell's samples and held-out real photos, and their features."""

from __future__ import annotations

from typing import Any

import torch

from seebench import ENCODER, Param, load_tensors, save_tensors, to_model_input, torch_generator

from seebench_plugins.sources.source_spec import resolve_source

COMMON_PARAMS = (
    Param("source", "", "real photos to compare with, a spec string (empty: the source the generator was fitted on)"),
    Param("source_params", None, "extra parameters of that source", type=dict),
    Param("samples", 0, "generated samples (0: as many as held-out real images, at least 50)", minimum=0),
)


def data_mode(gen: Any) -> tuple[str | None, int | None]:
    """(mode, size) the generator was trained at, when it says (dcgan), else (None, None)."""
    return getattr(gen, "mode", None), getattr(gen, "resolution", None)


def real_source(ctx, gen: Any, source: str, source_params: dict | None, **force: Any) -> tuple[str, dict]:
    """The real source's (name, params): the evaluator's `source` if given, else the generator's,
    in the generator's mode and size unless `force` says otherwise (fingerprint: crops)."""
    mode, size = data_mode(gen)
    spec = source or getattr(gen, "source", "") or "camera-sim"
    extra = dict(getattr(gen, "source_params", {}) or {}) if not source else {}
    extra.update(source_params or {})
    over = {"mode": mode, "size": size}
    over.update(force)
    return resolve_source(ctx, spec, extra, **over)


def samples_of(ctx, n: int, size: int | None = None) -> torch.Tensor:
    """n images from the cell's data axis: a generator's first n samples under the cell seed, or a
    source's train split (a real-vs-real row)."""
    obj = ctx.data_component()
    if hasattr(obj, "generate"):
        size = size or getattr(obj, "resolution", None) or ctx.budget.image_size
        out = []
        for start in range(0, n, 256):
            out.append(obj.generate(list(range(start, min(n, start + 256))), ctx.seed, size))
        return torch.cat(out)
    images = obj.load("train").images
    if len(images) > n:
        g = torch_generator(ctx.seed)
        images = images[torch.randperm(len(images), generator=g)[:n].sort().values]
    return images


def embed(ctx, images: torch.Tensor, batch_size: int = 128) -> torch.Tensor:
    """Features of images under the cell's encoder (pretrained by the cell's objective when it has one)."""
    encoder = ctx.pretrained_encoder()
    encoder.eval()
    size = ctx.budget.image_size
    out = []
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            out.append(encoder(to_model_input(images[start:start + batch_size], size, ctx.device)).float().cpu())
    return torch.cat(out)


def kid_features(ctx):
    """images -> features as the appearance metrics (KID, FD) of this cell's row compute them: the cell's
    encoder when it has one; else (an evaluator that does not use the encoder axis, like fingerprint)
    a random-init ResNet-18 under the cell seed at the budget's image size, which is what `kid` uses
    in the camera presets (encoder resnet18, objective none). Nothing is downloaded."""
    if ctx.cell.encoder is not None:
        return lambda images: embed(ctx, images)
    with torch.random.fork_rng():
        torch.manual_seed(ctx.seed)  # as ctx.encoder() seeds it: the same weights
        encoder = ctx.build(ENCODER, "resnet18").to(ctx.device).eval()
    size = ctx.budget.image_size

    def features(images: torch.Tensor, batch_size: int = 128) -> torch.Tensor:
        with torch.inference_mode():
            return torch.cat([encoder(to_model_input(images[i:i + batch_size], size, ctx.device)).float().cpu()
                              for i in range(0, len(images), batch_size)])
    return features


def _cached(ctx, namespace: str, identity: dict, compute) -> torch.Tensor:
    """A features tensor cached on disk by content key, so kid, fd and precision-recall of one
    (data, encoder, seed) embed the samples and the real photos once."""
    path = ctx.cache_path(namespace, identity, ".safetensors")  # a damaged file is set aside there
    if path.exists():
        return load_tensors(path)["features"]  # checked against its digest
    feats = compute()
    save_tensors(path, {"features": feats})  # atomic, with a digest
    return feats


def real_and_fake_features(ctx, source: str, source_params: dict | None, samples: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(held-out real features, sample features) for the appearance metrics."""
    gen = ctx.data_component()
    name, params = real_source(ctx, gen, source, source_params)
    real = ctx.load_source(name, params, "test")
    n = samples or max(50, len(real))
    ctx.log(f"comparing {n} samples with {len(real)} held-out images of {name} {params}")
    cell = ctx.cell
    # an untrained encoder (no objective) is the same whatever the data: key it by itself and the seed
    enc = cell.pretrained_key if cell.objective is not None else {"encoder": cell.encoder.identity(), "seed": cell.seed}
    base = {"encoder": enc, "size": ctx.budget.image_size}
    real_f = _cached(ctx, "camera-features", {**base, "source": name, "params": params, "split": "test"},
                     lambda: embed(ctx, real.images))
    data = ctx.cell.data.identity() if ctx.cell.data is not None else None
    fake_f = _cached(ctx, "camera-features", {**base, "data": data, "seed": ctx.seed, "n": n},
                     lambda: embed(ctx, samples_of(ctx, n)))
    return real_f, fake_f
