"""Shipped data: library models, scenarios and floor plans."""
