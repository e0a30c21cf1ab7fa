"""The Python model builder: the same validated Model as the YAML, errors naming the builder call."""

from __future__ import annotations

import math

import numpy as np
import pytest

import hyosan
from hyosan import Model, ModelBuilder
from hyosan.errors import ModelError


def sir_builder() -> ModelBuilder:
    return (
        Model.build("sir")
        .compartments(S="susceptible", I="infectious", R="recovered")
        .parameter("beta", 0.3, "1/day", "transmission rate (contacts × infection probability)")
        .parameter("gamma", 0.1, "1/day", "recovery rate (1 / infectious period)")
        .transition("S + I -> 2 I", rate="beta*S*I/N", name="infection")
        .transition("I -> R", rate="gamma*I", name="recovery")
        .initial(S=990, I=10)
        .infected("I")
        .defaults(t_end=160, every=0.5)
    )


def test_builder_equals_the_yaml_model() -> None:
    built, loaded = sir_builder().model(), hyosan.load("sir")
    assert built.digest() == loaded.digest()
    assert built.transitions == loaded.transitions and built.parameters == loaded.parameters
    np.testing.assert_array_equal(built.stoichiometry, loaded.stoichiometry)
    assert (built.compartments, built.initial, built.infected) == (loaded.compartments, loaded.initial, loaded.infected)
    a = built.run(engine="ode", t_end=40, every=1)
    b = loaded.run(engine="ode", t_end=40, every=1)
    assert a["I"].equals(b["I"]) and a["R"].equals(b["R"])


def test_built_sir_follows_the_final_size_relation() -> None:
    # The ODE's final size z solves z = 1 - s0*exp(-R0*(z - r0)) (R0 = beta/gamma, s0 = S(0)/N): a closed
    # form, checked here to the ODE's tolerance, so the builder's model means what it says.
    model = (
        ModelBuilder("sir")
        .compartments("S", "I", "R")
        .parameters(beta=0.3, gamma=0.1)
        .transition("S + I -> 2 I", rate="beta*S*I/N")
        .transition("I -> R", rate="gamma*I")
        .initial(S=990, I=10)
        .model()
    )
    z = 0.5
    for _ in range(200):
        z = 1 - 0.99 * math.exp(-3.0 * z)
    final = model.run(engine="ode", t_end=400, every=400)
    assert float(final["R"][0, -1]) / 1000 == pytest.approx(z, rel=1e-4)


def test_builder_errors_name_the_call() -> None:
    base = Model.build("sir").compartments("S", "I", "R").parameters(beta=0.3, gamma=0.1)
    with pytest.raises(ModelError, match=r"^Model.build\('sir'\).transition\('I -> Q', rate='gamma\*I'\): unknown"):
        base.transition("S + I -> 2 I", rate="beta*S*I/N").transition("I -> Q", rate="gamma*I").model()
    with pytest.raises(ModelError, match=r"^Model.build\('x'\): no transitions; add them with .transition"):
        Model.build("x").compartments("S").model()
    with pytest.raises(ModelError, match=r"\.transition\('S -> I', rate='gamma'\):.*proportional to S"):
        Model.build("y").compartments("S", "I").parameters(gamma=1).transition("S -> I", rate="gamma").model()
    with pytest.raises(ModelError, match=r"\.initial\(S=-1\): a compartment size cannot be negative"):
        Model.build("z").compartments("S").transition("S -> 0", rate="S").initial(S=-1).model()


def test_to_dict_round_trips_through_from_dict() -> None:
    builder = sir_builder()
    assert Model.from_dict(builder.to_dict(), source="sir.yaml").digest() == builder.model().digest()
