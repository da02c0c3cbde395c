"""DDP inside one cell: two gloo ranks on CPU match one process at the same global batch; a DDP cell lands in the store.

Tolerance: the ranks sum gradients and BatchNorm statistics in another order, so each step adds
float32 roundings (1-2e-7 after one step, for every objective). Training this tiny encoder amplifies
them, in one process as in two: one process with 2 threads instead of 1 differs from itself after
3 steps by up to 2e-6 in the losses and 4e-5 in single weights (simclr's fc6; max-pool ties), and by
1e-3 after 6 steps (align-uniform). Hence 3 steps, losses within 1e-5 and weights within 2e-4; a
wrong gradient, an unsynchronised BatchNorm or a loss without the other ranks' rows moves the
losses of steps 2 and 3 by far more.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from seebench import CellFailed, ConfigError
from seebench.cli import main as cli
from seebench.run.cell_runner import run_cell
from seebench import execute_cell
from seebench.executors.select import build_executor
from repr_cells import cell, context, one_thread, registry  # noqa: F401 (autouse fixture)

TINY_ENCODER = ("alexnet-small", {"width": 0.0625})
DATA = ("fashion-mnist", {"train_size": 96})
STEPS, BATCH = 3, 32
LOSS_TOLERANCE = 1e-5  # on the loss of every step
WEIGHT_TOLERANCE = 2e-4  # on every weight, BatchNorm statistic and MoCo queue entry
OBJECTIVES = [
    ("align-uniform", {}),
    # 4 shuffled key sub-batches of 8: one process embeds all four, each rank two of them; the queue
    # holds the keys of every step (compared too)
    ("moco-v2", {"queue_size": 96, "bn_splits": 4}),
    ("simclr", {}),
]


def pretrain(objective: str, hp: dict, run_dir: Path) -> tuple[dict, list[float]]:
    c = cell(data=DATA, encoder=TINY_ENCODER, objective=(objective, hp), images=STEPS * BATCH, batch_size=BATCH,
             image_size=16)
    ctx = context(c, run_dir)
    model = ctx.encoder()
    obj = ctx.build_ref(c.objective)
    obj.pretrain(model, ctx.pretraining_data(), ctx)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    if objective == "moco-v2":
        state["queue"] = obj.queue.clone()
    return state, obj.losses


def _rank(rank: int, world: int, rendezvous: str, out: str) -> None:
    """A rank as the user's own torchrun would run it: a process group, then the objective's loop."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{rendezvous}", rank=rank, world_size=world)
    try:
        results = {name: pretrain(name, hp, Path(out) / f"rank{rank}" / name) for name, hp in OBJECTIVES}
        torch.save(results, Path(out) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def max_diff(a: dict, b: dict) -> tuple[float, str]:
    diffs = {k: float((a[k].float() - b[k].float()).abs().max()) for k in a}
    worst = max(diffs, key=diffs.get)
    return diffs[worst], worst


def test_two_gloo_ranks_match_one_process_at_the_same_global_batch(tmp_path):
    t0 = time.perf_counter()
    mp.start_processes(_rank, args=(2, str(tmp_path / "rendezvous"), str(tmp_path)), nprocs=2, start_method="spawn")
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(2)]
    ddp_s = time.perf_counter() - t0
    report = []
    for name, hp in OBJECTIVES:
        state, losses = pretrain(name, hp, tmp_path / "single" / name)
        (state0, losses0), (state1, losses1) = ranks[0][name], ranks[1][name]
        assert len(losses0) == len(losses) == STEPS
        loss_diff = max(abs(a - b) for a, b in zip(losses, losses0))
        weight_diff, where = max_diff(state, state0)
        report.append(f"{name}: losses {loss_diff:.1e}, weights {weight_diff:.1e} ({where})")
        assert loss_diff < LOSS_TOLERANCE and weight_diff < WEIGHT_TOLERANCE, report[-1]
        assert losses0 == losses1, f"{name}: the ranks saw different losses"
        assert max_diff(state0, state1)[0] < 1e-6, f"{name}: the ranks ended with different weights"
    print(f"two ranks in {ddp_s:.1f} s; 1 vs 2 processes, max abs difference: " + "; ".join(report))


