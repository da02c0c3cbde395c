"""Evaluator `fingerprint`: do a generator's samples carry the camera's PRNU on new content, and how strong a PRNU could it see?"""

from __future__ import annotations

import time

import numpy as np
import torch

from seebench import EVALUATOR, SOURCE, Component, Param, atomic_write_text, hookimpl, param_defaults

from seebench_plugins.evaluators import prnu
from seebench_plugins.evaluators import spectra
from seebench_plugins.generators.controls import control_components
from seebench_plugins.evaluators.memorisation import near_copies, save_pairs
from seebench_plugins.evaluators.power import STRENGTHS, fingerprints_by_position, power_curve, prnu_content
from seebench_plugins.evaluators.samples import kid_features, real_source, samples_of
from seebench_plugins.sources.source_spec import other_device_params, resolve_source


def per_image(grey, resid, labels, ks) -> tuple[np.ndarray, np.ndarray]:
    """PCE, NCC of each image against K at its own position (labels), or the best position (None)."""
    if labels is not None:
        lab = labels.numpy()
        pce, ncc = np.zeros(len(grey)), np.zeros(len(grey))
        for p, k in enumerate(ks):
            m = lab == p
            if m.any():
                pce[m], ncc[m] = prnu.test_statistics(grey[m], resid[m], k)
        return pce, ncc
    scores = [prnu.test_statistics(grey, resid, k) for k in ks]
    best = np.argmax(np.stack([s[0] for s in scores]), axis=0)
    pce = np.stack([s[0] for s in scores])[best, np.arange(len(grey))]
    ncc = np.stack([s[1] for s in scores])[best, np.arange(len(grey))]
    return pce, ncc


def pooled(grey, resid, labels, ks) -> tuple[float, float]:
    """PCE, NCC of the fingerprint estimated from a whole set against the camera's K.

    With positions (labels), K of the set is estimated per sensor position and tested against that
    position's K; the PCEs add up (each is a squared SNR: independent tests add) and the NCCs are
    averaged. Without positions, one K of the whole set against the best-matching position's K."""
    if labels is not None:
        lab = labels.numpy()
        scores = [prnu.pce_between(prnu.estimate_fingerprint(grey[lab == p], resid[lab == p]), k)
                  for p, k in enumerate(ks) if (lab == p).any()]
        return float(sum(s[0] for s in scores)), float(np.mean([s[1] for s in scores]))
    k_set = prnu.estimate_fingerprint(grey, resid)
    scores = [prnu.pce_between(k_set, k) for k in ks]
    return max(scores, key=lambda s: s[0])


def sample_positions(gen, n: int) -> torch.Tensor | None:
    """The sensor position of each of the first n samples, when the generator says (conditional
    DCGAN, the controls); None otherwise (each sample is then tested against its best position)."""
    fn = getattr(gen, "sensor_positions", None)
    return fn(list(range(n))) if fn else None


PARAMS = (
    Param("source", "", "the camera's photos, a spec string (empty: the source the generator was fitted on)"),
    Param("source_params", None, "extra parameters of that source", type=dict),
    Param("samples", 0, "generated samples (0: as many as held-out crops, at least 64)", minimum=0),
    Param("crop_size", 0, "native crop side in px (0: the generator's resolution)", minimum=0),
    Param("positions", 0, "sensor positions per photo (0: the source's default)", minimum=0),
    Param("other_source", "", "a second camera for the negative control (empty: camera-sim's next device, "
          "or held-out crops rotated 180 degrees)"),
    Param("threshold", 60.0, "PCE above which a match is declared (60 is the usual camera-ID threshold)", minimum=0.0),
    Param("power", True, "measure the smallest PRNU strength the test detects at this sample count and crop size"),
)


