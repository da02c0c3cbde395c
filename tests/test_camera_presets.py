"""Camera track: the camera-full preset expands to trained, tracked GANs beside the control generators."""

from __future__ import annotations

from seebench.matrix.config import load_matrix


def test_camera_full_has_both_modes_tracked_by_kid_and_the_controls(registry):
    matrix = load_matrix("camera-full", registry)
    by_row = {}
    for cell in matrix.cells:
        by_row.setdefault(cell.row, []).append(cell)
    assert set(by_row) == {"dcgan-resize", "dcgan-crops", "control: replay", "control: replay blurred",
                           "control: prnu-inject"}
    for row in ("dcgan-resize", "dcgan-crops"):
        p = by_row[row][0].data.params
        assert p["kid_every"] > 0 and p["patience"] > 0 and p["images"] >= 50_000  # trained to a KID plateau
    assert by_row["dcgan-crops"][0].data.params["conditional"] is True
    assert by_row["dcgan-resize"][0].data.params["mode"] == "resize"
    assert by_row["control: replay blurred"][0].data.params["blur"] == 5
    evaluators = {c.evaluator.name for c in matrix.cells}
    assert evaluators == {"kid", "fd", "precision-recall", "fingerprint"}
    assert len(matrix.cells) == 5 * 4
