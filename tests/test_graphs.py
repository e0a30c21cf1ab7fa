"""Contact graphs: generators keep their distributions and seeds; every input form is read exactly;
malformed graphs are refused in one line."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from hyosan import budget
from hyosan.graphs import GraphError, from_csr, from_edges, graph


def test_er_has_the_binomial_edge_count_and_is_fixed_by_its_seed():
    n, k = 20000, 8.0
    g = graph(f"er:n={n},k={k}")
    pairs = n * (n - 1) / 2
    p = k / (n - 1)
    sd = np.sqrt(pairs * p * (1 - p))
    assert abs(g.edges - pairs * p) < 5 * sd  # the edge count is Binomial(pairs, p): 5 standard deviations
    # degrees are Binomial(n-1, p): compare the variance too (its estimate has sd ~ var*sqrt(2/n))
    var = (n - 1) * p * (1 - p)
    assert abs(g.degrees.var() - var) < 5 * var * np.sqrt(2 / n)
    again = graph(f"er:n={n},k={k}")
    np.testing.assert_array_equal(g.indices, again.indices)
    other = graph(f"er:n={n},k={k},seed=2")
    assert not np.array_equal(g.indptr, other.indptr)


def test_er_edges_are_independent_of_position():
    # geometric skipping must not favour early or late pairs: the low and high halves of the node range
    # get the same number of internal edges (each Binomial with the same mean) within 5 standard deviations
    n, k = 20000, 6.0
    g = graph(f"er:n={n},k={k}")
    src = np.repeat(np.arange(n), g.degrees)
    low = np.sum((src < n // 2) & (g.indices < n // 2)) // 2
    high = np.sum((src >= n // 2) & (g.indices >= n // 2)) // 2
    mean = (n // 2) * (n // 2 - 1) / 2 * k / (n - 1)
    assert abs(low - mean) < 5 * np.sqrt(mean) and abs(high - mean) < 5 * np.sqrt(mean)


def test_configuration_model_keeps_a_regular_degree_up_to_the_erased_stubs():
    g = graph("config:n=10000,k=4")
    assert g.n == 10000
    assert (g.degrees <= 4).all() and (g.degrees == 4).mean() > 0.99
    poisson = graph("config:n=10000,k=4,dist=poisson,seed=3")
    assert abs(poisson.mean_degree - 4) < 5 * np.sqrt(4 / 10000) * 2


def test_networkx_generators_and_conversions_are_read_exactly():
    g = graph("ba:n=300,m=2")
    ref = nx.barabasi_albert_graph(300, 2, seed=1)
    assert g.edges == ref.number_of_edges()
    np.testing.assert_array_equal(np.sort(g.degrees), np.sort([d for _, d in ref.degree]))
    w = nx.Graph()
    w.add_edge("a", "b", weight=2.0)
    w.add_edge("b", "c")
    gw = graph(w)
    assert gw.n == 3 and sorted(gw.weights.tolist()) == [1.0, 1.0, 2.0, 2.0]
    a = sp.csr_array(nx.to_scipy_sparse_array(ref))
    gs = graph(a)
    np.testing.assert_array_equal(gs.degrees, g.degrees)
    assert graph("sbm:sizes=20|30,p_in=0.5,p_out=0.0").n == 50
    assert graph("ws:n=100,k=4,p=0.0").edges == 200


def test_edge_list_files_csv_whitespace_and_parquet(tmp_path):
    csv = tmp_path / "e.csv"
    csv.write_text("u,v,w\n0,1,0.5\n1,2,2\n")
    g = graph(str(csv))
    assert g.n == 3 and g.edges == 2 and g.weights is not None
    txt = tmp_path / "e.txt"
    txt.write_text("0 1\n2 3\n")
    assert graph(f"file:{txt},n=10").n == 10
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"u": [0, 1], "v": [1, 2]}), tmp_path / "e.parquet")
    assert graph(str(tmp_path / "e.parquet")).edges == 2


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("0,1\n1,1\n", "self-loop"),
        ("0,1\n1,0\n", "listed twice"),
        ("0,1,-2\n", "weight -2.0"),
        ("0,1\n-1,2\n", "out of range"),
        ("0,1\n2\n", "too few fields"),
        ("0,1\n2,3,4,5\n", "rows of different lengths"),
        ("0,1.5\n", "non-whole node id"),
    ],
)
def test_bad_edge_lists_are_refused_in_one_line(tmp_path, text, words):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(GraphError) as err:
        graph(str(path))
    assert words in str(err.value) and "\n" not in str(err.value)


def test_bad_objects_and_specs_are_refused():
    with pytest.raises(GraphError, match="out of range"):
        from_edges(np.array([0]), np.array([5]), 3)
    with pytest.raises(GraphError, match="directed"):
        graph(nx.DiGraph([(0, 1)]))
    with pytest.raises(GraphError, match="undirected"):
        from_csr(np.array([0, 1, 1]), np.array([1]))
    with pytest.raises(GraphError, match="unknown graph kind 'erd'"):
        graph("erd:n=10,k=2")
    with pytest.raises(GraphError, match="give k"):
        graph("er:n=10")
    with pytest.raises(GraphError, match="no such edge-list file"):
        graph("missing.csv")


def test_a_graph_too_big_for_memory_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    path.write_text("0,1\n" * 1000)
    monkeypatch.setattr(budget, "available_memory", lambda: 10_000)
    with pytest.raises(budget.HyosanError, match="more than this machine can spare"):
        graph(str(path))
    with pytest.raises(budget.HyosanError, match="more than this machine can spare"):
        graph("er:n=10000000,k=10")


def test_igraph_graphs_are_read_with_their_weights():
    ig = pytest.importorskip("igraph")
    g = ig.Graph([(0, 1), (1, 2), (2, 3)])
    g.es["weight"] = [1.0, 2.0, 3.0]
    h = graph(g)
    assert h.n == 4 and h.edges == 3
    np.testing.assert_array_equal(h.degrees, [1, 2, 2, 1])
    assert sorted(h.weights.tolist()) == [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]
    with pytest.raises(GraphError, match="directed"):
        graph(ig.Graph([(0, 1)], directed=True))


def test_hyosan_high_contact_network_has_the_schools_rooms_grades_and_staff():
    from hyosan.graphs.school import PATIENT_ZERO

    g = graph("school:hyosan-high")
    assert g.n == 1111  # as many people as the agent scenario places (its population comment)
    students, teachers = 999 + 21 + 30 + 15, np.arange(1065, 1111)

    def weights_of(a: int) -> dict[int, float]:
        lo, hi = g.indptr[a], g.indptr[a + 1]
        return dict(zip(g.indices[lo:hi].tolist(), g.weights[lo:hi].tolist(), strict=True))

    first = weights_of(0)  # class 1-1: its 26 classmates and its teacher, a whole day together
    assert all(first.get(b) == 1.0 for b in [*range(1, 27), int(teachers[0])])
    grade = np.repeat([0, 1, 2], [13 * 27, 12 * 27, 12 * 27])
    for a in range(0, 999, 97):
        for b, w in weights_of(a).items():
            if b < 999 and w == 0.25:
                assert grade[a] == grade[b]  # corridor contacts stay within the grade
    assert all(weights_of(int(teachers[0])).get(int(t)) >= 0.5 for t in teachers[1:])
    lab = weights_of(PATIENT_ZERO)
    assert all(lab.get(b) == 1.0 for b in range(1000, 1020)) and students == 1065
    with pytest.raises(GraphError, match="unknown school"):
        graph("school:hyosan-low")
