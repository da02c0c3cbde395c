"""The public API's definitions: components and parameters, hook specs, errors, images, budgets."""
