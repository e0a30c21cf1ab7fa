"""Floor plans shipped with hyosan (``<name>.txt``); see :mod:`hyosan.world.map` for the format."""
