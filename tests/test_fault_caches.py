"""Damaged caches heal: each kind of cache file, truncated or bit-flipped, is reported in one line naming it,
moved aside (not deleted) and recomputed, and the cell finishes with the numbers of an undamaged run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from seebench import CellContext, CellFailed, load_tensors, save_tensors
from seebench.primitives.cache_files import DIGEST_KEY, DamagedCacheFile, check_tensors, load_torch
from seebench.matrix.config import load_matrix
from seebench.run.runner import run_matrix
from seebench.results.store import load_results
from seebench_plugins.objectives import checkpoint

# A pretraining cell cheap enough for a test: a 1/16-width AlexNet, 2 SimCLR steps on white noise at 16 px.
MATRIX = """
[matrix]
name = "heal"
data = ["white-noise"]
encoders = [{ name = "alexnet-small", width = 0.0625 }]
objectives = ["simclr"]
evaluators = ["knn"]
seeds = [0]
budgets = [{ name = "t", image_size = 16, images = 64, batch_size = 32 }]

[params.knn]
train_size = 200
test_size = 100
"""


def damage(path: Path, how: str) -> None:
    """Truncate the file to half, or flip one bit in its data or in its header (a checkpoint's digest record)."""
    blob = bytearray(path.read_bytes())
    if how == "truncated":
        path.write_bytes(bytes(blob[: len(blob) // 2]))
        return
    checkpoint_file = path.suffix == ".pt"
    if how == "bit-flip-data":
        at = len(blob) // 2 if checkpoint_file else len(blob) - 7  # inside the (last) tensor's bytes
    else:  # the JSON header / the checkpoint wrapper's record of its digest
        at = blob.index(b"seebench_sha256") + 3 if checkpoint_file else 12
    blob[at] ^= 0x40
    path.write_bytes(bytes(blob))


def run(registry, matrix_path: Path, out: Path, force: bool = False):
    matrix = load_matrix(matrix_path, registry, [])
    return run_matrix(matrix, registry, out, force=force, live=False, executor_options={"threads": 1})


@pytest.fixture(scope="module")
def baseline(registry, tmp_path_factory):
    """One undamaged run: its folder (encoder + feature caches) and its metrics."""
    folder = tmp_path_factory.mktemp("heal")
    (folder / "m.toml").write_text(MATRIX)
    summary = run(registry, folder / "m.toml", folder / "run")
    assert summary.failed == []
    (result,) = load_results([folder / "run"]).results
    return folder, result["metrics"]


@pytest.mark.parametrize("how", ["truncated", "bit-flip-data", "bit-flip-header"])
@pytest.mark.parametrize("kind", ["encoders", "features"])
def test_a_damaged_cache_file_is_set_aside_recomputed_and_the_cell_goes_on(registry, baseline, tmp_path, kind, how,
                                                                          capsys):
    folder, metrics = baseline
    out = tmp_path / "run"
    shutil.copytree(folder / "run", out)
    if kind == "encoders":  # the case: encoders damaged, feature cache gone, so the encoder must be read
        shutil.rmtree(out / "cache" / "features")
    victims = sorted((out / "cache" / kind).glob("*.safetensors"))
    assert victims
    for path in victims:
        damage(path, how)
    summary = run(registry, folder / "m.toml", out, force=True)
    assert summary.failed == []
    (result,) = load_results([out]).results
    assert result["metrics"] == metrics  # exactly the undamaged run's numbers
    lines = [ln for ln in capsys.readouterr().err.splitlines() if "damaged cache file" in ln]
    assert len(lines) == len(victims) and len(result["repaired"]) == len(victims)
    for path in victims:
        assert any(str(path) in ln for ln in lines)
        (aside,) = path.parent.glob(f"{path.name}.damaged-*")  # moved aside, not deleted
        assert aside.read_bytes() != path.read_bytes()
        load_tensors(path)  # recomputed and whole again
    again = run(registry, folder / "m.toml", out, force=True)  # the healed cache is simply reused
    assert not again.failed and "repaired" not in load_results([out]).results[0]


@pytest.mark.parametrize("how", ["truncated", "bit-flip-data", "bit-flip-header"])
def test_a_plugin_cache_file_behind_cache_path_is_checked_before_use(registry, baseline, tmp_path, how):
    """The DCGAN's fitted generator and the camera metrics' features are found through ctx.cache_path."""
    folder, _ = baseline
    matrix = load_matrix(folder / "m.toml", registry, [])
    ctx = CellContext(matrix.cells[0], registry, tmp_path, device=torch.device("cpu"))
    path = ctx.cache_path("dcgan", {"fit": 1}, ".safetensors")
    save_tensors(path, {"main.0.weight": torch.randn(64, 8, 4, 4), "main.1.bias": torch.randn(8)})
    assert ctx.cache_path("dcgan", {"fit": 1}, ".safetensors").exists() and ctx.repairs == []
    damage(path, how)
    assert not ctx.cache_path("dcgan", {"fit": 1}, ".safetensors").exists()  # the caller sees no cache: refits
    (line,) = ctx.repairs
    assert str(path) in line and "moved to" in line and len(list(path.parent.glob("*.damaged-*"))) == 1


def test_a_legacy_cache_file_without_a_digest_still_loads_and_a_truncated_one_is_caught(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "old.safetensors"
    save_file({"features": torch.ones(3, 2)}, str(path))
    assert torch.equal(load_tensors(path)["features"], torch.ones(3, 2))
    damage(path, "truncated")
    with pytest.raises(DamagedCacheFile, match="truncated"):
        check_tensors(path)


@pytest.mark.parametrize("how", ["truncated", "bit-flip-data", "bit-flip-header"])
def test_a_damaged_checkpoint_is_set_aside_and_training_starts_over(tmp_path, how):
    path = tmp_path / "pretrain.pt"
    state = {"encoder": {"w": torch.arange(1000.0)}, "optimizer": {"state": {}, "param_groups": [{"lr": 0.1}]}}
    checkpoint.save(path, "k" * 20, 4, state)
    blob = checkpoint.load(path, "k" * 20)
    assert blob["step"] == 4 and torch.equal(blob["encoder"]["w"], torch.arange(1000.0))
    damage(path, how)
    lines = []
    assert checkpoint.load(path, "k" * 20, log=lines.append) is None  # the cell starts from step 0
    assert len(lines) == 1 and str(path) in lines[0] and not path.exists()
    assert len(list(tmp_path.glob("pretrain.pt.damaged-*"))) == 1
    checkpoint.save(path, "other" * 4, 2, state)  # a whole checkpoint of another configuration is still refused
    with pytest.raises(CellFailed, match="another configuration"):
        checkpoint.load(path, "k" * 20)


def test_a_cell_whose_checkpoint_is_damaged_finishes_with_the_clean_numbers(registry, baseline, tmp_path):
    folder, metrics = baseline
    out = tmp_path / "run"
    cell = load_matrix(folder / "m.toml", registry, []).cells[0]
    ckpt = out / "checkpoints" / cell.key / "pretrain.pt"
    ckpt.parent.mkdir(parents=True)
    checkpoint.save(ckpt, "x" * 20, 1, {"encoder": {}})
    damage(ckpt, "bit-flip-data")
    summary = run(registry, folder / "m.toml", out)
    assert summary.failed == [] and load_results([out]).results[0]["metrics"] == metrics
    assert list(ckpt.parent.glob("pretrain.pt.damaged-*"))


def test_checkpoints_and_tensors_carry_their_digest(tmp_path):
    save_tensors(tmp_path / "a.safetensors", {"x": torch.zeros(2)})
    from safetensors import safe_open

    with safe_open(str(tmp_path / "a.safetensors"), "pt") as fh:
        assert len(fh.metadata()[DIGEST_KEY]) == 64
    checkpoint.save(tmp_path / "c.pt", "k" * 20, 1, {})
    raw = torch.load(tmp_path / "c.pt", weights_only=True)
    assert set(raw) == {DIGEST_KEY, "payload"} and load_torch(tmp_path / "c.pt")["step"] == 1


def test_a_damaged_fitted_dcgan_is_set_aside_and_refitted_to_the_same_generator(tmp_path):
    """A bit flip (a truncation is caught the same way, test_a_plugin_cache_file_behind_cache_path_...)."""
    from camera_helpers import make_ctx

    small = {"source": "camera-sim:count=8", "resolution": 32, "ngf": 8, "ndf": 8, "images": 16, "batch_size": 8,
             "sample_every": 0, "checkpoint_every": 0}
    first = make_ctx(tmp_path, ("kid", {}), ("generator", "dcgan", small)).generator()
    damage(first.cache_file, "bit-flip-data")
    logs: list[str] = []
    ctx = make_ctx(tmp_path, ("fd", {}), ("generator", "dcgan", small), logs=logs)  # another evaluator, same fit
    second = ctx.generator()
    (line,) = ctx.repairs
    assert str(first.cache_file) in line and not any("reusing fitted generator" in ln for ln in logs)
    assert list(first.cache_file.parent.glob(f"{first.cache_file.name}.damaged-*"))
    assert torch.equal(first.generate([0, 1], 0, 32), second.generate([0, 1], 0, 32))  # refitted, same bytes
