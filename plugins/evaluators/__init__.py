"""Built-in evaluators: linear probe and kNN on real labelled data; KID/FD, precision-recall, sensor fingerprint."""
