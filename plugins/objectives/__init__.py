"""Pretraining objectives (align-uniform, moco-v2, simclr) and the training loop they share."""
