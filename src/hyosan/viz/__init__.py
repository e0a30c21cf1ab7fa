"""Pictures of results: plots, animations, scenario reports."""
