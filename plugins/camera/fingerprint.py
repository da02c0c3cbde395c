"""Evaluator `fingerprint`: do a generator's samples carry the camera's PRNU, JPEG and CFA traces?"""

from __future__ import annotations

import time

import numpy as np
import torch

from harness import EVALUATOR, Component, Param, hookimpl

from . import prnu, spectra
from .samples import real_source, samples_of
from .source_spec import other_device_params, resolve_source


def fingerprints_by_position(grey: np.ndarray, resid: np.ndarray, labels: torch.Tensor | None) -> list[np.ndarray]:
    """K per sensor position (the crops' labels), or one K when the images carry no positions."""
    if labels is None:
        return [prnu.estimate_fingerprint(grey, resid)]
    lab = labels.numpy()
    return [prnu.estimate_fingerprint(grey[lab == p], resid[lab == p]) for p in range(int(lab.max()) + 1)]


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


def pooled(grey, resid, ks) -> tuple[float, float]:
    """PCE, NCC of the fingerprint estimated from a whole set (positions mixed) against the best K."""
    k_set = prnu.estimate_fingerprint(grey, resid)
    scores = [prnu.pce_between(k_set, k) for k in ks]
    return max(scores, key=lambda s: s[0])


class Fingerprint:
    def __init__(self, source: str = "", source_params: dict | None = None, samples: int = 0, crop_size: int = 0,
                 positions: int = 0, other_source: str = "", threshold: float = 60.0):
        self.source, self.source_params, self.samples = source, source_params, samples
        self.crop_size, self.positions, self.other_source, self.threshold = crop_size, positions, other_source, threshold

    def evaluate(self, ctx) -> dict[str, float]:
        t0 = time.perf_counter()
        gen = ctx.data_component()
        self._gen_mode = getattr(gen, "mode", None)
        size = self.crop_size or getattr(gen, "resolution", None) or ctx.budget.image_size
        force = {"mode": "crops", "size": size}
        if self.positions:
            force["positions"] = self.positions
        name, params = real_source(ctx, gen, self.source, self.source_params, **force)
        train = ctx.load_source(name, params, "train")
        test = ctx.load_source(name, params, "test")
        ctx.log(f"fingerprint: K from {len(train)} crops ({size}px) of {name}, {len(test)} held-out crops")
        g_tr, r_tr = prnu.residuals(train.images)
        ks = fingerprints_by_position(g_tr, r_tr, train.labels)
        del g_tr, r_tr
        n = self.samples or max(64, len(test))
        fake = samples_of(ctx, n, size)
        if fake.shape[-1] != size or fake.shape[-2] != size:
            raise ValueError(f"fingerprint: samples are {tuple(fake.shape[-2:])}, crops are {size}px; set crop_size")
        sets = {"real": (test.images, test.labels), "gen": (fake, None)}
        other_desc = self._other(ctx, name, params, test, sets)
        out: dict[str, float] = {}
        powers = {}
        for key, (images, labels) in sets.items():
            grey, resid = prnu.residuals(images)
            pce, ncc = per_image(grey, resid, labels, ks)
            out[f"pce_{key}_median"] = float(np.median(pce))
            out[f"ncc_{key}_median"] = float(np.median(ncc))
            out[f"pce_{key}_frac_above"] = float(np.mean(pce > self.threshold))
            out[f"pce_{key}_pooled"], out[f"ncc_{key}_pooled"] = pooled(grey, resid, ks)
            powers[key] = spectra.mean_power_spectrum(resid)
        g_tr, r_tr = prnu.residuals(train.images[: max(len(test.images), 64)])
        powers["train"] = spectra.mean_power_spectrum(r_tr)
        az = {k: spectra.azimuthal_average(p) for k, p in powers.items()}
        out["spectrum_distance"] = spectra.spectrum_distance(az["real"], az["gen"])
        out["spectrum_distance_real"] = spectra.spectrum_distance(az["real"], az["train"])
        for key in ("real", "gen"):
            out[f"jpeg_grid_{key}"] = spectra.jpeg_grid_energy(powers[key])
            out[f"cfa_peak_{key}"] = spectra.cfa_peak(powers[key])
        t = self.threshold
        controls_ok = out["pce_real_pooled"] > t and out["pce_other_pooled"] < t
        carries = controls_ok and out["pce_gen_pooled"] > t
        out["controls_ok"] = float(controls_ok)
        out["carries_fingerprint"] = float(carries)
        out["n_train"], out["n_real"], out["n_gen"] = float(len(train)), float(len(test)), float(len(fake))
        out["seconds"] = time.perf_counter() - t0
        verdict = self.verdict(out, other_desc)
        ctx.log(f"fingerprint: {verdict}")
        path = ctx.cache_path("fingerprint", {"cell": ctx.cell.key}, ".txt")
        path.write_text(verdict + "\n" + "\n".join(f"{k} = {v:.6g}" for k, v in out.items()) + "\n")
        self.last_verdict = verdict
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

    def verdict(self, m: dict[str, float], other_desc: str) -> str:
        t = self.threshold
        facts = (f"pooled PCE: samples {m['pce_gen_pooled']:.1f}, held-out real photos {m['pce_real_pooled']:.1f}, "
                 f"negative control {m['pce_other_pooled']:.1f} [{other_desc}]; per-image median PCE: samples "
                 f"{m['pce_gen_median']:.1f}, real {m['pce_real_median']:.1f}, control {m['pce_other_median']:.1f}; "
                 f"JPEG grid {m['jpeg_grid_gen']:.2f} vs real {m['jpeg_grid_real']:.2f}; CFA peak "
                 f"{m['cfa_peak_gen']:.2f} vs real {m['cfa_peak_real']:.2f}; threshold {t:g}")
        if not m["controls_ok"]:
            return ("INCONCLUSIVE: the controls failed (held-out real photos should exceed the threshold and the "
                    "negative control stay below), so the fingerprint estimate cannot be trusted; use more photos "
                    "or larger crops. " + facts)
        if m["carries_fingerprint"]:
            return "YES: the samples carry this camera's sensor fingerprint (PRNU). " + facts
        note = ""
        if self._gen_mode == "resize":
            note = ("(expected: the generator was trained on downscaled whole frames, which destroys the "
                    "pixel-aligned fingerprint; fit it with mode=crops to ask the question) ")
        return "NO: the samples do not carry this camera's sensor fingerprint (PRNU). " + note + facts


