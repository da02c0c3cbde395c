"""Encoders of the representation track beyond timm: the paper's small AlexNet and no-training baselines."""
