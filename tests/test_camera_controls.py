"""Camera track: the fingerprint verdict on control generators (replay, prnu-inject), its power, the margin."""

from __future__ import annotations

import pytest

from camera_helpers import make_ctx
from seebench_plugins.evaluators.memorisation import CALIBRATION_QUANTILE

# 300 textured camera-sim photos (train ~150 / reference ~90 / held-out ~60), one sensor position
SIM = "camera-sim:count=300,positions=1"
SAMPLES = 128


def verdict(tmp_path, generator: str, crop: int = 128, power: bool = False, **params) -> tuple[dict, list[str]]:
    logs: list[str] = []
    ev = ("fingerprint", {"source": SIM, "crop_size": crop, "samples": SAMPLES, "power": power})
    ctx = make_ctx(tmp_path, ev, ("generator", generator, {"source": SIM, "resolution": crop, **params}),
                   encoder=None, logs=logs, image_size=crop)
    return ctx.build_ref(ctx.cell.evaluator).evaluate(ctx), logs


@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    return verdict(tmp_path_factory.mktemp("replay"), "replay", power=True)


def test_held_out_photos_pass_the_controls_with_a_5x_margin_on_textured_scenes(replay):
    m, _ = replay
    print("held-out pooled PCE", m["pce_real_pooled"], "other device", m["pce_other_pooled"])
    assert m["pce_real_pooled"] >= 5 * 60
    assert m["pce_other_pooled"] < 60
    assert m["n_reference"] >= 60 and m["n_real"] >= 40


def test_replay_is_yes_but_flagged_as_copies(replay):
    m, logs = replay
    assert m["carries_fingerprint"] == 1.0 and m["near_copy_frac"] > 0.95
    assert m["fingerprint_on_novel"] == 0.0
    assert any("YES, BUT ONLY THROUGH COPIES" in line for line in logs)
    assert (m["nn_ratio_pixels"] < 0.05)  # nearest training crop: the very same crop
    print("near-copies per view:", {v: m[f"near_copy_frac_{v}"] for v in ("pixels", "lowpass", "features")})
    assert m["near_copy_frac_features"] > 0.95 and m["nn_ratio_features"] < 0.05  # the feature view sees them too


def test_power_lies_between_zero_and_full_strength(replay):
    m, logs = replay
    print(m["power_min_strength"], [line for line in logs if "power" in line])
    assert 0.0 < m["power_min_strength"] < 1.0
    assert m["pce_injected_zero"] < 60
    assert any("a NO here means less than" in line for line in logs)


def test_replay_shifted_by_3px_is_no(tmp_path):
    m, logs = verdict(tmp_path, "replay", shift=3)
    assert m["controls_ok"] == 1.0 and m["carries_fingerprint"] == 0.0, logs
    assert m["pce_gen_pooled"] < 60


def test_injected_prnu_at_full_strength_is_yes_on_new_content_and_at_zero_is_no(tmp_path):
    full, logs = verdict(tmp_path, "prnu-inject", strength=1.0, count=SAMPLES)
    assert full["carries_fingerprint"] == 1.0 and full["fingerprint_on_novel"] == 1.0, logs
    assert full["near_copy_frac"] < 0.05  # held-out content is not a copy of any training crop
    print("new content, near-copies per view:", {v: full[f"near_copy_frac_{v}"] for v in ("pixels", "lowpass", "features")})
    assert full["near_copy_frac_features"] <= CALIBRATION_QUANTILE  # false positives: at most the calibration quantile
    assert any(line.startswith("fingerprint: YES: ") for line in logs)
    zero, _ = verdict(tmp_path, "prnu-inject", strength=0.0, count=SAMPLES)
    assert zero["carries_fingerprint"] == 0.0 and zero["pce_gen_pooled"] < 60


def test_replay_blurred_is_never_a_learned_fingerprint(tmp_path, replay):
    """5x5-binomial-blurred training crops: recognised as copies, so never 'YES on new content'.

    Measured here, and unlike the issue's expectation: the blur does not make them NO. It keeps ~14%
    of the PRNU's amplitude at zero shift but also removes most of the shot noise that hides it, so
    their pooled PCE is ~0.4x that of exact copies (1190 -> 442 at 128 px, 290 -> 114 at 64 px):
    above the threshold whenever the test has the power this one has (15-20% of the PRNU)."""
    exact, _ = replay
    blurred, logs = verdict(tmp_path, "replay", blur=5)
    print("pooled PCE: exact copies", exact["pce_gen_pooled"], "blurred", blurred["pce_gen_pooled"])
    assert blurred["near_copy_frac"] > 0.95 and blurred["fingerprint_on_novel"] == 0.0
    assert not any(line.startswith("fingerprint: YES: ") for line in logs)
    assert blurred["pce_gen_pooled"] < 0.5 * exact["pce_gen_pooled"]


def test_mirrored_copies_are_caught_in_encoder_features_only(tmp_path):
    """Training crops mirrored left-right: what a GAN trained with x-flip augmentation (the usual
    DCGAN/StyleGAN setting) reproduces when it memorises. Every pixel lands on another sensor column,
    so the PRNU is gone (NO), and no pixel-aligned view (half-resolution or 1/8 low-pass) finds the
    crop it copies; the encoder's features do. Without the feature view this memorisation is invisible."""
    m, logs = verdict(tmp_path, "replay", flip=True)
    views = {v: m[f"near_copy_frac_{v}"] for v in ("pixels", "lowpass", "features")}
    print("mirrored copies, near-copies per view:", views, "pooled PCE", m["pce_gen_pooled"])
    assert views["pixels"] < 0.05 and views["lowpass"] < 0.05
    assert views["features"] > 0.75 and m["near_copy_frac"] > 0.75
    assert m["controls_ok"] == 1.0 and m["carries_fingerprint"] == 0.0 and m["pce_gen_pooled"] < 60
    assert any(line.startswith("fingerprint: NO: ") and "near-copies of GAN-training crops" in line for line in logs)


def test_replay_blurred_by_at_least_9_taps_is_no_at_64px(tmp_path):
    """The blur that removes the fingerprint, measured (docs/camera.md): at 64 px crops (camera-full's),
    128 samples, blurred copies' pooled PCE is 291 / 166 / 114 / 68 / 54 / 41 / 30 / 21 at 0 / 3 / 5 / 7 /
    9 / 11 / 15 / 21 binomial taps: below the threshold (60) from 9 taps (sigma 1.4 px) on. 15 taps
    here, for a margin of 2x; the copies are still found (low-pass and features survive a blur)."""
    m, logs = verdict(tmp_path, "replay", crop=64, blur=15)
    print("blur 15 at 64 px: pooled PCE", m["pce_gen_pooled"], "held-out", m["pce_real_pooled"],
          {v: m[f"near_copy_frac_{v}"] for v in ("pixels", "lowpass", "features")})
    assert m["controls_ok"] == 1.0, logs
    assert m["carries_fingerprint"] == 0.0 and m["pce_gen_pooled"] < 60
    assert m["near_copy_frac"] > 0.95
    assert any(line.startswith("fingerprint: NO: ") for line in logs)
