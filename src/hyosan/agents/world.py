"""The spatial world of the agent engine: floor plans, zones, doors and distance fields."""

from hyosan.agents.fields import distance_field, next_cells
from hyosan.agents.floorplan import DOOR, EXIT, FLOOR, WALL, FloorPlan, load_map, load_png, parse_map

__all__ = [
    "DOOR",
    "EXIT",
    "FLOOR",
    "WALL",
    "FloorPlan",
    "distance_field",
    "load_map",
    "load_png",
    "next_cells",
    "parse_map",
]