@param_defaults(PARAMS)
class Fingerprint:
    def __init__(self, *, source: str, source_params: dict | None, samples: int, crop_size: int, positions: int,
                 other_source: str, threshold: float, power: bool):
        self.source, self.source_params, self.samples = source, source_params, samples
        self.crop_size, self.positions, self.other_source, self.threshold = crop_size, positions, other_source, threshold
        self.power = power

    def evaluate(self, ctx) -> dict[str, float]:
        t0 = time.perf_counter()
        gen = ctx.data_component()
        self._gen_mode = getattr(gen, "mode", None)
        size = self.crop_size or getattr(gen, "resolution", None) or ctx.budget.image_size
        force = {"mode": "crops", "size": size}
        if self.positions:
            force["positions"] = self.positions
        name, params = real_source(ctx, gen, self.source, self.source_params, **force)
        ref = ctx.load_source(name, params, "reference")  # K: photos no generator was fitted to
        train = ctx.load_source(name, params, "train")  # the generator's photos: copies and power
        test = ctx.load_source(name, params, "test")  # held out from both: the positive control
        ctx.log(f"fingerprint: K from {len(ref)} reference crops ({size}px) of {name}; {len(train)} GAN-training "
                f"crops; {len(test)} held-out crops")
        g_ref, r_ref = prnu.residuals(ref.images)
        ks = fingerprints_by_position(g_ref, r_ref, ref.labels)
        del g_ref, r_ref
        n = self.samples or max(256, 2 * len(test))
        fake = samples_of(ctx, n, size)
        if fake.shape[-1] != size or fake.shape[-2] != size:
            raise ValueError(f"fingerprint: samples are {tuple(fake.shape[-2:])}, crops are {size}px; set crop_size")
        fake_pos = sample_positions(gen, len(fake))
        if fake_pos is not None and (len(fake_pos) != len(fake) or int(fake_pos.max()) >= len(ks)):
            fake_pos = None  # positions of another layout than the reference crops': test each at its best
        sets = {"real": (test.images, test.labels), "gen": (fake, fake_pos)}
        other_desc = self._other(ctx, name, params, test, sets)
        out: dict[str, float] = {}
        powers, resids = {}, {}
        for key, (images, labels) in sets.items():
            grey, resid = prnu.residuals(images)
            pce, ncc = per_image(grey, resid, labels, ks)
            out[f"pce_{key}_median"] = float(np.median(pce))
            out[f"ncc_{key}_median"] = float(np.median(ncc))
            out[f"pce_{key}_frac_above"] = float(np.mean(pce > self.threshold))
            out[f"pce_{key}_pooled"], out[f"ncc_{key}_pooled"] = pooled(grey, resid, labels, ks)
            powers[key] = spectra.mean_power_spectrum(resid)
            if key == "gen":
                resids = {"grey": grey, "resid": resid}
        g_tr, r_tr = prnu.residuals(train.images[: max(len(test.images), 64)])
        powers["train"] = spectra.mean_power_spectrum(r_tr)
        az = {k: spectra.azimuthal_average(p) for k, p in powers.items()}
        out["spectrum_distance"] = spectra.spectrum_distance(az["real"], az["gen"])
        out["spectrum_distance_real"] = spectra.spectrum_distance(az["real"], az["train"])
        for key in ("real", "gen"):
            out[f"jpeg_grid_{key}"] = spectra.jpeg_grid_energy(powers[key])
            out[f"cfa_peak_{key}"] = spectra.cfa_peak(powers[key])
        out.update(self._memorisation(ctx, fake, fake_pos, train, test, ks, resids))
        if self.power:
            out.update(self._power(ctx, name, params, train, test, len(fake), ks))
        t = self.threshold
        controls_ok = out["pce_real_pooled"] > t and out["pce_other_pooled"] < t
        carries = controls_ok and out["pce_gen_pooled"] > t
        out["controls_ok"] = float(controls_ok)
        out["carries_fingerprint"] = float(carries)
        out["fingerprint_on_novel"] = float(carries and out["pce_novel_pooled"] > t)
        out["n_reference"], out["n_train"] = float(len(ref)), float(len(train))
        out["n_real"], out["n_gen"] = float(len(test)), float(len(fake))
        out["seconds"] = time.perf_counter() - t0
        verdict = self.verdict(out, other_desc)
        ctx.log(f"fingerprint: {verdict}")
        path = ctx.cache_path("fingerprint", {"cell": ctx.cell.key}, ".txt")
        atomic_write_text(path, verdict + "\n" + "\n".join(f"{k} = {v:.6g}" for k, v in out.items()) + "\n")
        self.last_verdict = verdict
        return out

    def _memorisation(self, ctx, fake, fake_pos, train, test, ks, resids) -> dict[str, float]:
        """Near-copies of GAN-training crops, and PCE of the copies and of the novel samples apart."""
        report = near_copies(fake, train.images, test.images, embed=kid_features(ctx))
        pairs = ctx.cache_path("fingerprint", {"cell": ctx.cell.key, "what": "nearest"}, ".png")
        save_pairs(pairs, fake, train.images, report)
        ctx.add_artifact("nearest_training_crops", pairs)
        out = {"near_copy_frac": report.fraction}
        for view in report.flags:  # pixels, lowpass, features: which view saw the copies
            out[f"near_copy_frac_{view}"] = report.view_fraction(view)
            out[f"nn_ratio_{view}"] = report.ratio_median[view]
        grey, resid = resids["grey"], resids["resid"]
        for key, mask in (("copies", report.is_copy), ("novel", ~report.is_copy)):
            if mask.sum() >= 2:
                lab = fake_pos[torch.from_numpy(mask)] if fake_pos is not None else None
                out[f"pce_{key}_pooled"] = pooled(grey[mask], resid[mask], lab, ks)[0]
            else:
                out[f"pce_{key}_pooled"] = 0.0
            out[f"n_{key}"] = float(mask.sum())
        return out

    def _power(self, ctx, name, params, train, test, n: int, ks) -> dict[str, float]:
        """The smallest PRNU strength this test detects with n samples of this crop size."""
        content, how = prnu_content(ctx.build(SOURCE, name, params), train, test, n)
        curve, smallest = power_curve(content, ks, self.threshold, pooled)
        zero_images, zero_labels = content(0.0)
        out = {"power_min_strength": smallest,
               "pce_injected_zero": pooled(*prnu.residuals(zero_images), zero_labels, ks)[0]}
        out.update({f"pce_injected_{s:g}": p for s, p in curve})
        ctx.log(f"fingerprint power ({how}): " + ", ".join(f"strength {s:g}: PCE {p:.0f}" for s, p in curve))
        return out

    def _other(self, ctx, name, params, test, sets) -> str:
        """The negative control: another device, or (for a real folder with no second camera) the
        held-out crops rotated 180 degrees, which puts every pixel on another sensor position."""
        if self.other_source:
            oname, oparams = resolve_source(ctx, self.other_source, None, mode="crops", size=params.get("size"),
                                            positions=params.get("positions"))
        else:
            other = other_device_params(name, params)
            oname, oparams = other if other else (None, None)
        if oname is not None:
            other_set = ctx.load_source(oname, oparams, "test")
            sets["other"] = (other_set.images, other_set.labels)
            return f"another device ({oname}, {len(other_set)} crops)"
        sets["other"] = (torch.flip(test.images, dims=(-2, -1)), test.labels)
        return "held-out crops rotated 180 degrees (misaligned with the sensor; no second camera given)"

    _gen_mode: str | None = None

    def power_note(self, m: dict[str, float]) -> str:
        s = m.get("power_min_strength")
        if s is None:
            return ""
        n = int(m["n_gen"])
        if s != s:  # nan
            return (f"Power: even {STRENGTHS[-1]:g}x the camera's PRNU was not detected with {n} samples of this "
                    "size; a NO here says nothing. ")
        return (f"Power: with {n} samples of this size the test detects {100 * s:.0f}% of the camera's PRNU or more; "
                f"a NO here means less than {100 * s:.0f}% of it. ")

    def verdict(self, m: dict[str, float], other_desc: str) -> str:
        t = self.threshold
        facts = (f"pooled PCE: samples {m['pce_gen_pooled']:.1f} (novel {m['pce_novel_pooled']:.1f}, near-copies "
                 f"{m['pce_copies_pooled']:.1f}), held-out real photos {m['pce_real_pooled']:.1f}, "
                 f"negative control {m['pce_other_pooled']:.1f} [{other_desc}]; per-image median PCE: samples "
                 f"{m['pce_gen_median']:.1f}, real {m['pce_real_median']:.1f}, control {m['pce_other_median']:.1f}; "
                 f"near-copies of training crops {100 * m['near_copy_frac']:.0f}% ({self.copy_views(m)}); JPEG grid {m['jpeg_grid_gen']:.2f} "
                 f"vs real {m['jpeg_grid_real']:.2f}; CFA peak {m['cfa_peak_gen']:.2f} vs real {m['cfa_peak_real']:.2f}; "
                 f"threshold {t:g}")
        power = self.power_note(m)
        if not m["controls_ok"]:
            return ("INCONCLUSIVE: the controls failed (held-out real photos should exceed the threshold and the "
                    "negative control stay below), so the fingerprint estimate cannot be trusted; use more photos "
                    "or larger crops. " + power + facts)
        if m["fingerprint_on_novel"]:
            return ("YES: the samples carry this camera's sensor fingerprint (PRNU) on new content (the samples "
                    "that are not near-copies of training crops carry it). " + power + facts)
        if m["carries_fingerprint"]:
            return (f"YES, BUT ONLY THROUGH COPIES: the fingerprint is there because {100 * m['near_copy_frac']:.0f}% "
                    "of the samples are near-copies of GAN-training crops; the novel samples do not carry it. "
                    "That is memorisation, not a learned sensor. " + power + facts)
        note = ""
        if self._gen_mode == "resize":
            note = ("(expected: the generator was trained on downscaled whole frames, which destroys the "
                    "pixel-aligned fingerprint; fit it with mode=crops to ask the question) ")
        if m["near_copy_frac"] >= 0.5:
            note += (f"({100 * m['near_copy_frac']:.0f}% of the samples are near-copies of GAN-training crops: "
                     "memorised content that did not keep the sensor pixels it was taken on) ")
        return "NO: the samples do not carry this camera's sensor fingerprint (PRNU). " + note + power + facts

    @staticmethod
    def copy_views(m: dict[str, float]) -> str:
        """'pixels 100%, lowpass 100%, features 98%': the near-copy fraction each view found."""
        views = [k[len("near_copy_frac_"):] for k in m if k.startswith("near_copy_frac_")]
        return ", ".join(f"{v} {100 * m['near_copy_frac_' + v]:.0f}%" for v in views)


