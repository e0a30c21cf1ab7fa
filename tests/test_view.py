"""The viewer's server over plain HTTP: loopback only, the token, no path traversal, the run API's one-line
errors (the same as the CLI's), the manifest's bands against the known curves, frames.npz against a second
run of the engine, and the exported page."""

from __future__ import annotations

import http.client
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest

from viewhelp import agent_result, cli_error, court, ensemble_result, ensemble_values, serving


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("view")
    return agent_result(base), ensemble_result(base)


def request(url: str, path: str, method: str = "GET", body: bytes | None = None, headers: dict | None = None):
    port = int(re.search(r":(\d+)/", url).group(1))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers={"Host": f"127.0.0.1:{port}", **(headers or {})})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, dict(r.getheaders()), data


def token_of(url: str) -> str:
    return url.split("token=")[1]


def test_the_server_binds_loopback_and_wants_the_token(folders) -> None:
    with serving(list(folders)) as (server, _, url):
        assert server.server_address[0] == "127.0.0.1"
        tok = token_of(url)
        assert request(url, "/")[0] == 403
        assert request(url, "/api/results")[0] == 403
        assert request(url, "/?token=" + "x" * len(tok))[0] == 403
        assert request(url, "/api/results", headers={"Cookie": "hyosan_token=nope"})[0] == 403
        status, headers, body = request(url, "/?token=" + tok)
        assert status == 200 and b"hyosan view" in body
        assert "HttpOnly" in headers["Set-Cookie"] and tok in headers["Set-Cookie"]
        assert request(url, "/api/results", headers={"Cookie": f"hyosan_token={tok}"})[0] == 200
        assert request(url, "/api/results", headers={"X-Hyosan-Token": tok})[0] == 200
        # another Host (DNS rebinding) is refused even with the token
        port = server.server_address[1]
        assert request(url, "/api/results", headers={"X-Hyosan-Token": tok, "Host": f"evil.example:{port}"})[0] == 403


@pytest.mark.parametrize(
    "path",
    [
        "/../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/..%2f..%2fetc%2fpasswd",
        "/%252e%252e%252fetc%252fpasswd",
        "/api/result/0/picture/..%2f..%2f..%2fetc%2fpasswd",
        "/api/result/0/picture/../../../../etc/passwd",
        "/api/result/0/picture/%2e%2e%2fsummary.json",
        "/api/result/0/picture/events.png",
        "/api/result/0/../../summary.json",
        "/api/result/0/file/result.nc",
        "/api/result/99",
        "/static/../server.py",
        "/app.js/../../server.py",
        "/%2fetc%2fpasswd",
        "//etc/passwd",
    ],
)
def test_traversal_and_unknown_paths_are_404(folders, path: str) -> None:
    with serving(list(folders)) as (_, _, url):
        status, _, body = request(url, path, headers={"X-Hyosan-Token": token_of(url)})
        assert status == 404, path
        assert b"root:" not in body


def test_a_listed_picture_is_served(folders) -> None:
    with serving(list(folders)) as (_, _, url):
        auth = {"X-Hyosan-Token": token_of(url)}
        status, headers, body = request(url, "/api/result/0/picture/plot.png", headers=auth)
        assert status == 200 and headers["Content-Type"] == "image/png" and body[:4] == b"\x89PNG"
        assert body == (folders[0] / "plot.png").read_bytes()


def test_the_manifest_bands_are_the_quantiles_of_the_replicates(folders) -> None:
    """The known curves I_r(t) = (r+1) t, r = 0..8: median 5t, 5% and 95% by numpy's linear rule."""
    with serving(list(folders)) as (_, _, url):
        status, _, body = request(url, "/api/result/1", headers={"X-Hyosan-Token": token_of(url)})
        m = json.loads(body)
    assert status == 200 and m["kind"] == "compartments" and m["replicates"] == 9
    t = np.arange(21.0)
    assert np.allclose(m["series"]["I"]["median"], 5 * t)
    assert np.allclose(m["series"]["I"]["q05"], 1.4 * t)  # position 0.05 * 8 = 0.4 between r=0 and r=1
    assert np.allclose(m["series"]["I"]["q95"], 8.6 * t)
    assert np.allclose(m["series"]["R"]["median"], 100 - 5 * t)
    with serving(list(folders)) as (_, _, url):
        body = request(url, "/api/result/1/lines?c=I", headers={"X-Hyosan-Token": token_of(url)})[2]
    assert np.allclose(json.loads(body)["lines"], ensemble_values()[..., 0])


