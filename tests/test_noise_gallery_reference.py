"""`seebench gallery --reference`: each family's fast images above the same indices from its reference."""

import numpy as np
from PIL import Image

from conftest import seebench
from references import all_references


def test_gallery_draws_fast_and_reference_rows(tmp_path):
    family = "dead-leaves-squares"
    assert family in all_references()
    out = tmp_path / "g.png"
    proc = seebench("gallery", "--reference", "--families", f"{family},white-noise", "--n", "3", "--size", "40",
                    "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "1 families x 3 images at 40 px (each above its reference)" in proc.stdout
    assert "white-noise (no reference in tests/references/)" in proc.stderr
    picture = np.asarray(Image.open(out))
    assert picture.shape[0] >= 2 * 40  # two rows: fast, then reference
    top, bottom = picture[: picture.shape[0] // 2], picture[picture.shape[0] // 2:]
    assert not np.array_equal(top, bottom)  # the reference draws its own images
