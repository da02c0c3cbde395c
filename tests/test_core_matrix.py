"""Matrix files: cross product, exclude/include, presets, overrides, and the errors users see."""

import pytest

from conftest import seebench
from seebench import ConfigError, UnknownComponentError
from seebench.matrix.config import build_matrix, load_matrix, parse_toml, preset_names

BASE = {
    "matrix": {
        "name": "m",
        "data": ["white-noise", {"name": "white-noise", "label": "grey-noise", "channels": 1},
                 "fashion-mnist"],
        "encoders": ["resnet18"],
        "objectives": ["none"],
        "evaluators": ["knn"],
        "seeds": [0, 1],
        "budgets": [{"name": "a", "image_size": 16}, {"name": "b", "image_size": 32}],
    }
}


def test_objective_that_ignores_data_collapses_data_rows(registry):
    m = build_matrix(BASE, registry, "m.toml")
    # 3 data x 2 seeds x 2 budgets, but objective `none` ignores data: one random-init row per seed/budget
    assert len(m.cells) == 4
    assert {c.row for c in m.cells} == {"random-init"}
    assert all(c.data is None and c.role == "random-init" for c in m.cells)


def _with_training_objective(registry):
    """A matrix whose objective uses its data (registered in-process, as a plugin would)."""
    import types

    from seebench import OBJECTIVE, Component, hookimpl
    from seebench.plugins.manager import load_registry

    mod = types.ModuleType("trainer")
    mod.seebench_register_objectives = hookimpl(lambda: [Component(
        kind=OBJECTIVE, name="fake-train", factory=object, description="d")])
    return load_registry(extra=[("trainer", mod)])


def test_cross_product_with_exclude_and_include(registry):
    reg = _with_training_objective(registry)
    cfg = {**BASE, "matrix": {**BASE["matrix"], "objectives": ["fake-train", "none"]},
           "exclude": [{"data": "grey-noise", "budget": "b"}, {"objective": "none", "seed": 1}],
           "include": [{"data": "grey-noise", "objective": "fake-train", "seed": 7, "budget": "b"}]}
    m = build_matrix(cfg, reg, "m.toml")
    trained = [c for c in m.cells if c.objective.name == "fake-train"]
    # 3 data x 2 seeds x 2 budgets = 12, minus grey-noise at budget b (2 seeds) = 10, plus one include
    assert len(trained) == 11
    assert {c.row for c in trained} == {"white-noise", "grey-noise", "fashion-mnist"}
    assert {c.role for c in trained if c.row == "fashion-mnist"} == {"real"}
    assert any(c.seed == 7 and c.row == "grey-noise" for c in trained)
    baselines = [c for c in m.cells if c.objective.name == "none"]
    assert len(baselines) == 2 and {c.seed for c in baselines} == {0}
    assert len({c.key for c in m.cells}) == len(m.cells)


def test_keys_depend_on_everything_that_determines_a_cell(registry):
    reg = _with_training_objective(registry)
    cfg = {**BASE, "matrix": {**BASE["matrix"], "objectives": ["fake-train"], "seeds": [0]}}
    keys = {c.row + c.budget.name: c.key for c in build_matrix(cfg, reg, "x").cells}
    again = {c.row + c.budget.name: c.key for c in build_matrix(cfg, reg, "x").cells}
    assert keys == again  # same inputs, same key
    cfg2 = {**cfg, "params": {"knn": {"k": 5}}}
    changed = {c.row + c.budget.name: c.key for c in build_matrix(cfg2, reg, "x").cells}
    assert set(changed.values()).isdisjoint(keys.values())


def test_unknown_component_gets_did_you_mean(registry):
    cfg = {"matrix": {**BASE["matrix"], "data": ["white-nose"]}}
    with pytest.raises(UnknownComponentError, match=r"m.toml: \[matrix\] data: unknown generator or source "
                                                    r"'white-nose'; did you mean 'white-noise'"):
        build_matrix(cfg, registry, "m.toml")
    cfg = {"matrix": {**BASE["matrix"], "evaluators": ["knnn"]}}
    with pytest.raises(UnknownComponentError, match="unknown evaluator 'knnn'; did you mean 'knn'"):
        build_matrix(cfg, registry, "m.toml")


def test_wrong_parameter_name_and_type_name_the_place(registry):
    with pytest.raises(ConfigError, match=r"evaluator 'knn' has no parameter 'kk'; did you mean 'k'"):
        build_matrix({**BASE, "params": {"knn": {"kk": 3}}}, registry, "m.toml")
    with pytest.raises(ConfigError, match=r"m.toml: \[matrix\] data: generator 'white-noise': parameter "
                                          r"'channels' must be one of \[1, 3\], got 2"):
        build_matrix({"matrix": {**BASE["matrix"], "data": ["white-noise:channels=2"]}}, registry, "m.toml")
    with pytest.raises(ConfigError, match="unknown budget key 'imgs'"):
        build_matrix({"matrix": {**BASE["matrix"], "budgets": [{"imgs": 3}]}}, registry, "m.toml")


def test_malformed_toml_reports_the_line(tmp_path, registry):
    path = tmp_path / "bad.toml"
    path.write_text('[matrix]\nname = "x"\ndata = ["white-noise"\nseeds = [0]\n')
    with pytest.raises(ConfigError, match=r"bad.toml: invalid TOML: .*line 4"):
        load_matrix(str(path), registry)


def test_set_overrides_vars_and_dotted_keys(tmp_path, registry):
    path = tmp_path / "v.toml"
    path.write_text('[vars]\nnoise = "white-noise"\n[matrix]\ndata = ["${noise}"]\nencoders = ["resnet18"]\n'
                    'objectives = ["none"]\nevaluators = ["knn"]\n')
    m = load_matrix(str(path), registry, ["matrix.seeds=[3,4]", "params.knn.k=7", "noise=white-noise:channels=1"])
    assert sorted(c.seed for c in m.cells) == [3, 4]
    assert all(c.evaluator.params["k"] == 7 for c in m.cells)
    with pytest.raises(ConfigError, match=r"--set nois: .* has no variable 'nois' \(its \[vars\]: noise\)"):
        load_matrix(str(path), registry, ["nois=x"])
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        load_matrix(str(path), registry, ["matrix.seeds"])


def test_presets_ship_in_the_package_and_unknown_names_list_them(registry):
    assert "quick" in preset_names()
    assert load_matrix("quick", registry).name == "quick"
    with pytest.raises(ConfigError, match=r"'quik' is neither a matrix file nor a preset; presets are .*quick"):
        load_matrix("quik", registry)


def test_parse_toml_keeps_types():
    assert parse_toml("a = [1, 2]\n[b]\nc = 0.5\n", "x") == {"a": [1, 2], "b": {"c": 0.5}}


def test_dry_run_prints_cells_and_cost_without_running(tiny_matrix, tmp_path):
    out = tmp_path / "run"
    proc = seebench("run", str(tiny_matrix(seeds=(0, 1))), "--out", str(out), "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert "2 cells from" in proc.stdout and "rough total" in proc.stdout
    assert proc.stdout.count("to run") == 2 and "random-init" in proc.stdout
    assert not (out / "results").exists()


def test_cli_bad_input_is_one_line_and_exit_code_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[matrix\n')
    proc = seebench("run", str(bad))
    assert proc.returncode == 2
    assert proc.stderr.startswith("seebench: ") and proc.stderr.count("\n") == 1 and "line 1" in proc.stderr
    proc = seebench("run", "quick", "--set", "matrix.data=['white-nois']", "--dry-run")
    assert proc.returncode == 2 and "did you mean 'white-noise'" in proc.stderr