def test_frames_npz_holds_the_run_at_its_frame_times(folders, tmp_path: Path) -> None:
    """The film's positions and states equal a second run of replicate 0 keeping a frame at every step."""
    from hyosan.agents.scenario import load_scenario
    from hyosan.engines.abm.engine import simulate_once
    from hyosan.view.frames import read_frames

    fr = read_frames(folders[0] / "frames.npz")
    sc = load_scenario(str(court(tmp_path))).with_values({"animation.every": "1s"})
    again = simulate_once(sc, np.random.SeedSequence(3).spawn(1)[0], True)
    by_t = {round(t): (x, y, s) for t, x, y, s in again.frames}
    assert fr["t"].size >= 10 and fr["t"][0] == 0
    for i, t in enumerate(fr["t"]):
        x, y, s = by_t[round(t)]
        assert np.allclose(fr["x"][i], x, atol=1e-4) and np.allclose(fr["y"][i], y, atol=1e-4)
        assert np.array_equal(np.where(fr["state"][i] == 6, 0, fr["state"][i]), s)
    assert fr["meta"]["starts_at"] == 23 * 3600 + 58 * 60 and fr["meta"]["kinds"] == ["student"]
    assert set(fr["meta"]["zones"]) == {"court", "shed"} and fr["cells"].shape == (16, 32, 3)


def post_run(url: str, payload: object) -> tuple[int, dict]:
    body = json.dumps(payload).encode()
    status, _, data = request(
        url, "/api/run", "POST", body, {"X-Hyosan-Token": token_of(url), "Content-Type": "application/json"}
    )
    return status, json.loads(data)


def test_hostile_runs_get_the_same_one_line_errors_as_the_cli(folders, capsys, tmp_path: Path) -> None:
    hostile = "__import__('os').system('true')"
    cases = [
        ({"target": "sir", "values": {"beta": hostile}}, ["sir", "--set", f"beta={hostile}"]),
        ({"target": "sir", "values": {"beta": "-1"}}, ["sir", "--set", "beta=-1"]),
        ({"target": "sir", "values": {"nosuch": "1"}}, ["sir", "--set", "nosuch=1"]),
        ({"target": "sir", "engine": "ssa", "replicates": "0"}, ["sir", "--engine", "ssa", "--replicates", "0"]),
        ({"target": "sirr"}, ["sirr"]),
    ]  # fmt: skip
    with serving(list(folders), tmp_path / "runs") as (_, session, url):
        for payload, argv in cases:
            status, body = post_run(url, payload)
            expected = cli_error("run", *argv, "--out", str(tmp_path / "cli-out"), capsys=capsys)
            assert status == 400 and body["error"] == expected, (payload, body, expected)
            assert "\n" not in body["error"]
        for payload in ([1, 2], {"target": "../../etc/passwd"}, {"target": "sir", "values": [1]}):
            status, body = post_run(url, payload)
            assert status == 400 and body["error"] and "\n" not in body["error"]
        assert session.jobs == {} and not (tmp_path / "cli-out").exists()


