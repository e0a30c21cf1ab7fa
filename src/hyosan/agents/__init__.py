"""The agent world: scenario schema, floor plans, distance fields, population, screening."""