def test_a_ddp_cell_lands_in_the_store_like_any_other(tmp_path):
    c = cell(data=("white-noise", {}), encoder=TINY_ENCODER, objective=("align-uniform", {}),
             evaluator=("knn", {"source": "digits"}), images=STEPS * BATCH, batch_size=BATCH, image_size=16)
    progress = []
    two = execute_cell(c, registry(), tmp_path / "two", processes=2, threads=2, progress=lambda *a: progress.append(a))
    one = execute_cell(c, registry(), tmp_path / "one")
    assert two["status"] == "ok", two["error"]
    stored = json.loads((tmp_path / "two" / "results" / f"{c.key}.json").read_text())
    assert stored["key"] == one["key"] == c.key and stored["hardware"]["processes"] == 2
    assert "processes" not in one["hardware"]
    assert stored["hardware"]["torch_threads"] == 2 and stored["hardware"]["threads_per_process"] == 1  # 2 // 2 ranks
    assert stored["timings"]["pretrain_s"] > 0
    assert (1, STEPS, "pretrain") in progress and (STEPS, STEPS, "pretrain") in progress  # rank 0's, relayed
    from safetensors.torch import load_file

    encoders = [load_file(str(tmp_path / run / "cache" / "encoders" / f"{c.pretrained_key}.safetensors"))
                for run in ("one", "two")]
    assert max_diff(*encoders)[0] < WEIGHT_TOLERANCE
    assert two["metrics"] == pytest.approx(one["metrics"], abs=0.5)
    assert not list((tmp_path / "two" / "checkpoints").glob("*/pretrain.pt"))


def test_impossible_process_counts_give_one_line_errors(tmp_path, tiny_matrix, capsys):
    reg = registry()
    for bad in (0, -2, 1.5, "two"):
        with pytest.raises(ConfigError, match=r"^--procs-per-cell \(matrix: procs_per_cell\) must be a whole number "
                                              r"of processes >= 1, got .*; use 1 for one process per cell$"):
            build_executor(reg, "local", {"procs_per_cell": bad})
    with pytest.raises(ConfigError, match="must be a whole number of processes >= 1, got 0"):
        build_executor(reg, "ray", {"procs_per_cell": 0})
    with pytest.raises(ConfigError, match=r"--gpus-per-cell 2 means 2 DDP ranks per cell, but --procs-per-cell is 4"):
        build_executor(reg, "ray", {"gpus_per_cell": 2, "procs_per_cell": 4})
    assert build_executor(reg, "ray", {"gpus_per_cell": 2}).processes == 2  # more than one GPU per cell: DDP

    assert cli.main(["run", str(tiny_matrix()), "--out", str(tmp_path / "cli"), "--procs-per-cell", "0"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "seebench: --procs-per-cell must be a whole number of processes >= 1, got 0; use 1 for one process per cell"]

    c = cell(data=("white-noise", {}), encoder=TINY_ENCODER, objective=("align-uniform", {}),
             evaluator=("knn", {"source": "digits"}), images=64, batch_size=1, image_size=16)
    small = run_cell(c, registry(), tmp_path / "small", processes=2, device=torch.device("cpu"))
    assert small["error"]["message"] == ("batch_size 1 cannot be shared by 2 processes; raise the budget's batch_size "
                                         "or lower --procs-per-cell")
    more = max(2, torch.cuda.device_count() + 1)
    short = run_cell(c, registry(), tmp_path / "gpu", processes=more, device=torch.device("cuda"))
    assert short["error"]["message"] == (
        f"--procs-per-cell {more} on CUDA needs {more} GPUs, this process sees {torch.cuda.device_count()}; lower "
        f"--procs-per-cell or give each cell {more} GPUs (with Ray: --gpus-per-cell {more})")


def test_the_loop_refuses_a_global_batch_smaller_than_the_world(tmp_path, monkeypatch):
    from seebench_plugins.objectives import loop
    from seebench_plugins.objectives.distributed import World

    monkeypatch.setattr(loop.World, "current", classmethod(lambda cls: World(0, 4)))
    c = cell(data=DATA, encoder=TINY_ENCODER, objective=("simclr", {}), images=6, batch_size=3, image_size=16)
    ctx = context(c, tmp_path)
    with pytest.raises(CellFailed, match="batch_size 3 is smaller than the 4 processes sharing it"):
        ctx.build_ref(c.objective).pretrain(ctx.encoder(), ctx.pretraining_data(), ctx)


def test_a_rank_takes_its_rows_of_the_global_batch_and_their_augmentation():
    from seebench_plugins.objectives.augment import TwoViews
    from seebench_plugins.objectives.distributed import World

    assert [list(World(r, 3).share(8)) for r in range(3)] == [[0, 1, 2], [3, 4, 5], [6, 7]]
    images = torch.randint(0, 256, (10, 3, 24, 24), dtype=torch.uint8)
    views = TwoViews(16, blur=True)
    torch.manual_seed(5)
    whole = views(images, torch.device("cpu"))
    for part in (slice(0, 4), slice(4, 10)):
        torch.manual_seed(5)
        mine = views(images[part], torch.device("cpu"), rows=part, total=10)
        for w, m in zip(whole, mine):
            assert torch.allclose(w[part], m, atol=1e-5)