def test_runs_from_the_page_go_to_a_dask_cluster_with_the_same_result(folders, tmp_path: Path, scheduler) -> None:
    """sir on ssa, 4 replicates, seed 1, sent to a real Dask cluster in chunks that the job counts as they
    finish: the same counts as run here serially in one chunk."""
    from hyosan.catalog import load
    from hyosan.results import open_result
    from hyosan.simulate import simulate

    with serving(list(folders), tmp_path / "runs", scheduler) as (_, session, url):
        status, job = post_run(url, {"target": "sir", "engine": "ssa", "replicates": "4", "seed": "1"})
        assert status == 202
        seen = {job["done"]}
        while job["state"] == "running":
            time.sleep(0.05)
            job = json.loads(request(url, f"/api/job/{job['id']}", headers={"X-Hyosan-Token": token_of(url)})[2])
            seen.add(job["done"])
        assert job["state"] == "done", job
        assert job["total"] == 4 and seen <= {0, 1, 2, 3, 4} and job["done"] == 4
        ds = open_result(session.folders[job["result"]])
    here = simulate(load("sir"), "ssa", replicates=4, seed=1, workers=1)
    assert np.array_equal(ds["R"].values, here["R"].values) and ds.sizes["replicate"] == 4


def test_a_run_from_the_api_completes_and_opens_beside_the_others(folders, tmp_path: Path) -> None:
    """beta = 0.5, gamma = 0.25 on the ode engine: the final size solves r = 1 - s0 exp(-R0 r) (R0 = 2)."""
    from scipy.optimize import brentq

    with serving(list(folders), tmp_path / "runs") as (_, _, url):
        status, job = post_run(url, {"target": "sir", "engine": "ode", "values": {"beta": "0.5", "gamma": "0.25"},
                                     "t_end": "400"})  # fmt: skip
        assert status == 202 and job["state"] == "running"
        for _ in range(600):
            _, _, data = request(url, f"/api/job/{job['id']}", headers={"X-Hyosan-Token": token_of(url)})
            job = json.loads(data)
            if job["state"] != "running":
                break
            time.sleep(0.1)
        assert job["state"] == "done", job
        _, _, data = request(url, f"/api/result/{job['result']}", headers={"X-Hyosan-Token": token_of(url)})
        m = json.loads(data)
    assert job["result"] == 2 and m["kind"] == "compartments"
    n, s0 = 1000.0, 990.0 / 1000.0
    r = brentq(lambda r: r - (1 - s0 * np.exp(-2.0 * r)), 1e-6, 1.0)
    assert abs(m["series"]["R"]["median"][-1] / n - r) < 2e-3  # ode tolerance; the closed form is exact


def test_export_writes_one_page_with_the_data_and_no_outside_reference(folders, tmp_path: Path, cli) -> None:
    page = tmp_path / "page.html"
    run = cli("view", str(folders[0]), str(folders[1]), "--export", str(page))
    assert run.returncode == 0, run.stderr
    text = page.read_text()
    assert "window.HYOSAN_EMBED" in text and "<script src=" not in text
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "http://" not in text.replace("http://www.w3.org", "") and "https://" not in text
    assert not list(tmp_path.glob(".*hyosan-tmp"))


def test_the_cli_refuses_a_folder_without_a_result_in_one_line(tmp_path: Path, cli) -> None:
    run = cli("view", str(tmp_path / "nothing"))
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "no result.nc" in run.stderr
    run = cli("view", str(tmp_path), "--export", str(tmp_path / "p.html"))
    assert run.returncode == 2 and not (tmp_path / "p.html").exists()


def test_a_country_run_shows_each_patch_over_time(tmp_path: Path) -> None:
    """A patches-engine result: the manifest holds replicate 0's per-patch counts, positions, time of fall."""
    import scipy.sparse as sp

    from hyosan.catalog import load
    from hyosan.places.patches import Patches
    from hyosan.simulate import save, simulate
    from hyosan.view import data

    places = Patches(
        names=("a", "b", "c"), population=np.array([1000, 2000, 500]), lat=np.array([37.0, 36.0, 35.0]),
        lon=np.array([127.0, 128.0, 126.0]), movement=sp.csr_matrix(0.01 * (np.ones((3, 3)) - np.eye(3))),
    )  # fmt: skip
    ds = simulate(load("sir"), "patches", patches=places, method="ode", t_end=60)
    save(ds, load("sir"), tmp_path / "country", plot=False)
    m = data.load(tmp_path / "country").manifest
    assert m["kind"] == "patches" and m["patches"]["names"] == ["a", "b", "c"]
    assert np.allclose(m["patches"]["counts"]["I_patch"], ds["I_patch"].isel(replicate=0).values.T, atol=1e-5)
    assert m["patches"]["lon"] == [127.0, 128.0, 126.0]
    fall = ds["time_of_fall"].isel(replicate=0).values
    assert [v is None for v in m["patches"]["time_of_fall"]] == list(np.isnan(fall))


