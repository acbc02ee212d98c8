"""Reading a comparison's rows: which solvers finished, and how each compares with the fastest
peer (shared by bench.compare, bench.plots and bench.targets)."""


def finished(solvers):
    """The solvers that finished (not stopped by the budget, not crashed), fastest first."""
    done = [(s, r) for s, r in solvers.items() if "seconds" in r]
    return dict(sorted(done, key=lambda item: item[1]["seconds"]))


# a peer counts as 'best' only at a relative gap this small (the issues' targets ask for
# <= 1e-6): SGDClassifier's 5 epochs, far from the optimum, would otherwise set the pace
BEST_PEER_GAP = 1e-6


def fastest_peer(solvers):
    """(name, result) of the fastest finished solver that is not fastlogreg's and reached a
    relative gap <= BEST_PEER_GAP (when its result has a gap), or None."""
    peers = [
        (s, r)
        for s, r in finished(solvers).items()
        if not s.startswith("fastlogreg") and r.get("gap", 0.0) <= BEST_PEER_GAP
    ]
    return peers[0] if peers else None


def ratio_to_best_peer(solvers):
    best = fastest_peer(solvers)
    return {
        s: (r["seconds"] / best[1]["seconds"] if best else None)
        for s, r in finished(solvers).items()
    }
