"""Built-in plugins that only observe a run through lifecycle hooks (TensorBoard curves)."""