def test_a_click_on_the_map_moves_patient_zero_or_adds_a_noise_there() -> None:
    """hyosan-high's patient zero (one, in the science lab) moved to a point of the library; a noise added
    beside the scenario's own; a point inside a wall refused in one line."""
    from hyosan.agents.scenario import load_scenario
    from hyosan.errors import HyosanError
    from hyosan.view.runs import prepare

    sc = load_scenario("hyosan-high")
    rows, cols = np.nonzero(sc.world.zones["library"])
    r, c = int(np.median(rows)), int(np.median(cols))
    x, y = (c + 0.5) * sc.world.scale, (r + 0.5) * sc.world.scale
    target, options = prepare({"target": "hyosan-high", "drop": {"what": "patient_zero", "x_m": x, "y_m": y}})
    moved = load_scenario(target, options["values"])
    assert options["values"]["patient_zero"] == {"at": [round(x, 2), round(y, 2)], "count": 1}
    zero = [g for g in moved.groups if g.state == 2]
    assert len(zero) == 1 and zero[0].count == 1 and zero[0].cells[r, c] and zero[0].cells.sum() == 1
    _, options = prepare({"target": "hyosan-high", "drop": {"what": "noise", "x_m": x, "y_m": y}})
    noises = options["values"]["noise"]
    assert noises[:-1] == sc.raw["noise"] and noises[-1]["at"] == [round(x, 2), round(y, 2)]
    assert len(load_scenario(target, options["values"]).noises) == len(sc.raw["noise"]) + 1
    wall = np.argwhere(sc.world.kind == 1)[5]
    with pytest.raises(HyosanError, match="inside a wall") as err:
        prepare({"target": "hyosan-high", "drop": {"what": "noise", "x_m": (wall[1] + 0.5) * sc.world.scale,
                                                    "y_m": (wall[0] + 0.5) * sc.world.scale}})  # fmt: skip
    assert "\n" not in str(err.value)


def test_a_network_result_gives_its_transmission_tree(tmp_path: Path) -> None:
    """Node events of replicate 0 (0 infects 1 and 2, 1 infects 3, 1 recovers): the tree is exactly the three
    transmissions in time order, with 0 as its seed; the recovery is not a transmission."""
    from hyosan.results import make_dataset
    from hyosan.simulate import save
    from hyosan.view import data

    ds = make_dataset(np.arange(5.0), np.zeros((1, 5, 3)), ["S", "I", "R"], {"engine": "network", "seed": 0})
    ev = ("replicate", "node_event")
    ds["node_event_time"] = (ev, [[2.0, 1.0, 3.0, 4.0, np.nan]])
    ds["node_event_node"] = (ev, [[2, 1, 3, 1, -1]])
    ds["node_event_by"] = (ev, [[0, 0, 1, -1, -1]])
    ds["node_event_from"] = (ev, [[0, 0, 0, 1, 0]], {"compartments": "S, I, R"})
    ds["node_event_to"] = (ev, [[1, 1, 1, 2, 0]], {"compartments": "S, I, R"})
    save(ds, out=tmp_path / "net", plot=False)
    tree = data.load(tmp_path / "net").manifest["tree"]
    assert tree == {"t": [1.0, 2.0, 3.0], "node": [1, 2, 3], "by": [0, 0, 1], "seeds": [0], "total": 3}
