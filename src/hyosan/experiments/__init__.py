"""Many engine runs at once: comparisons on common random numbers and sweeps."""
