"""Built-in generators: white noise, the paper's noise families (noise/), the DCGAN and the camera controls."""
