"""The camera track: photo sources, a simulated camera, DCGAN, and generator metrics (issue 5)."""
