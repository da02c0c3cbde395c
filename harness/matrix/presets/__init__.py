"""Matrix presets shipped with seebench (`seebench run NAME`)."""
