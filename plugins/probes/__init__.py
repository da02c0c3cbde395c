"""Evaluators that train a classifier on frozen features of a real labelled source."""
