"""Camera track: DCGAN fitting (losses, determinism, resume, cache) and DiffAugment."""

from __future__ import annotations

import torch

from camera_helpers import make_ctx
from seebench_plugins.generators.dcgan import Trainer
from seebench_plugins.generators.dcgan_nets import Discriminator, Generator
from seebench_plugins.generators.diffaugment import diff_augment

SMALL = {"source": "camera-sim:count=12", "ngf": 8, "ndf": 8, "images": 48, "batch_size": 8,
         "sample_every": 3, "checkpoint_every": 2}


def gan_ctx(tmp_path, logs=None, **params):
    return make_ctx(tmp_path, ("kid", {}), ("generator", "dcgan", {**SMALL, **params}), logs=logs)


def test_dcgan_trains_and_samples_are_deterministic(tmp_path):
    logs: list[str] = []
    ctx = gan_ctx(tmp_path, logs)
    gan = ctx.generator()
    hist = torch.tensor(gan.info["history"])
    assert gan.info["steps"] == 6 and torch.isfinite(hist[:, 1:]).all()
    assert (hist[:, 3] > 0).all() and (hist[:, 3] < 1).all()  # D(x) is a probability
    a = gan.generate([3, 0, 7], seed=0, size=64)
    b = torch.cat([gan.generate([i], seed=0, size=64) for i in (3, 0, 7)])
    assert a.dtype == torch.uint8 and a.shape == (3, 3, 64, 64)
    assert torch.equal(a, b)  # image i is the same bytes whatever the batch
    assert not torch.equal(a[0], a[1]) and a.float().std() > 1
    assert gan.generate([1], seed=0, size=32).shape == (1, 3, 32, 32)
    assert (gan.sample_dir / "samples.png").exists() and (gan.sample_dir / "real.png").exists()
    assert (gan.sample_dir / "samples_step000003.png").exists()


def test_fit_is_cached_and_reused_by_other_evaluators(tmp_path):
    logs: list[str] = []
    first = gan_ctx(tmp_path, logs).generator()
    other = make_ctx(tmp_path, ("fd", {}), ("generator", "dcgan", SMALL), logs=logs)  # another evaluator, same fit
    second = other.generator()
    assert any("reusing fitted generator" in line for line in logs)
    assert torch.equal(first.generate([0, 1], 0, 64), second.generate([0, 1], 0, 64))


def test_resume_from_checkpoint_matches_uninterrupted_training(tmp_path):
    full_ctx = gan_ctx(tmp_path / "full")
    full = full_ctx.build_ref(full_ctx.cell.data)
    ident = full.fit_identity(full_ctx)
    path = full_ctx.cache_path("dcgan", ident, ".safetensors")
    full.cache_file, full.sample_dir = path, path.with_suffix("")
    images = full_ctx.load_source(ident["source"], ident["source_params"], "train").images
    t1 = Trainer(full, ident, images, full_ctx)
    t1.run()
    logs: list[str] = []
    ctx = gan_ctx(tmp_path / "killed", logs)
    gan = ctx.build_ref(ctx.cell.data)
    gan.cache_file, gan.sample_dir = path, path.with_suffix("")
    killed = Trainer(gan, ident, images, ctx)
    killed.run(stop_after=3)  # "killed" after 3 of 6 steps; a checkpoint is on disk
    assert killed.ckpt.exists()
    resumed = Trainer(gan, ident, images, ctx)
    resumed.run()
    assert any("resumed from" in line and "step 3/6" in line for line in logs)
    for (k, v1), v2 in zip(t1.netG.state_dict().items(), resumed.netG.state_dict().values()):
        assert torch.allclose(v1.float(), v2.float(), atol=1e-6), k
    assert not resumed.ckpt.exists()  # removed once the fit is complete


def test_diffaugment_keeps_shape_and_gradients():
    x = (torch.rand(4, 3, 32, 32) * 2 - 1).requires_grad_()
    g = torch.Generator().manual_seed(0)
    y = diff_augment(x, ("color", "translation", "cutout"), g)
    assert y.shape == x.shape
    y.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    y2 = diff_augment(x, ("color", "translation", "cutout"), torch.Generator().manual_seed(0))
    assert torch.equal(y, y2)


def test_diffaugment_option_trains(tmp_path):
    gan = gan_ctx(tmp_path, diffaugment="color,translation,cutout", images=16).generator()
    assert gan.info["identity"]["diffaugment"] == ["color", "translation", "cutout"]


def test_128px_variant_shapes():
    g, d = Generator(ngf=4, resolution=128), Discriminator(ndf=4, resolution=128)
    x = g(torch.randn(2, 100, 1, 1))
    assert x.shape == (2, 3, 128, 128) and d(x).shape == (2,)


def test_position_conditional_fit_tracks_kid_keeps_its_best_step_and_draws_curves(tmp_path):
    logs: list[str] = []
    gan = gan_ctx(tmp_path, logs, source="camera-sim:count=24,positions=4", mode="crops", resolution=32, images=64,
                  sample_every=0, checkpoint_every=0, conditional=True, kid_every=2, kid_samples=16,
                  patience=1).generator()
    info = gan.info
    assert gan.classes == 4 and gan.sensor_positions([0, 1, 5, 7]).tolist() == [0, 1, 1, 3]
    kids = [k for _, k, _ in info["kid_history"]]
    assert len(kids) >= 2 and all(k == k for k in kids)
    assert info["chosen_step"] == info["kid_history"][kids.index(min(kids))][0]  # the best KID's step is kept
    if info["stopped_at"] is not None:  # patience 1: stopped at the first check without a better KID
        assert info["stopped_at"] < info["steps"] and any("stopping at step" in line for line in logs)
    assert (gan.sample_dir / "curves.png").stat().st_size > 5000 and "curves" in gan.artifacts
    a = gan.generate([0, 1, 2, 3], seed=0, size=32)
    assert a.shape == (4, 3, 32, 32) and not torch.equal(a[0], a[1])
