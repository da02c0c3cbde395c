"""Objective `none`: no pretraining, the random-init ("CNN-Rand") baseline."""

from __future__ import annotations

from seebench import OBJECTIVE, Component, hookimpl


class NoPretraining:
    def pretrain(self, encoder, data, context):
        context.log("objective none: the encoder keeps its random initialisation")
        return encoder


@hookimpl
def seebench_register_objectives():
    return [
        Component(
            kind=OBJECTIVE,
            name="none",
            factory=NoPretraining,
            description="no pretraining: evaluates the randomly initialised encoder",
            uses=(),  # ignores the pretraining data, so all data rows collapse into one baseline
            metadata={"role": "random-init", "baseline_label": "random-init"},
        )
    ]
