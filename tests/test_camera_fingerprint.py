"""Camera track: the PRNU controls on camera-sim, and the fingerprint evaluator's verdict."""

from __future__ import annotations

import numpy as np
import pytest

from camera_helpers import make_ctx
from seebench_plugins.evaluators import prnu
from seebench_plugins.evaluators import spectra
from seebench_plugins.sources.camera_sim import CameraSim
from seebench_plugins.evaluators.fingerprint import fingerprints_by_position, per_image, pooled

CROP = 128  # native-resolution crops at one fixed sensor position
SIM = dict(count=300, mode="crops", size=CROP, positions=1)  # the same photos as test_camera_controls


@pytest.fixture(scope="module")
def controls():
    a = CameraSim(device=0, **SIM)
    ref, test = a.load("reference"), a.load("test")  # K from reference photos only
    other = CameraSim(device=1, **{**SIM, "count": 24, "held_out": 0.5}).load("test")
    plain = CameraSim(device=0, sensor=False, **{**SIM, "count": 24, "held_out": 0.5}).load("test")
    g, r = prnu.residuals(ref.images)
    ks = fingerprints_by_position(g, r, ref.labels)
    out = {}
    for name, s in (("heldout_A", test), ("device_B", other), ("no_sensor", plain)):
        g2, r2 = prnu.residuals(s.images)
        out[name] = per_image(g2, r2, s.labels, ks)[0]
        out[name + "_pooled"] = pooled(g2, r2, s.labels, ks)[0]
        out[name + "_power"] = spectra.mean_power_spectrum(r2)
    return out


def test_held_out_crops_of_the_same_device_match_as_real_photos_do(controls):
    """Textured scenes: one 128 px crop alone rarely passes 60 (as with real photos, per-crop median
    ~7 at 64 px), the fingerprint of the whole held-out set passes it many times over."""
    pce = controls["heldout_A"]
    print("PCE held-out A vs K(A):", np.round(pce, 1), "pooled", controls["heldout_A_pooled"])
    assert 5 < np.median(pce) < 60 and np.mean(pce > 60) < 0.2
    assert controls["heldout_A_pooled"] > 300


def test_another_device_stays_below_60(controls):
    pce = controls["device_B"]
    print("PCE device B vs K(A):", np.round(pce, 1))
    assert pce.max() < 60 and controls["device_B_pooled"] < 60


def test_images_without_a_sensor_pipeline_stay_below_60(controls):
    pce = controls["no_sensor"]
    print("PCE no sensor vs K(A):", np.round(pce, 1))
    assert pce.max() < 60


def test_sensor_pipeline_leaves_cfa_and_jpeg_traces(controls):
    real, clean = controls["heldout_A_power"], controls["no_sensor_power"]
    assert spectra.cfa_peak(real) > 1.5
    assert spectra.jpeg_grid_energy(real) > 1.5


def test_pce_of_a_fingerprint_with_itself_and_with_noise():
    rng = np.random.default_rng(0)
    k = rng.normal(size=(64, 64)).astype(np.float32)
    assert prnu.pce_between(k, k)[0] > 1000
    assert abs(prnu.pce_between(k, rng.normal(size=(64, 64)).astype(np.float32))[0]) < 30
    z = prnu.zero_mean_bayer(k + 5.0)
    assert abs(z[0::2, 1::2].mean(axis=0)).max() < 1e-4


def test_fingerprint_evaluator_says_yes_for_real_photos_and_no_for_noise(tmp_path):
    logs: list[str] = []
    sim = "camera-sim:count=300,positions=1"
    ev = ("fingerprint", {"source": sim, "crop_size": CROP, "samples": 96, "power": False})
    real = make_ctx(tmp_path, ev, ("source", "camera-sim", dict(count=300, mode="crops", size=CROP, positions=1,
                                                              device=0)), encoder=None, logs=logs)
    m = real.build_ref(real.cell.evaluator).evaluate(real)
    assert all(isinstance(v, float) for v in m.values())
    assert m["controls_ok"] == 1.0 and m["carries_fingerprint"] == 1.0, logs
    assert m["pce_real_pooled"] > 60 > m["pce_other_pooled"]
    assert m["near_copy_frac"] == 1.0  # a source's row shows its own training photos: copies by definition
    noise = make_ctx(tmp_path, ev, ("generator", "white-noise", {}), encoder=None, logs=logs, image_size=CROP)
    m2 = noise.build_ref(noise.cell.evaluator).evaluate(noise)
    assert m2["carries_fingerprint"] == 0.0 and m2["pce_gen_pooled"] < 60
    assert any(line.startswith("fingerprint: NO") for line in logs)
    assert m2["cfa_peak_real"] > m2["cfa_peak_gen"]
    assert (tmp_path / "cache" / "fingerprint").is_dir()