@hookimpl
def seebench_register_evaluators():
    metrics = {"carries_fingerprint": {"higher_is_better": True, "unit": "flag"},
               "fingerprint_on_novel": {"higher_is_better": True, "unit": "flag"},
               "near_copy_frac": {"higher_is_better": False, "unit": "fraction"},  # any view
               "near_copy_frac_pixels": {"higher_is_better": False, "unit": "fraction"},
               "near_copy_frac_lowpass": {"higher_is_better": False, "unit": "fraction"},
               "near_copy_frac_features": {"higher_is_better": False, "unit": "fraction"},
               "power_min_strength": {"higher_is_better": False, "unit": "x PRNU"},  # beside every verdict
               "pce_gen_pooled": {"higher_is_better": True, "unit": ""},
               "pce_novel_pooled": {"higher_is_better": True, "unit": ""},
               "pce_real_pooled": {"higher_is_better": True, "unit": ""},
               "spectrum_distance": {"higher_is_better": False, "unit": "log10"}}
    return [
        Component(
            kind=EVALUATOR, name="fingerprint", factory=Fingerprint,
            description="sensor fingerprint: PRNU PCE/NCC of samples vs the camera's K, controls, residual spectra, JPEG/CFA traces",
            params=PARAMS,
            uses=("data",),
            metadata={"table": "camera", "metrics": metrics},
            version="3",  # 2: K from the reference split, near-copies, power; 3: near-copies in encoder features too
        )
    ]


@hookimpl
def seebench_register_generators():
    return control_components()
