"""The representation presets (quick, cpu-full, paper-small, paper-large) expand to the intended cells,
and --dry-run prints the paper presets' plan and cost."""

from __future__ import annotations

import collections

import pytest

from seebench import GENERATOR
from seebench.matrix.config import load_matrix, preset_names

from conftest import seebench

PAPER_GROUPS = {"dead-leaves", "statistical", "stylegan", "fractal"}


def noise_families(registry) -> set[str]:
    """Every registered generator that makes images from nothing (not fitted to a source, like dcgan)."""
    return {c.name for c in registry.all_components()
            if c.kind == GENERATOR and "source" not in {p.name for p in c.params}}


def rows(matrix) -> dict[str, list]:
    out = collections.defaultdict(list)
    for cell in matrix.cells:
        out[cell.row].append(cell)
    return out


def test_every_preset_parses_and_expands(registry):
    assert {"quick", "cpu-full", "paper-small", "paper-large", "camera"} <= set(preset_names())
    for name in preset_names():
        matrix = load_matrix(name, registry)
        assert matrix.cells, name
        assert matrix.description, name


def test_quick_has_six_families_from_the_paper_groups_and_the_baselines(registry):
    matrix = load_matrix("quick", registry)
    by_row = rows(matrix)
    families = {r for r, cells in by_row.items() if cells[0].data is not None and cells[0].data.kind == GENERATOR
                and r != "white-noise"}
    assert len(families) >= 6, sorted(families)
    groups = {tag for r in families for tag in registry.get(GENERATOR, by_row[r][0].data.name).tags}
    assert PAPER_GROUPS <= groups, groups
    roles = {cells[0].role for cells in by_row.values()}
    assert {"random-init", "baseline", "real"} <= roles
    assert "raw-pixels" in by_row and "random-init" in by_row
    real = [r for r, cells in by_row.items() if cells[0].role == "real"]
    assert real and by_row[real[0]][0].data.name == "fashion-mnist"
    for cell in matrix.cells:
        assert cell.evaluator.name == "linear-probe" and cell.evaluator.params["source"] == "fashion-mnist"
    # two probes: objects placed at random (what separates the families) and Fashion-MNIST as it is
    placements = sorted((c.evaluator.params["source_params"] or {}).get("placement", "center") for c in matrix.cells)
    assert set(placements) == {"center", "random"} and placements.count("random") == len(matrix.cells) // 2
    assert by_row[real[0]][0].data.params["placement"] == "random"  # the real row pretrains on what it probes
    trained = [c for c in matrix.cells if c.data is not None]
    assert len(trained) == (len(families) + 2) * len(matrix.config["matrix"]["seeds"]) * 2  # + white-noise, real
    for cell in trained:  # 5 epochs of 4,096 distinct images: rendered once, kept in memory
        assert (cell.budget.images, cell.budget.dataset_size) == (5 * 4096, 4096)


def test_cpu_full_runs_every_noise_family_and_baseline_with_three_seeds(registry):
    """Derived from the registry: a newly registered family fails this until cpu-full lists it."""
    matrix = load_matrix("cpu-full", registry)
    by_row = rows(matrix)
    data_names = {c.data.name for c in matrix.cells if c.data is not None}
    missing = noise_families(registry) - data_names
    assert not missing, f"cpu-full lacks {sorted(missing)}"
    assert {"random-init", "raw-pixels", "mean-colors"} <= set(by_row)
    assert any(cells[0].role == "real" and cells[0].data.name == "fashion-mnist" for cells in by_row.values())
    for row, cells in by_row.items():
        seeds = [c.seed for c in cells]
        assert sorted(seeds) == [0, 1, 2], (row, seeds)  # one cell per seed: no row under two budgets
    assert len(matrix.cells) == 3 * len(by_row)


