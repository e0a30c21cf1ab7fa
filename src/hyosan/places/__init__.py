"""Places at country scale: patches (cities or grid cells), their populations and the movement between them."""
