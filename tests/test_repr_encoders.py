"""Representation track: encoders' feature sizes, alexnet-small's embed, baselines, bad image sizes, metadata."""

from __future__ import annotations

import pytest
import torch

import seebench
from repr_cells import ref, registry, one_thread  # noqa: F401 (autouse fixture)

MINE = {
    seebench.ENCODER: ["resnet18", "resnet50", "timm:*", "alexnet-small", "raw-pixels", "mean-colors"],
    seebench.OBJECTIVE: ["align-uniform", "moco-v2", "simclr"],
    seebench.SOURCE: ["digits", "image-folder", "torchvision:*"],
    seebench.EVALUATOR: ["linear-probe"],
}


def build(name, **params):
    r = ref(seebench.ENCODER, name, **params)
    torch.manual_seed(0)
    return registry().get(seebench.ENCODER, name).factory(**dict(r.params))


@pytest.mark.parametrize("name,params,size", [
    ("resnet18", {"width": 0.125}, 16),
    ("resnet50", {"width": 0.0625}, 32),
    ("timm:resnet34", {"width": 0.125, "small_stem": True}, 16),
    ("timm:mobilenetv3_small_050", {}, 32),
    ("alexnet-small", {"width": 0.0625}, 16),
    ("alexnet-small", {"width": 0.0625}, 64),
    ("raw-pixels", {}, 28),
    ("mean-colors", {"grid": 2}, 28),
])
def test_features_have_feature_dim(name, params, size):
    model = build(name, **params).eval()
    with torch.no_grad():
        out = model(torch.randn(3, 3, size, size))
    assert out.shape == (3, model.feature_dim)


def test_timm_variant_comes_from_the_name():
    assert ref(seebench.ENCODER, "timm:resnet34").params["variant"] == "resnet34"
    assert build("timm:resnet34", width=0.125).model_name == "resnet34"


def test_alexnet_small_probe_on_fc6_and_objective_on_normalised_128d():
    model = build("alexnet-small", width=0.0625).eval()
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        assert model(x).shape == (4, model.feature_dim)  # fc6
        z = model.embed(x)
    assert z.shape == (4, 128)
    assert torch.allclose(z.norm(dim=1), torch.ones(4), atol=1e-5)
    assert build("alexnet-small").feature_dim == 4096  # the paper's width


@pytest.mark.parametrize("name,params,size,match", [
    ("alexnet-small", {"width": 0.0625}, 8, "at least 15x15"),
    ("timm:vit_tiny_patch16_224", {}, 32, "cannot take"),
])
def test_image_sizes_a_model_cannot_take_are_a_clear_error(name, params, size, match):
    model = build(name, **params).eval()
    with pytest.raises(seebench.ConfigError, match=match):
        model(torch.randn(2, 3, size, size))


def test_unknown_timm_model_is_a_clear_error():
    with pytest.raises(seebench.ConfigError, match="timm has no such model.*resnet34"):
        build("timm:resnet43")


def test_baselines_drop_the_objective_and_name_their_row():
    for name in ("raw-pixels", "mean-colors"):
        comp = registry().get(seebench.ENCODER, name)
        assert comp.uses == ()
        assert comp.metadata["role"] == "baseline" and comp.metadata["baseline_label"] == name
        assert list(build(name).parameters()) == []


def test_every_component_has_a_description_and_defaults():
    for kind, names in MINE.items():
        for name in names:
            comp = registry().get(kind, name)
            assert comp.description and "\n" not in comp.description
            comp.resolve_params({"variant": "x"} if name.endswith(":*") else {})  # defaults are valid
            if kind == seebench.SOURCE:
                assert comp.metadata["role"] == "real"
