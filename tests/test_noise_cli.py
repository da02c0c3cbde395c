"""preview / gallery / generate handlers, called directly with a real registry."""

import argparse
import json
import os

import numpy as np
import pytest
from PIL import Image

from seebench.cli import generate as cli_generate
from seebench.generate.export import ExportPlan, export, read_png
from seebench.plugins.manager import load_registry

PLUGINS = ["noise-dead-leaves", "noise-statistical", "noise-fractaldb", "white-noise"]


@pytest.fixture(scope="module")
def registry():
    return load_registry(allow=PLUGINS)


def ns(**kw):
    return argparse.Namespace(**kw)


def preview_args(**kw):
    base = dict(name="dead-leaves-squares", n=4, size=48, seed=0, start=0, cols=None, param=[], out="")
    base.update(kw)
    return ns(**base)


def test_preview_writes_grid(registry, tmp_path):
    out = tmp_path / "grid.png"
    assert cli_generate.cmd_preview(preview_args(out=str(out), n=6, cols=3), registry) == 0
    with Image.open(out) as im:
        assert im.size == (3 * 50 + 2, 2 * 50 + 2)


def test_preview_accepts_spec_and_params(registry, tmp_path):
    out = tmp_path / "g.png"
    args = preview_args(name="spectrum:alpha_min=2.0", param=["alpha_max=2.5"], out=str(out))
    assert cli_generate.cmd_preview(args, registry) == 0


@pytest.mark.parametrize("kw, message", [
    (dict(name="dead-leaves-sqaures"), "did you mean 'dead-leaves-squares'"),
    (dict(size=-5), "--size must be at least 1"),
    (dict(size=20), "size must be between 32 and 512"),
    (dict(param=["sigma=0.2"]), "sigma"),
    (dict(param=["shapes=['hexagon']"]), "unknown shape 'hexagon'"),
    (dict(param=["colour=1"]), "has no parameter 'colour'"),
])
def test_preview_bad_input_is_one_line_exit_2(registry, tmp_path, capsys, kw, message):
    out = tmp_path / "x.png"
    assert cli_generate.cmd_preview(preview_args(out=str(out), **kw), registry) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("seebench: ") and message in err[0], err
    assert not out.exists()


def test_gallery_one_row_per_family(registry, tmp_path, capsys):
    out = tmp_path / "gallery.png"
    args = ns(n=3, size=32, seed=0, families="", verbose=False, reference=False, out=str(out))
    assert cli_generate.cmd_gallery(args, registry) == 0
    rows = len(registry.names("generator"))
    with Image.open(out) as im:
        assert im.size[1] == rows * (32 + 4)
    assert f"{rows} families" in capsys.readouterr().out


def test_gallery_unknown_family(registry, tmp_path, capsys):
    args = ns(n=3, size=32, seed=0, families="spectrum,nope", verbose=False, reference=False, out=str(tmp_path / "g.png"))
    assert cli_generate.cmd_gallery(args, registry) == 2
    assert "unknown generator 'nope'" in capsys.readouterr().err


def gen_args(out, **kw):
    base = dict(name="dead-leaves-shapes", n=10, size=40, seed=3, param=[], workers=1, shard_size=4,
                quiet=True, out=str(out))
    base.update(kw)
    return ns(**base)


def test_generate_resume_after_interruption(registry, tmp_path):
    out = tmp_path / "export"
    comp = registry.get("generator", "dead-leaves-shapes")
    params = comp.resolve_params({})
    gen = comp.build()
    # first run "interrupted" after 5 images, plus a torn temporary file left behind
    plan = ExportPlan(comp, params, 3, 10, 40, out, shard_size=4)
    first = export(plan, gen, stop_after=5)
    assert first.written == 5 and not first.complete
    assert json.loads((out / "manifest.json").read_text())["status"] == "in-progress"
    torn = out / "00001" / ".00000006.png.abc.tmp"
    torn.write_bytes(b"\x89PNG half")
    stamp = {p: p.stat().st_mtime_ns for p in out.glob("*/*.png")}
    # resume through the CLI handler: only the missing 5 are written
    assert cli_generate.cmd_generate(gen_args(out), registry) == 0
    files = sorted(out.glob("*/*.png"))
    assert [p.name for p in files] == [f"{i:08d}.png" for i in range(10)]
    assert sorted({p.parent.name for p in files}) == ["00000", "00001", "00002"]
    assert all(p.stat().st_mtime_ns == t for p, t in stamp.items())  # old files untouched
    assert not torn.exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["written"] == 10
    assert manifest["family"] == "dead-leaves-shapes" and manifest["seed"] == 3
    assert manifest["params"]["sigma"] == 3.0 and manifest["seebench_version"]
    # exported bytes are the on-the-fly images
    expect = gen.generate(range(10), 3, 40).permute(0, 2, 3, 1).numpy()
    for i, p in enumerate(files):
        assert np.array_equal(read_png(p), expect[i])


def test_generate_parallel_matches_serial(registry, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert cli_generate.cmd_generate(gen_args(a, name="fractaldb", param=["categories=3"], workers=1), registry) == 0
    assert cli_generate.cmd_generate(gen_args(b, name="fractaldb", param=["categories=3"], workers=2), registry) == 0
    for p in sorted(a.glob("*/*.png")):
        assert (b / p.relative_to(a)).read_bytes() == p.read_bytes()


def test_generate_refuses_different_settings(registry, tmp_path, capsys):
    out = tmp_path / "e"
    assert cli_generate.cmd_generate(gen_args(out, n=2), registry) == 0
    assert cli_generate.cmd_generate(gen_args(out, n=2, seed=4), registry) == 2
    assert "seed=3" in capsys.readouterr().err


def test_generate_bad_input(registry, tmp_path, capsys):
    assert cli_generate.cmd_generate(gen_args(tmp_path / "x", n=0), registry) == 2
    assert cli_generate.cmd_generate(gen_args(tmp_path / "x", name="wmn"), registry) == 2
    assert cli_generate.cmd_generate(gen_args(tmp_path / "x", size=1000), registry) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("seebench: ") for line in err)
    assert not os.path.exists(tmp_path / "x" / "manifest.json")


def test_help_has_examples():
    parser = argparse.ArgumentParser(prog="seebench")
    sub = parser.add_subparsers()
    cli_generate.add_commands(sub)
    for verb in ("preview", "gallery", "generate"):
        text = sub.choices[verb].format_help()
        assert "example:" in text and f"seebench {verb}" in text
