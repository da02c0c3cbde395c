"""Representation track: each objective trains (loss falls), NaN stops the cell, checkpoints resume exactly."""

from __future__ import annotations

import pytest
import torch

import seebench
from repr_cells import cell, context, one_thread  # noqa: F401 (autouse fixture)

TINY_ENCODER = ("alexnet-small", {"width": 0.0625})
DATA = ("fashion-mnist", {"train_size": 96})


def train(tmp_path, objective, hp, steps=12, batch=32, **kw):
    c = cell(data=DATA, encoder=TINY_ENCODER, objective=(objective, hp), images=steps * batch,
             batch_size=batch, image_size=16)
    ctx = context(c, tmp_path, **kw)
    model = ctx.encoder()
    obj = ctx.build_ref(c.objective)
    obj.pretrain(model, ctx.pretraining_data(), ctx)
    return model, obj, ctx


@pytest.mark.parametrize("objective,hp,skip", [
    ("align-uniform", {"lr": 0.5}, 0),
    ("simclr", {"lr": 0.5}, 0),
    # the queue starts as random vectors; with queue_size = batch it holds real keys after step 1
    ("moco-v2", {"lr": 0.5, "queue_size": 32, "key_momentum": 0.9, "bn_splits": 2}, 1),
])
def test_loss_falls(tmp_path, objective, hp, skip):
    _, obj, _ = train(tmp_path, objective, hp, steps=14)
    losses = obj.losses[skip:]
    first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
    assert len(obj.losses) == 14
    assert last < first, f"{objective}: loss did not fall: {[round(v, 3) for v in obj.losses]}"


def test_nan_loss_stops_the_cell_with_the_step(tmp_path):
    c = cell(data=DATA, encoder=TINY_ENCODER, objective=("simclr", {}), images=5 * 32, batch_size=32, image_size=16)
    ctx = context(c, tmp_path)
    obj = ctx.build_ref(c.objective)
    real_loss = obj.loss
    calls = []

    def loss(encoder, x1, x2):
        calls.append(1)
        value = real_loss(encoder, x1, x2)
        return value * float("nan") if len(calls) == 3 else value

    obj.loss = loss
    with pytest.raises(seebench.CellFailed, match=r"loss became nan at step 3 of 5"):
        obj.pretrain(ctx.encoder(), ctx.pretraining_data(), ctx)


class Interrupt(Exception):
    pass


@pytest.mark.parametrize("objective,hp", [
    ("moco-v2", {"queue_size": 48, "checkpoint_every": 2}),
    ("align-uniform", {"checkpoint_every": 2}),
])
def test_resume_after_interruption_gives_the_same_encoder(tmp_path, objective, hp):
    full, _, _ = train(tmp_path / "a", objective, hp, steps=6)

    def stop_at_5(done, total, what):
        if done == 5:
            raise Interrupt  # killed after the checkpoint of step 4
    with pytest.raises(Interrupt):
        train(tmp_path / "b", objective, hp, steps=6, progress=stop_at_5)
    logs = []
    resumed, obj, ctx = train(tmp_path / "b", objective, hp, steps=6, log=logs.append)
    assert any("resuming from step 4 of 6" in line for line in logs), logs
    assert len(obj.losses) == 2
    for (name, a), b in zip(full.state_dict().items(), resumed.state_dict().values()):
        assert torch.allclose(a.float(), b.float(), atol=1e-6), name
    assert not (ctx.checkpoint_dir / "pretrain.pt").exists()


def test_checkpoint_from_another_configuration_is_refused(tmp_path):
    hp = {"checkpoint_every": 2}

    def stop_at_3(done, total, what):
        if done == 3:
            raise Interrupt
    with pytest.raises(Interrupt):
        train(tmp_path / "other", "simclr", hp, steps=6, progress=stop_at_3)
    c = cell(data=DATA, encoder=TINY_ENCODER, objective=("simclr", {**hp, "temperature": 0.1}), images=6 * 32,
             batch_size=32, image_size=16)
    ctx = context(c, tmp_path / "mine")
    foreign = next((tmp_path / "other" / "checkpoints").glob("*/pretrain.pt"))
    (ctx.checkpoint_dir / "pretrain.pt").write_bytes(foreign.read_bytes())
    with pytest.raises(seebench.CellFailed, match="another configuration"):
        ctx.build_ref(c.objective).pretrain(ctx.encoder(), ctx.pretraining_data(), ctx)


def test_prefetching_generated_batches_changes_nothing(tmp_path, monkeypatch):
    def run(depth, where):
        monkeypatch.setenv("SEEBENCH_PREFETCH", str(depth))
        c = cell(data=("white-noise", {}), encoder=TINY_ENCODER, objective=("simclr", {}), images=4 * 32,
                 batch_size=32, image_size=16)
        ctx = context(c, tmp_path / where)
        model = ctx.encoder()
        obj = ctx.build_ref(c.objective)
        obj.pretrain(model, ctx.pretraining_data(), ctx)
        return model, obj.losses

    (a, la), (b, lb) = run(0, "a"), run(2, "b")
    assert la == lb
    for x, y in zip(a.state_dict().values(), b.state_dict().values()):
        assert torch.equal(x, y)


def test_a_failing_generator_fails_the_cell_through_the_prefetch_thread(tmp_path, monkeypatch):
    monkeypatch.setenv("SEEBENCH_PREFETCH", "2")
    c = cell(data=("white-noise", {}), encoder=TINY_ENCODER, objective=("simclr", {}), images=4 * 32,
             batch_size=32, image_size=16)
    ctx = context(c, tmp_path)
    data = ctx.pretraining_data()

    def broken(indices, seed, size):
        raise RuntimeError("generator broke")
    data.obj.generate = broken
    with pytest.raises(RuntimeError, match="generator broke"):
        ctx.build_ref(c.objective).pretrain(ctx.encoder(), data, ctx)
