#!/usr/bin/python3
"""The same DADS flow network solved with networkx (what public DADS
reimplementations use), to compare speed and check the cut value.
Run with Debian's /usr/bin/python3 (python3-networkx)."""
import json, sys, time
import networkx as nx

def main(path):
    j = json.load(open(path))
    n, g = j["num_nodes"], nx.DiGraph()
    s, t, INF = "s", "t", float("inf")
    node = lambda v: v
    def add(u, v, cap):
        if cap <= 0: return
        if g.has_edge(u, v): g[u][v]["capacity"] += cap
        else: g.add_edge(u, v, capacity=cap)
    to_cloud = list(j["cloud_ms"])
    for ten in j["tensors"]:
        if ten["output"] and ten["producer"] >= 0:
            to_cloud[ten["producer"]] += ten["bytes"] * j["ms_per_byte"]
    for v in range(n):
        add(s, node(v), to_cloud[v]); add(node(v), t, j["device_ms"][v])
    for k, ten in enumerate(j["tensors"]):
        u = s if ten["producer"] < 0 else node(ten["producer"])
        cost = ten["bytes"] * j["ms_per_byte"]
        x = ("x", k)
        if ten["consumers"]:
            add(u, x, cost)
        for c in ten["consumers"]:
            add(x, node(c), INF); add(node(c), u, INF)
    t0 = time.perf_counter()
    value, _ = nx.minimum_cut(g, s, t, flow_func=nx.algorithms.flow.boykov_kolmogorov)
    secs = time.perf_counter() - t0
    print(json.dumps({"networkx_seconds": secs, "networkx_cut_ms": value}))

main(sys.argv[1])
