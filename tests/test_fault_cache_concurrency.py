"""Two cells writing the same cache entries at the same moment (two processes) both succeed and leave one valid file each.

The writers are held at a barrier just before each rename, so both have a temporary file of the same target
open at once: with a shared temporary name one writer would rename the other's (or a torn) file, or find
its own gone. Unique temporary names (harness/primitives/atomic.py) let both finish.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch
import torch.multiprocessing as mp

from seebench import load_tensors
from repr_cells import cell, context, one_thread  # noqa: F401 (autouse fixture)

SOURCE, SPLIT = "digits", "train"


def tiny_cell():
    return cell(data=("white-noise", {}), encoder=("alexnet-small", {"width": 0.0625}), objective=("align-uniform", {}),
                evaluator=("knn", {"source": SOURCE}), images=64, batch_size=32, image_size=16)


def _writer(index: int, run_dir: str, barrier, digests) -> None:
    """One cell: pretrain the encoder and extract features into the shared cache, each rename held at the barrier."""
    torch.set_num_threads(1)
    real_replace = os.replace

    def replace_together(src, dst):
        if str(dst).endswith(".safetensors"):
            barrier.wait(timeout=120)  # the other writer has its temporary file of this target written too
        real_replace(src, dst)

    os.replace = replace_together
    ctx = context(tiny_cell(), Path(run_dir))
    state = ctx.pretrained_encoder().state_dict()
    feats, _ = ctx.features(SOURCE, None, SPLIT)
    digests[index] = (_digest(state), _digest({"features": feats}))


def _digest(tensors: dict) -> str:
    sha = hashlib.sha256()
    for name in sorted(tensors):
        sha.update(name.encode())
        sha.update(tensors[name].detach().cpu().contiguous().numpy().tobytes())
    return sha.hexdigest()


def test_two_cells_writing_the_same_cache_entries_at_once_both_succeed(tmp_path):
    run_dir = tmp_path / "run"
    spawn = mp.get_context("spawn")
    with spawn.Manager() as manager:
        barrier, digests = manager.Barrier(2), manager.dict()
        procs = [spawn.Process(target=_writer, args=(i, str(run_dir), barrier, digests)) for i in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=300)
        assert [p.exitcode for p in procs] == [0, 0], "a writer failed (see its traceback above)"
        results = dict(digests)
    assert results[0] == results[1]  # the same cell computes the same encoder and features in both processes

    encoders = sorted((run_dir / "cache" / "encoders").glob("*.safetensors"))
    features = sorted((run_dir / "cache" / "features").glob("*.safetensors"))
    assert len(encoders) == 1 and len(features) == 1, (encoders, features)
    assert not list(run_dir.rglob(".*.tmp")), "a temporary file was left behind"
    assert not list(run_dir.rglob("*.damaged-*"))
    encoder_digest, feature_digest = results[0]
    assert _digest(load_tensors(encoders[0])) == encoder_digest  # one whole file, its sha256 checked on reading
    assert _digest(load_tensors(features[0])) == feature_digest

    logs = []
    ctx = context(tiny_cell(), run_dir, log=logs.append)  # a third cell reuses both, repairing nothing
    feats, labels = ctx.features(SOURCE, None, SPLIT)
    assert _digest({"features": feats}) == feature_digest and labels is not None
    assert ctx.repairs == [] and "pretrain_s" not in ctx.timings and "features_s" not in ctx.timings
