"""Real labelled sources for probing and real-data baselines: digits, image folders, torchvision datasets."""
