"""The one keyed-RNG and resumable-order helpers give the values every derivation gave before they were merged.

The expected numbers were computed with the code these helpers replaced (noise/keyed_rng.py, noise/base.py's
image_rng, camera/dcgan.py's keyed_seed and data order, camera_sim's _rng, frames' _unit_hash, the objectives
loop's content_seed and step_indices, np.random.default_rng and torch.randperm with a seeded Generator), so
a change here changes published images or training streams and must fail.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seebench import (EpochOrder, content_seed, keyed_generator, keyed_rng, keyed_seed, keyed_unit, permutation,
                      philox_rng, stream_tag, torch_generator)
from seebench_plugins.sources.camera_sim import _rng as camera_rng
from seebench_plugins.generators.dcgan import latents
from seebench_plugins.generators.noise.base import image_rng
from seebench_plugins.objectives.loop import epoch_order


def test_stream_tag_is_crc32_of_the_name():
    assert (stream_tag("featvis/net"), stream_tag("stylegan")) == (1826716215, 3099178826)


def test_keyed_rng_is_pcg64_over_a_seed_sequence_of_the_key():
    assert keyed_rng(stream_tag("a"), 0, 5).integers(2**62) == 1259758383591554231
    assert keyed_rng("a", 0, 5).integers(2**62) == 1259758383591554231  # a string part is its stream_tag
    assert keyed_rng(1, 2, 3, -1).integers(2**62) == 2736283972754641145  # -1 masked to 2**64 - 1
    assert keyed_rng(7).integers(2**62) == 2882744023523087010
    assert keyed_rng(0).integers(2**62) == np.random.default_rng(0).integers(2**62) == 2937467307694268567
    assert keyed_rng(0).permutation(10).tolist() == [4, 6, 2, 7, 3, 5, 9, 0, 8, 1]
    assert keyed_rng(4).integers(2**62) == 4349078656660670931


def test_philox_streams_of_the_noise_families_and_the_camera_simulation():
    assert image_rng(0, 3, "dead-leaves").integers(2**62) == 1972977192581254598
    assert image_rng(5, 0, "fractaldb/chain").integers(2**62) == 1355402420042337979
    with np.errstate(invalid="ignore"):  # numpy casts a key word >= 2**63 through float (as it always did)
        assert image_rng(-1, 2**40, "x").integers(2**62) == 3740290413862426446
    assert camera_rng(0, 3, 1).integers(2**62) == 2244665441223222100
    assert camera_rng(2, 7, 5).integers(2**62) == 4591892140437705641
    assert philox_rng(9, 4).integers(2**62) == philox_rng(9, 4, 0).integers(2**62)
    assert philox_rng(9, 4, 1).integers(2**62) != philox_rng(9, 4, 0).integers(2**62)


def test_hashed_seeds_and_units():
    assert [keyed_seed("dcgan-perm", 0, 3), keyed_seed("dcgan-z", 1, 17), keyed_seed("replay-noise", 2, 5),
            keyed_seed("dcgan-bn", 0)] == [2388256936335531089, 4935633027776648290, 3404046953009566091,
                                           5707617501747685837]
    assert keyed_unit(0, "split", "a/b.jpg") == 0.35922241274558747
    assert keyed_unit(3, "subset", 12) == 0.45602086852614393
    assert [content_seed(0, "epoch", 0), content_seed(1, "epoch", 4), content_seed(2, "heads"),
            content_seed(0, "step", 99)] == [973372345503256554, 802458656117015317, 307890022458440890,
                                             1013028366510715774]


def test_torch_generators():
    assert torch.equal(torch.randn(3, generator=keyed_generator("dcgan-z", 2, 0)),
                       torch.randn(3, generator=torch.Generator().manual_seed(keyed_seed("dcgan-z", 2, 0))))
    assert latents([0, 5], 2, 3).flatten().tolist() == pytest.approx(
        [-0.5042219758033752, 0.10385541617870331, 0.2744670510292053, -1.4762431383132935, 1.734262466430664,
         1.08042311668396], abs=0)
    assert torch.equal(torch.rand(4, generator=torch_generator(5)), torch.rand(4, generator=torch.Generator().manual_seed(5)))
    assert permutation(10, 3).tolist() == [6, 0, 3, 7, 8, 5, 1, 9, 2, 4]


def test_epoch_order_of_the_pretraining_loop_and_of_dcgan():
    loop = epoch_order(3, 7)
    assert [loop.indices(s, 5).tolist() for s in (0, 1, 2, 9)] == [
        [6, 3, 0, 2, 4], [1, 5, 3, 1, 2], [5, 0, 6, 4, 3], [6, 5, 1, 0, 0]]
    assert epoch_order(0, 9).indices(10, 4).tolist() == [0, 1, 4, 3]
    dcgan = EpochOrder(7, lambda epoch: keyed_seed("dcgan-perm", 3, epoch))
    assert [dcgan.indices(s, 5).tolist() for s in (0, 1, 2, 9)] == [
        [5, 6, 4, 0, 2], [3, 1, 2, 0, 3], [6, 5, 4, 1, 6], [2, 1, 0, 4, 0]]


def test_a_resumed_order_continues_exactly():
    straight = EpochOrder(5, lambda epoch: 100 + epoch)
    whole = torch.cat([straight.indices(s, 3) for s in range(8)])
    resumed = EpochOrder(5, lambda epoch: 100 + epoch)
    assert torch.equal(torch.cat([resumed.indices(s, 3) for s in range(4, 8)]), whole[12:])
    assert sorted(whole[:5].tolist()) == list(range(5))  # each epoch is a permutation
    assert torch.equal(whole[:5], permutation(5, 100)) and torch.equal(whole[5:10], permutation(5, 101))


def test_an_empty_order_is_refused():
    with pytest.raises(ValueError, match="n=0"):
        EpochOrder(0, lambda epoch: epoch)
