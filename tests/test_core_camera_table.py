"""The camera track through the real CLI: a camera table, KID beside the fingerprint, sample grids published."""

import json
from pathlib import Path

from PIL import Image

from conftest import seebench

MATRIX = """
[matrix]
name = "camera-mini"
data = ["dcgan"]
encoders = ["resnet18"]
objectives = ["none"]
evaluators = ["kid", "fingerprint"]
budgets = [{ name = "mini", image_size = 32, images = 64, batch_size = 16 }]

[params.dcgan]
source = "camera-sim:count=24"
mode = "crops"
resolution = 32
ngf = 16
ndf = 16
checkpoint_every = 0

[params.kid]
source = "camera-sim:count=24"
subsets = 10

[params.fingerprint]
source = "camera-sim:count=24"
samples = 16
"""


def test_camera_cells_share_one_row_of_the_camera_table_and_publish_their_samples(tmp_path):
    matrix = tmp_path / "camera.toml"
    matrix.write_text(MATRIX)
    out = tmp_path / "run"
    proc = seebench("run", str(matrix), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(p.read_text()) for p in (out / "results").glob("*.json")]
    assert {r["table"] for r in results} == {"camera"} and len(results) == 2
    by_eval = {r["cell"]["evaluator"]["name"]: r for r in results}
    assert by_eval["fingerprint"]["cell"]["encoder"] is None  # the fingerprint ignores the encoder
    for r in results:  # the fitted GAN's grids and curves travel with every result that used it
        assert {"samples", "real", "curves"} <= set(r["artifacts"])
        assert (out / r["artifacts"]["samples"]).is_file()
    assert "camera table" in proc.stdout and "dcgan samples:" in proc.stdout

    md = seebench("leaderboard", str(out), "--format", "markdown")
    assert md.returncode == 0, md.stderr
    rows = [line for line in md.stdout.splitlines() if line.startswith("| dcgan")]
    assert len(rows) == 1  # KID and fingerprint columns on one row
    assert "kid kid" in md.stdout and "fingerprint carries_fingerprint" in md.stdout
    assert "n_real" not in md.stdout  # undeclared extras stay in the JSON only

    board = tmp_path / "leaderboard"
    pub = seebench("publish", str(out), "--to", str(board))
    assert pub.returncode == 0, pub.stderr
    readme = (board / "README.md").read_text()
    assert "## camera table" in readme and "![dcgan samples](artifacts/" in readme
    copied = sorted((board / "artifacts").glob("*.png"))
    assert len(copied) == sum(len(r["artifacts"]) for r in results) and Image.open(copied[0]).size[0] > 32
    published = json.loads(next((board / "results").glob("*.json")).read_text())
    assert published["artifacts"]["samples"].startswith("artifacts/")


def test_camera_preset_runs_on_a_folder_of_the_users_jpegs(tmp_path):
    """`seebench run camera --set source=photos:path=DIR,...` on real JPEG files with EXIF."""
    from seebench_plugins.sources.camera_sim import CameraSim

    photos = tmp_path / "ipod"
    CameraSim(device=3).write_folder(photos, 30)  # JPEGs with EXIF model "iPod touch 4"
    (photos / "notes.txt").write_text("not a photo")
    out = tmp_path / "run"
    proc = seebench(
        "run", "camera", "--out", str(out),
        "--set", f"source=photos:path={photos},camera=iPod touch 4",
        "--set", 'matrix.budgets=[{name="mini", image_size=64, images=32, batch_size=16}]',
        "--set", "matrix.evaluators=['kid', 'fingerprint']",
        "--set", "params.dcgan.ngf=8", "--set", "params.dcgan.ndf=8", "--set", "params.dcgan.checkpoint_every=0",
        "--set", "params.kid.subsets=5", "--set", "params.fingerprint.samples=16")
    assert proc.returncode == 0, proc.stderr
    results = [json.loads(p.read_text()) for p in (out / "results").glob("*.json")]
    assert len(results) == 4 and all(r["status"] == "ok" for r in results)
    rows = {r["row"] for r in results}
    assert rows == {"dcgan", "dcgan+diffaugment"}
    fit_source = results[0]["cell"]["data"]["params"]["source"]
    assert fit_source == f"photos:path={photos},camera=iPod touch 4"
    fingerprint = [r for r in results if r["cell"]["evaluator"]["name"] == "fingerprint"]
    for r in fingerprint:  # K from ~9 reference photos, ~6 held out: too few at 64 px, and the verdict says so
        m = r["metrics"]
        assert m["n_reference"] > 0 and m["n_train"] > m["n_reference"]
        assert m["controls_ok"] == 0.0 and m["carries_fingerprint"] == 0.0  # INCONCLUSIVE, never a guess


def test_dcgan_samples_are_pretraining_data_in_the_representation_matrix(tmp_path):
    """A fitted DCGAN feeds an objective like any generator: fit once, pretrain on its samples, probe."""
    matrix = tmp_path / "gan-pretrain.toml"
    matrix.write_text("""
[matrix]
name = "gan-pretrain"
data = ["dcgan"]
encoders = ["alexnet-small"]
objectives = ["align-uniform"]
evaluators = ["knn"]
budgets = [{ name = "mini", image_size = 32, images = 64, batch_size = 32 }]

[params.dcgan]
source = "camera-sim:count=24"
resolution = 32
ngf = 16
ndf = 16
images = 64
checkpoint_every = 0

[params.alexnet-small]
width = 0.125

[params.knn]
train_size = 300
test_size = 100
""")
    out = tmp_path / "run"
    proc = seebench("run", str(matrix), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    (result,) = [json.loads(p.read_text()) for p in (out / "results").glob("*.json")]
    assert result["row"] == "dcgan" and result["cell"]["objective"]["name"] == "align-uniform"
    assert result["metrics"]["top1"] > 10.0  # beats chance on Fashion-MNIST
    assert result["timings"]["pretrain_s"] > 0
    assert list((out / "cache" / "dcgan").glob("*.safetensors"))  # the GAN was fitted and cached
