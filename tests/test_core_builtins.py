"""The minimal built-ins on real data: white-noise determinism, Fashion-MNIST files, k-NN accuracy."""

import hashlib

import pytest
import torch

from seebench import DataMissingError, GENERATOR, SOURCE
from seebench.api.budget import Budget
from seebench.matrix.cell import Cell, ComponentRef
from seebench.run.context import CellContext
from seebench import topk_accuracy
from seebench_plugins.evaluators.knn import knn_predict


def test_white_noise_is_deterministic_per_seed_and_index(registry):
    gen = registry.get(GENERATOR, "white-noise").build()
    batch = gen.generate([0, 1, 2, 3], seed=5, size=32)
    assert batch.dtype == torch.uint8 and batch.shape == (4, 3, 32, 32)
    assert torch.equal(gen.generate([2], 5, 32)[0], batch[2])  # batch-independent
    assert torch.equal(gen.generate([3, 0], 5, 32)[1], batch[0])  # order-independent
    assert not torch.equal(gen.generate([0], 6, 32)[0], batch[0])  # seed matters
    assert hashlib.sha256(batch[0].numpy().tobytes()).hexdigest()[:16] == "14ce7e5049c78266"
    mean = batch.float().mean().item()
    assert 120 < mean < 135  # uniform over 0..255


def test_fashion_mnist_reads_the_debian_files(registry):
    src = registry.get(SOURCE, "fashion-mnist").build()
    train, test = src.load("train"), src.load("test")
    assert train.images.shape == (60000, 1, 28, 28) and test.images.shape == (10000, 1, 28, 28)
    assert torch.bincount(test.labels).tolist() == [1000] * 10
    assert train.classes[9] == "Ankle boot"
    small = registry.get(SOURCE, "fashion-mnist").build({"train_size": 500}).load("train")
    assert len(small) == 500 and torch.equal(small.images, registry.get(SOURCE, "fashion-mnist").build(
        {"train_size": 500}).load("train").images)


def test_missing_fashion_mnist_says_how_to_install(registry, tmp_path):
    src = registry.get(SOURCE, "fashion-mnist").build({"root": str(tmp_path)})
    with pytest.raises(DataMissingError, match=r"apt-get install dataset-fashion-mnist"):
        src.load("train")


def test_knn_votes_by_weighted_neighbours():
    train = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    labels = torch.tensor([0, 0, 1, 1])
    test = torch.tensor([[1.0, 0.05], [0.05, 1.0]])
    scores = knn_predict(train, labels, test, num_classes=2, k=3, temperature=0.1)
    assert scores.argmax(1).tolist() == [0, 1]
    assert topk_accuracy(scores, torch.tensor([0, 0]), 1) == 50.0


def test_knn_on_random_init_resnet_beats_chance_on_fashion_mnist(registry, tmp_path):
    ref = lambda kind, name, **p: ComponentRef(kind, name, registry.resolve(kind, name, p)[1], name)  # noqa: E731
    cell = Cell(evaluator=ref("evaluator", "knn", train_size=1000, test_size=300), data=None,
                encoder=ref("encoder", "resnet18"), objective=ref("objective", "none"), seed=0,
                budget=Budget(image_size=16))
    ctx = CellContext(cell, registry, tmp_path)
    metrics = registry.get("evaluator", "knn").factory(**cell.evaluator.params).evaluate(ctx)
    assert metrics["top1"] > 40.0  # chance is 10 %
    assert list((tmp_path / "cache" / "features").glob("*.safetensors"))  # cached by content key


def test_knn_on_a_source_without_size_parameters(registry, tmp_path):
    """train_size/test_size go only to sources that take them: k-NN on scikit-learn's digits works."""
    ref = lambda kind, name, **p: ComponentRef(kind, name, registry.resolve(kind, name, p)[1], name)  # noqa: E731
    cell = Cell(evaluator=ref("evaluator", "knn", source="digits", k=5), data=None,
                encoder=ref("encoder", "raw-pixels"), objective=None, seed=0, budget=Budget(image_size=8))
    ctx = CellContext(cell, registry, tmp_path)
    metrics = registry.get("evaluator", "knn").factory(**cell.evaluator.params).evaluate(ctx)
    assert metrics["top1"] > 80.0  # raw 8x8 pixels separate the digits well; chance is 10 %
