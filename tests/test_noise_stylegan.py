"""Untrained StyleGANs: orientation, frequency content, natural statistics, determinism, errors."""

import hashlib

import numpy as np
import pytest
import torch

from harness import ConfigError
from seebench_plugins.noise.pink_noise import pink_noise
from seebench_plugins.noise.stylegan import StyleGANNoise

VARIANTS = ["random", "highfreq", "sparse", "oriented"]
# Indices spread over 12 networks (one per 400 images), so statistics are not one network's.
SPREAD = list(range(0, 4800, 200))


def gray_power(img: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Hann-windowed power spectrum of the grey image, with |f| and orientation (0..pi) per bin."""
    g = img.double().mean(0)
    g = g - g.mean()
    n = g.shape[0]
    win = torch.hann_window(n, dtype=torch.float64)
    power = torch.fft.fft2(g * win[:, None] * win[None]).abs() ** 2
    f = torch.fft.fftfreq(n, dtype=torch.float64)
    fy, fx = torch.meshgrid(f, f, indexing="ij")
    return power, (fx**2 + fy**2).sqrt(), torch.atan2(fy, fx) % np.pi


def anisotropy(img: torch.Tensor, bins: int = 16) -> float:
    """Spectral energy in the dominant orientation bin over the orthogonal bin (1 = isotropic).

    Energy at |f| in [3/n, 0.5] cycles/px is histogrammed over 16 orientation bins of 11.25°."""
    power, radius, theta = gray_power(img)
    band = (radius >= 3 / img.shape[-1]) & (radius <= 0.5)
    which = (theta[band] / np.pi * bins).long().clamp(max=bins - 1)
    hist = torch.zeros(bins, dtype=torch.float64).index_add_(0, which, power[band])
    k = int(hist.argmax())
    return float(hist[k] / hist[(k + bins // 2) % bins])


def high_frequency_fraction(img: torch.Tensor) -> float:
    """Share of the spectral energy above 1/8 cycle per pixel."""
    power, radius, _ = gray_power(img)
    return float(power[radius > 0.125].sum() / power.sum())


@pytest.fixture(scope="module")
def samples():
    return {v: StyleGANNoise(v).generate(SPREAD, 0, 128) for v in ["random", "highfreq", "oriented"]}


def test_registered_with_paper_numbers(registry):
    expected = {"stylegan-random": 34.0, "stylegan-sparse": 42.0, "stylegan-highfreq": 42.1,
                "stylegan-oriented": 43.4}
    for name, number in expected.items():
        comp = registry.get("generator", name)
        assert comp.metadata["reference"]["imagenet100-top1"] == number
        assert comp.metadata["role"] == "synthetic" and comp.tags == ("stylegan",)
        img = comp.build({}).generate([0], 0, 32)
        assert img.dtype == torch.uint8 and img.shape == (1, 3, 32, 32)


def test_oriented_is_anisotropic_random_is_not(samples):
    oriented = np.array([anisotropy(x) for x in samples["oriented"]])
    random = np.array([anisotropy(x) for x in samples["random"]])
    # Geometric means measured: oriented ~13, random ~2.3 (isotropic noise is not exactly 1).
    assert np.exp(np.log(oriented).mean()) > 6.0
    assert np.exp(np.log(random).mean()) < 3.5
    assert (oriented > 4.0).mean() >= 0.6  # measured ~0.8
    assert (random > 4.0).mean() <= 0.25


def test_highfreq_has_more_high_frequency_energy(samples):
    hf = np.mean([high_frequency_fraction(x) for x in samples["highfreq"]])
    rnd = np.mean([high_frequency_fraction(x) for x in samples["random"]])
    assert hf > 2.0 * rnd, (hf, rnd)  # measured ~0.35 vs ~0.11


@pytest.mark.parametrize("variant", ["random", "highfreq", "oriented"])
def test_channels_have_natural_image_statistics(samples, variant):
    x = samples[variant].double() / 255
    mean = x.mean(dim=(2, 3)).mean(0)
    std = x.std(dim=(2, 3)).mean(0)
    assert torch.allclose(mean, torch.tensor([0.485, 0.456, 0.406], dtype=torch.float64), atol=0.015)
    # Clipping to [0, 255] trims the tails a little, so std sits just under the target.
    assert torch.allclose(std, torch.tensor([0.229, 0.224, 0.225], dtype=torch.float64), atol=0.025)


def test_pink_noise_has_the_drawn_slope():
    rng = np.random.default_rng(0)
    for alpha in (0.5, 1.0, 1.5):
        maps = [pink_noise(rng, 128, alpha) for _ in range(4)]
        power = np.mean([np.abs(np.fft.fft2(m)) ** 2 for m in maps], axis=0)
        f = np.sqrt(np.fft.fftfreq(128)[:, None] ** 2 + np.fft.fftfreq(128)[None] ** 2)
        keep = (f > 0.02) & (f < 0.4)
        slope = np.polyfit(np.log(f[keep]), np.log(power[keep]), 1)[0]
        assert abs(-slope / 2 - alpha) < 0.1, (alpha, slope)


# Pinned on the development machine (x86-64, torch 2.x CPU). Float convolution kernels are chosen
# per CPU instruction set, so another CPU family may give other bytes; same machine, same bytes.
GOLDEN = {
    "random": ("324f82aa16af9d3baf65c228d6c034abb06a496a66503d23a409333e1de8fb1c",
               "88b84f48774b6fd37c0452ecd1d2171c9217f56dca9f3e22d095a1653b45d71e"),
    "highfreq": ("85390c493c2653090ef5e865afccaa525e4f66e2a8ab8c1754b879729c48297d",
                 "44993b896bde015830132baf188ed566473dd1f7b7c918b1bbf839a937096155"),
    "sparse": ("edd456d069868dc90f9d347c8d8690df653f0ad9ed4ca032f23a93f5bfb37ffa",
               "637767b8f405e05605f6c8d3250ae4cac1f96c3ac1f7d66500db35cc19ccf40b"),
    "oriented": ("2b040cc0f99da870435d2d821676c7512b25d042f0fce2faed8e1385580b3fca",
                 "807d737a8bbce489b3f7ee13b7624e1035013b0c5e7e0c944cb189ee5638edd6"),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_golden_sha256(variant):
    images = StyleGANNoise(variant, device="cpu").generate([0, 401], 7, 64)  # CPU bytes ('auto' may be a GPU)
    digests = tuple(hashlib.sha256(img.numpy().tobytes()).hexdigest() for img in images)
    assert digests == GOLDEN[variant]


@pytest.mark.parametrize("variant", VARIANTS)
def test_bytes_independent_of_batch_order_and_threads(variant):
    wanted = [3, 401, 0, 399]
    together = StyleGANNoise(variant, device="cpu").generate(wanted, 5, 40)
    gen = StyleGANNoise(variant, device="cpu")
    alone = {i: gen.generate([i], 5, 40)[0] for i in reversed(wanted)}
    assert all(torch.equal(together[k], alone[i]) for k, i in enumerate(wanted))
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        caller_threads = StyleGANNoise(variant, threads=0, device="cpu").generate([401], 5, 40)
    finally:
        torch.set_num_threads(before)
    assert torch.equal(together[1], caller_threads[0])
    assert not torch.equal(together[0], together[1])


def test_device_auto_is_the_cpu_here_with_the_same_bytes():
    if torch.cuda.is_available():
        pytest.skip("a GPU is present: 'auto' uses it")
    auto = StyleGANNoise("sparse")  # the default device is 'auto'
    assert auto.device.type == "cpu" and not auto.batched
    assert torch.equal(auto.generate([0, 401], 7, 64), StyleGANNoise("sparse", device="cpu").generate([0, 401], 7, 64))
    with pytest.raises(ValueError, match="'device' is 'cuda' but torch sees no CUDA GPU"):
        StyleGANNoise("random", device="cuda")


@pytest.mark.parametrize("variant", VARIANTS)
def test_batched_device_path_matches_the_one_image_path(variant):
    """The GPU path (images of one network as one batch of grouped convolutions), run on the CPU:
    the same images up to float rounding, in request order, across network blocks and sizes."""
    wanted = [3, 401, 0, 399, 5]
    one_by_one = StyleGANNoise(variant, device="cpu").generate(wanted, 5, 48)
    gen = StyleGANNoise(variant, device="cpu", gpu_batch=2)
    gen.batched = True
    batched = gen.generate(wanted, 5, 48)
    diff = (batched.int() - one_by_one.int()).abs()
    assert diff.max() <= 2 and diff.float().mean() < 0.05, (int(diff.max()), float(diff.float().mean()))


def test_network_is_reinitialised_every_block():
    default = StyleGANNoise("random").generate([0, 1, 2], 0, 32)
    every_image = StyleGANNoise("random", reinit_every=1).generate([0, 1, 2], 0, 32)
    assert torch.equal(default[0], every_image[0])  # both use network (0, 0)
    assert not torch.equal(default[1], every_image[1])
    gen = StyleGANNoise("random")
    assert gen.network(0, 0, 32) is gen.network(0, 399 // 400, 32)
    assert not np.array_equal(gen.network(0, 0, 32).const, gen.network(0, 1, 32).const)
    assert not torch.equal(gen.generate([0], 0, 32), gen.generate([0], 1, 32))  # the seed matters


@pytest.mark.parametrize("size", [32, 100, 256])
def test_any_size(size):
    img = StyleGANNoise("oriented").generate([0], 0, size)
    assert img.shape == (1, 3, size, size) and img.float().std() > 20


def test_bad_parameters_get_one_line_errors(registry):
    gen = StyleGANNoise("random")
    for size in (-4, 0, 4096, 64.0):
        with pytest.raises(ValueError, match="'size'"):
            gen.generate([0], 0, size)
    for indices in ([-1], [1.5]):
        with pytest.raises(ValueError, match="'indices'"):
            gen.generate(indices, 0, 32)
    # integer-like values from numpy / torch are fine (the harness passes tensors of indices)
    assert torch.equal(gen.generate(torch.arange(2), np.int64(0), np.int64(32)), gen.generate([0, 1], 0, 32))
    with pytest.raises(ValueError, match="'variant'"):
        StyleGANNoise("wobbly")
    with pytest.raises(ValueError, match="'density'"):
        StyleGANNoise("sparse", density=0.0)
    comp = registry.get("generator", "stylegan-sparse")
    with pytest.raises(ConfigError, match="'densty'.*did you mean 'density'") as err:
        comp.build({"densty": 0.2})
    assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="'width'"):
        comp.build({"width": 4})
    with pytest.raises(ConfigError, match="'fan_in'"):
        registry.get("generator", "stylegan-random").build({"fan_in": 3})


def test_variant_weights_have_their_structure():
    """sparse: ~density of channel connections; oriented: fan_in inputs per output, Gabor filters
    near one dominant orientation; highfreq: filters without DC response."""
    from seebench_plugins.noise.stylegan_weights import draw_network, gabor_bank

    sparse = draw_network("sparse", 0, 0, 64, 32, density=0.1)
    kept = np.mean([np.mean(np.abs(c.weight).sum(axis=(2, 3)) > 0) for c in sparse.convs[1:]])
    assert 0.07 < kept < 0.15, kept
    dense = draw_network("random", 0, 0, 64, 32)
    assert all(np.all(np.abs(c.weight).sum(axis=(2, 3)) > 0) for c in dense.convs)

    oriented = draw_network("oriented", 0, 0, 64, 32, fan_in=2)
    bank = gabor_bank(8).reshape(8, 4, 9)
    orientations = []
    for conv in oriented.convs:
        links = np.abs(conv.weight).sum(axis=(2, 3)) > 0
        assert np.all(links.sum(axis=1) == 2)
        for o, i in zip(*np.nonzero(links)):
            f = conv.weight[o, i].reshape(9).astype(np.float64)
            f = f / np.linalg.norm(f)
            match = np.abs(bank @ f).max(axis=1)  # |cosine| with each orientation's filters
            assert match.max() > 0.999
            orientations.append(int(match.argmax()))
    counts = np.bincount(orientations, minlength=8)
    assert np.sort(counts)[-3:].sum() == len(orientations)  # three neighbouring orientations only

    highfreq = draw_network("highfreq", 0, 0, 64, 32)
    assert all(np.abs(c.weight.sum(axis=(2, 3))).max() < 1e-5 for c in highfreq.convs)
