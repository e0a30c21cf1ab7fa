"""Writing a model in Python, one call per part, in the spirit of epipack::

    sir = (
        Model.build("sir")
        .compartments(S="susceptible", I="infectious", R="recovered")
        .parameters(beta=0.3, gamma=0.1)
        .transition("S + I -> 2 I", rate="beta*S*I/N", name="infection")
        .transition("I -> R", rate="gamma*I")
        .initial(S=990, I=10)
        .model()
    )

The builder only collects the same mapping a YAML file holds and hands it to
:meth:`Model.from_dict`, so a built model is validated exactly like a loaded one; an error names
the builder call that caused it (``.transition('I -> Q', rate='gamma*I'): unknown compartment 'Q' ...``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hyosan.errors import ModelError

if TYPE_CHECKING:
    from hyosan.compartmental.model import Model

_NAMED = re.compile(r"^<builder [^>]*>: transition '([^']*)'")
_PLACE = re.compile(r"^<builder [^>]*> \(([A-Za-z_]+)(?:\[(\d+)\])?(?:\.([^)]*))?\)(?::\d+)?: ")


class ModelBuilder:
    """Collects a model part by part; :meth:`model` validates and returns the :class:`Model`."""

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ModelError(f"Model.build({name!r}): a model's name is non-empty text, e.g. Model.build('sir')")
        self.name = name
        self._data: dict[str, Any] = {"name": name}
        self._calls: dict[tuple[str, int | None], str] = {}

    def _note(self, key: str, index: int | None, call: str) -> None:
        self._calls[(key, index)] = call

    def _merge(self, key: str, values: Mapping[str, Any], call: str) -> ModelBuilder:
        self._data.setdefault(key, {}).update(values)
        self._note(key, None, call)
        return self

    def compartments(self, *names: str, **meanings: str) -> ModelBuilder:
        """Compartments in order: names (``"S", "I"``) and/or names with meanings (``S="susceptible"``)."""
        current = self._data.setdefault("compartments", {})
        for n in names:
            current[n] = current.get(n, "")
        current.update(meanings)
        self._note("compartments", None, f".compartments({_args(names, meanings)})")
        return self

    def parameters(self, **values: float) -> ModelBuilder:
        """Parameter values (rates per day), e.g. ``.parameters(beta=0.3, gamma=0.1)``."""
        return self._merge("parameters", values, f".parameters({_args((), values)})")

    def parameter(self, name: str, value: float, unit: str = "", meaning: str = "") -> ModelBuilder:
        """One parameter with its unit and meaning, as ``hyosan show`` prints them."""
        spec = {"value": value, **({"unit": unit} if unit else {}), **({"meaning": meaning} if meaning else {})}
        return self._merge("parameters", {name: spec}, f".parameter({name!r}, {value!r})")

    def initial(self, **sizes: float) -> ModelBuilder:
        """Initial compartment sizes; compartments not named start at 0."""
        return self._merge("initial", sizes, f".initial({_args((), sizes)})")

    def transition(self, reaction: str, rate: str | float, name: str | None = None) -> ModelBuilder:
        """One reaction and its rate, e.g. ``.transition("S + I -> 2 I", rate="beta*S*I/N")``."""
        items = self._data.setdefault("transitions", [])
        items.append({"reaction": reaction, "rate": rate, **({"name": name} if name is not None else {})})
        named = f", name={name!r}" if name is not None else ""
        self._note("transitions", len(items) - 1, f".transition({reaction!r}, rate={rate!r}{named})")
        return self

    def event(self, **spec: Any) -> ModelBuilder:
        """A scheduled event, as in YAML: ``.event(at=[10], set={"Z": "0.5*Z"})``."""
        return self._append("events", spec, f".event({_args((), spec)})")

    def intervention(self, spec: Mapping[str, Any] | Any) -> ModelBuilder:
        """An intervention: a mapping as in YAML, or an object with ``to_dict()``."""
        raw = spec.to_dict() if hasattr(spec, "to_dict") else dict(spec)
        return self._append("interventions", raw, f".intervention({raw!r})")

    def _append(self, key: str, item: Any, call: str) -> ModelBuilder:
        items = self._data.setdefault(key, [])
        items.append(item)
        self._note(key, len(items) - 1, call)
        return self

    def infected(self, *names: str) -> ModelBuilder:
        """The infected compartments, for R0."""
        self._data["infected"] = list(names)
        self._note("infected", None, f".infected({_args(names, {})})")
        return self

    def population(self, *names: str) -> ModelBuilder:
        """The compartments counted in ``N`` (default: all)."""
        self._data["population"] = list(names)
        self._note("population", None, f".population({_args(names, {})})")
        return self

    def describe(self, title: str = "", description: str = "", reference: str = "") -> ModelBuilder:
        """Title, description and reference, as ``hyosan show`` prints them."""
        given = {"title": title, "description": description, "reference": reference}
        self._data |= {k: v for k, v in given.items() if v}
        return self

    def defaults(self, t_end: float | None = None, every: float | None = None) -> ModelBuilder:
        """Default horizon and report interval in days."""
        given = {"t_end": t_end, "every": every}
        return self._merge("defaults", {k: v for k, v in given.items() if v is not None}, f".defaults({given})")

    def to_dict(self) -> dict[str, Any]:
        """The mapping built so far: what a YAML file of this model would hold."""
        import copy

        return copy.deepcopy(self._data)

    def model(self) -> Model:
        """Validate and return the :class:`Model`; an error names the builder call at fault."""
        from hyosan.compartmental.model import Model

        try:
            return Model.from_dict(self._data, source=f"<builder {self.name}>")
        except ModelError as exc:
            raise ModelError(self._place(str(exc))) from None

    build = model

    def _place(self, message: str) -> str:
        """Replace ``<builder NAME> (transitions[1])`` by the call that wrote transition 1."""
        head = f"Model.build({self.name!r})"
        for key, call in (("compartments", ".compartments('S', 'I', 'R')"), ("transitions", ".transition(...)")):
            if message.endswith(f"missing field '{key}'"):
                return f"{head}: no {key}; add them with {call}"
        m = _PLACE.match(message)
        if m is None:
            named = _NAMED.match(message)
            names = [str(t.get("name") or t["reaction"]).strip() for t in self._data.get("transitions", [])]
            if named and named.group(1) in names:
                call = self._calls[("transitions", names.index(named.group(1)))]
                return f"{head}{call}: {message.split(': ', 1)[1]}"
            return message.replace(f"<builder {self.name}>", head)
        key, index = m.group(1), None if m.group(2) is None else int(m.group(2))
        call = self._calls.get((key, index)) or self._calls.get((key, None)) or f" ({key})"
        return f"{head}{call}: {message[m.end() :]}"


def _args(names: tuple[str, ...] | list[str], values: Mapping[str, Any]) -> str:
    return ", ".join([*(repr(n) for n in names), *(f"{k}={v!r}" for k, v in values.items())])