@pytest.mark.parametrize("name, size, crop, images, epochs, batch, encoder, objective", [
    ("paper-small", 128, 64, 105000, 200.0, 768, "alexnet-small", "align-uniform"),
    ("paper-large", 256, 224, 1300000, 200.0, 256, "resnet50", "moco-v2"),
])
def test_paper_presets_follow_the_paper(registry, name, size, crop, images, epochs, batch, encoder, objective):
    matrix = load_matrix(name, registry, ["imagenet100=/data/in100"])
    trained = [c for c in matrix.cells if c.data is not None]
    assert {c.data.name for c in trained} >= noise_families(registry)
    for cell in trained:
        b = cell.budget
        assert (b.image_size, b.dataset_size, b.epochs, b.batch_size) == (size, images, epochs, batch)
        assert cell.encoder.name == encoder and cell.objective.name == objective
        assert cell.objective.params["crop_size"] == crop
    for cell in matrix.cells:
        ev = cell.evaluator
        assert ev.params["source"] == "image-folder"
        assert ev.params["source_params"]["root"] == "/data/in100"
        assert ev.params["source_params"]["classes_file"] == "imagenet-100"
    assert {"random-init", "raw-pixels", "imagenet-100 (real)"} <= set(rows(matrix))


@pytest.mark.parametrize("name, seen, steps", [("paper-small", "21,000,000", "27,344"),
                                                ("paper-large", "260,000,000", "1,015,625")])
def test_dry_run_shows_the_paper_plan_and_its_cost(name, seen, steps, tmp_path):
    proc = seebench("run", name, "--dry-run", "--out", str(tmp_path / "run"),
                    "--set", 'matrix.data=["white-noise", {name="image-folder", label="real", root="/nowhere"}]')
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "pretraining plan" in out and seen in out and steps in out
    assert "images rendered on the fly" in out and "on one GPU at an assumed" in out and "rough total" in out
    assert not (tmp_path / "run" / "results").exists()


def test_imagenet100_class_list_ships_with_the_package(tmp_path):
    from seebench_plugins.sources.image_folder import ImageFolder

    with pytest.raises(Exception, match="is not a folder"):
        ImageFolder(root=str(tmp_path / "missing"), classes_file="imagenet-100").load("train")
    from importlib import resources

    text = (resources.files("seebench_plugins.sources") / "imagenet100.txt").read_text()
    wnids = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert len(wnids) == 100 == len(set(wnids)) and all(w.startswith("n") and len(w) == 9 for w in wnids)
    from PIL import Image

    for w in wnids + ["n99999999"]:  # one extra class folder that the list leaves out
        (tmp_path / "in" / w).mkdir(parents=True)
        Image.new("RGB", (10, 12), (len(w), 0, 0)).save(tmp_path / "in" / w / "a.png")
    images = ImageFolder(root=str(tmp_path / "in"), classes_file="imagenet-100", size=8, test_fraction=0.0).load("train")
    assert len(images) == 100 and images.classes == wnids


def test_paper_large_featvis_dead_leaves_visualises_the_dead_leaves_row_encoder(registry):
    """Its nested MoCo v2 pretraining is the dead-leaves-shapes cell itself: one cached encoder, trained once."""
    from seebench import ENCODER, OBJECTIVE, Cell, component_ref

    matrix = load_matrix("paper-large", registry)
    by_row = {c.row: c for c in matrix.cells}
    fv, dl = by_row["featvis-dead-leaves"], by_row["dead-leaves-shapes"]
    p = fv.data.params
    nested = Cell(evaluator=fv.evaluator, seed=fv.seed, budget=fv.budget,
                  data=component_ref(registry, GENERATOR, p["pretrain_data"]),
                  encoder=component_ref(registry, ENCODER, p["pretrain_encoder"]),
                  objective=component_ref(registry, OBJECTIVE, p["pretrain_objective"]))
    assert (p["pretrain_images"], p["pretrain_batch_size"]) == (0, 0)  # the cell's own budget
    assert nested.pretrained_key == dl.pretrained_key
