"""Camera track: the PRNU controls on camera-sim, and the fingerprint evaluator's verdict."""

from __future__ import annotations

import numpy as np
import pytest

from camera_helpers import make_ctx
from seebench_plugins.camera import prnu, spectra
from seebench_plugins.camera.camera_sim import CameraSim
from seebench_plugins.camera.fingerprint import fingerprints_by_position, per_image

CROP = 128  # native-resolution crops at one fixed sensor position
SIM = dict(count=40, mode="crops", size=CROP, positions=1, held_out=0.25)


@pytest.fixture(scope="module")
def controls():
    a = CameraSim(device=0, **SIM)
    train, test = a.load("train"), a.load("test")
    other = CameraSim(device=1, **{**SIM, "count": 12, "held_out": 0.5}).load("test")
    plain = CameraSim(device=0, sensor=False, **{**SIM, "count": 12, "held_out": 0.5}).load("test")
    g, r = prnu.residuals(train.images)
    ks = fingerprints_by_position(g, r, train.labels)
    out = {}
    for name, s in (("heldout_A", test), ("device_B", other), ("no_sensor", plain)):
        g2, r2 = prnu.residuals(s.images)
        out[name] = per_image(g2, r2, s.labels, ks)[0]
        out[name + "_power"] = spectra.mean_power_spectrum(r2)
    return out


def test_held_out_crops_of_the_same_device_match_far_above_60(controls):
    pce = controls["heldout_A"]
    print("PCE held-out A vs K(A):", np.round(pce, 1))
    assert np.median(pce) > 150 and pce.min() > 60


def test_another_device_stays_below_60(controls):
    pce = controls["device_B"]
    print("PCE device B vs K(A):", np.round(pce, 1))
    assert pce.max() < 60


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
    sim = "camera-sim:count=40,positions=1,held_out=0.25"
    ev = ("fingerprint", {"source": sim, "crop_size": CROP})
    real = make_ctx(tmp_path, ev, ("source", "camera-sim", dict(count=40, mode="crops", size=CROP, positions=1,
                                                              held_out=0.25, device=0)), encoder=None, logs=logs)
    m = real.build_ref(real.cell.evaluator).evaluate(real)
    assert all(isinstance(v, float) for v in m.values())
    assert m["controls_ok"] == 1.0 and m["carries_fingerprint"] == 1.0, logs
    assert m["pce_real_pooled"] > 60 > m["pce_other_pooled"]
    noise = make_ctx(tmp_path, ev, ("generator", "white-noise", {}), encoder=None, logs=logs, image_size=CROP)
    m2 = noise.build_ref(noise.cell.evaluator).evaluate(noise)
    assert m2["carries_fingerprint"] == 0.0 and m2["pce_gen_pooled"] < 60
    assert any(line.startswith("fingerprint: NO") for line in logs)
    assert m2["cfa_peak_real"] > m2["cfa_peak_gen"]
    assert (tmp_path / "cache" / "fingerprint").is_dir()
