"""The README's worked example (a map and a scenario) loads and runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

import hyosan

README = Path(__file__).resolve().parents[1] / "README.md"


def examples() -> dict[str, str]:
    """The fenced blocks of the README marked ``<!-- example: NAME -->``, by NAME."""
    text = README.read_text(encoding="utf-8")
    found = re.findall(r"<!-- example: (\S+) -->\n```\w*\n(.*?)```", text, flags=re.S)
    return dict(found)


def test_readme_example_runs(tmp_path: Path) -> None:
    blocks = examples()
    assert set(blocks) == {"tiny-school.txt", "tiny-school.yaml"}
    for name, body in blocks.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    sc = hyosan.load(str(tmp_path / "tiny-school.yaml"))
    assert sc.world.shape == (12, 30) and sc.world.scale == 0.5
    assert set(sc.world.zones) == {"class", "store", "lab", "hall"} and sc.world.exits == ["gate"]
    assert sc.n_agents == 26 and (sc.bands.low, sc.bands.high, sc.bands.keep, sc.bands.wait) == (2, 4, 3.0, 20.0)
    ds = sc.run(seed=3)
    counts = np.stack([ds[c].values[0] for c in ("S", "E", "Z", "H", "D", "X")])
    assert np.all(counts.sum(axis=0) == 26)
    assert ds.time.values[-1] == 5.0
    assert counts[2, 0] == 1 and counts[1:, -1].sum() > 0


def test_readme_documents_every_scenario_key() -> None:
    # every key the scenario parser knows (top level, and the fields of its sections) appears in code in the
    # README's "Writing a scenario" section, so a reader need not read the parser
    from hyosan.agents import scenario_crowd, scenario_groups, screening
    from hyosan.agents.interventions import ACTIONS
    from hyosan.agents.scenario_parse import ANIMATION_KEYS, KNOWN
    from hyosan.agents.scenario_siege import MOVES
    from hyosan.agents.scenario_types import HUMAN_BEHAVIOURS, HUMBIE_BEHAVIOURS, INCUBATION, ZOMBIE_BEHAVIOURS
    from hyosan.interventions import TRIGGERS

    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Writing a scenario") :]
    section = section[: section.index("\n## ", 1)]
    spans = " ".join(re.findall(r"`([^`]+)`", section))
    words = set(re.findall(r"[A-Za-z_]+", spans))
    wanted = {
        *KNOWN, *ANIMATION_KEYS, *ACTIONS, *TRIGGERS, *scenario_groups.FIELDS, *scenario_crowd.FIELDS,
        *screening.FIELDS, *MOVES, *scenario_crowd.SPEED_LAWS, *HUMAN_BEHAVIOURS, *ZOMBIE_BEHAVIOURS,
        *HUMBIE_BEHAVIOURS, *INCUBATION, "step", "horizon", "report", "alarm", "starts_at", "start", "until",
        "per_zone",
        "patrol", "contact_radius", "bite_probability", "kill_probability", "humbie_fraction",
        "humbie_bite_probability", "incubation", "sunrise", "sunset", "night_light", "break_rate", "memory",
        "heard_within", "quiet", "moves", "legend", "zones", "scale",
    }  # fmt: skip
    assert not wanted - words, sorted(wanted - words)
