"""A test plugin whose evaluator misbehaves on request, and a `seebench` entry that loads it (for subprocess runs).

Evaluator `fault-probe` ignores data, encoder and objective (so a cell costs nothing) and returns
score = 40 + seed (%). $SEEBENCH_TEST_FAULT picks a fault for the seeds in $SEEBENCH_TEST_FAULT_SEEDS
(comma list; unset: every seed): `raise`, `hang` (touches $SEEBENCH_TEST_FAULT_FLAG, then sleeps),
`wait` (until $SEEBENCH_TEST_FAULT_FLAG exists, then scores), `150` (a top-1 of 150 %), `nan`. The environment is read when a cell runs, so a re-run with another
fault has the same cell keys. `python tests/fault_plugin.py run M.toml --out D` is `seebench run`
with this plugin registered in-process.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from seebench import EVALUATOR, Component, hookimpl

MATRIX = """
[matrix]
name = "faults"
data = ["white-noise"]
encoders = ["resnet18"]
objectives = ["none"]
evaluators = ["fault-probe"]
seeds = {seeds}
budgets = [{{ name = "t", image_size = 16, images = 64, batch_size = 32 }}]
"""


class FaultProbe:
    def evaluate(self, ctx) -> dict[str, float]:
        fault = os.environ.get("SEEBENCH_TEST_FAULT", "")
        seeds = os.environ.get("SEEBENCH_TEST_FAULT_SEEDS")
        if seeds is not None and str(ctx.seed) not in seeds.split(","):
            fault = ""
        if fault == "raise":
            raise RuntimeError(f"injected failure in seed {ctx.seed}")
        if fault == "hang":
            Path(os.environ["SEEBENCH_TEST_FAULT_FLAG"]).write_text(str(os.getpid()))
            while True:
                time.sleep(0.1)
        if fault == "wait":  # hold the cell (and so the run) until the test creates the flag file
            flag = Path(os.environ["SEEBENCH_TEST_FAULT_FLAG"])
            deadline = time.monotonic() + 120
            while not flag.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        if fault == "150":
            return {"score": 150.0}
        if fault == "nan":
            return {"score": float("nan")}
        return {"score": 40.0 + ctx.seed}


@hookimpl
def seebench_register_evaluators():
    return [Component(kind=EVALUATOR, name="fault-probe", factory=FaultProbe, uses=(),
                      description="a score of 40 + seed, or the fault $SEEBENCH_TEST_FAULT asks for",
                      metadata={"metrics": {"score": {"higher_is_better": True, "unit": "%"}}})]


def registry():
    from seebench.plugins.manager import load_registry

    return load_registry(extra=[("fault-plugin", sys.modules[__name__])])


def write_matrix(folder: Path, seeds=(0, 1, 2)) -> Path:
    path = Path(folder) / "faults.toml"
    path.write_text(MATRIX.format(seeds=list(seeds)))
    return path


if __name__ == "__main__":
    import seebench.plugins.manager as pm
    from seebench.cli.main import main

    plain = pm.load_registry
    sys.modules["fault_plugin"] = sys.modules[__name__]
    pm.load_registry = lambda allow=None, block=(), extra=(): plain(allow, block, [*extra, ("fault-plugin",
                                                                                           sys.modules[__name__])])
    sys.exit(main(sys.argv[1:]))