@hookimpl
def seebench_register_evaluators():
    metrics = {"pce_gen_pooled": {"higher_is_better": True, "unit": ""},
               "pce_gen_median": {"higher_is_better": True, "unit": ""},
               "carries_fingerprint": {"higher_is_better": True, "unit": "flag"},
               "spectrum_distance": {"higher_is_better": False, "unit": "log10"}}
    return [
        Component(
            kind=EVALUATOR, name="fingerprint", factory=Fingerprint,
            description="sensor fingerprint: PRNU PCE/NCC of samples vs the camera's K, controls, residual spectra, JPEG/CFA traces",
            params=(
                Param("source", "", "the camera's photos, a spec string (empty: the source the generator was fitted on)"),
                Param("source_params", None, "extra parameters of that source", type=dict),
                Param("samples", 0, "generated samples (0: as many as held-out crops, at least 64)", minimum=0),
                Param("crop_size", 0, "native crop side in px (0: the generator's resolution)", minimum=0),
                Param("positions", 0, "sensor positions per photo (0: the source's default)", minimum=0),
                Param("other_source", "", "a second camera for the negative control (empty: camera-sim's next device, "
                      "or held-out crops rotated 180 degrees)"),
                Param("threshold", 60.0, "PCE above which a match is declared (60 is the usual camera-ID threshold)", minimum=0.0),
            ),
            uses=("data",),
            metadata={"table": "camera", "metrics": metrics},
        )
    ]
