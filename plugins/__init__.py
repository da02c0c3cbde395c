"""seebench's built-in plugins; each module is written as a third-party plugin would be."""
