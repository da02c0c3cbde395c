"""StyleGAN in shuffled order (as pretraining asks): same bytes as in order, each network drawn once."""

from __future__ import annotations

import torch

import seebench_plugins.generators.noise.stylegan as sg


def test_shuffled_batches_give_the_same_bytes_and_draw_each_network_once(monkeypatch):
    drawn = []
    original = sg.draw_network

    def counting(*args, **kw):
        drawn.append(args[:3])
        return original(*args, **kw)

    monkeypatch.setattr(sg, "draw_network", counting)
    n = 48
    in_order = sg.StyleGANNoise("random", reinit_every=4, device="cpu").generate(list(range(n)), 3, 16)
    assert len(drawn) == n // 4
    drawn.clear()
    gen = sg.StyleGANNoise("random", reinit_every=4, device="cpu")
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(0)).tolist()
    for start in range(0, n, 16):
        batch = perm[start:start + 16]
        assert torch.equal(gen.generate(batch, 3, 16), in_order[batch])
    assert sorted(drawn) == sorted(set(drawn)) and len(drawn) == n // 4  # once each, across batches


def test_the_network_cache_is_bounded_in_bytes(monkeypatch):
    gen = sg.StyleGANNoise("random", reinit_every=1, device="cpu")
    one = sg.network_nbytes(gen.network(0, 0, 8))
    monkeypatch.setattr(sg, "NETWORK_CACHE_BYTES", 3 * one)
    for block in range(1, 10):
        gen.network(0, block, 8)
    assert len(gen._networks) == 3 and gen._network_bytes == 3 * one
    assert list(gen._networks) == [(0, 7, 8), (0, 8, 8), (0, 9, 8)]
