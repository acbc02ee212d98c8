"""The one way the benchmarks make and save a figure: matplotlib without a screen, the machine
in small print at the bottom."""


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, out, machine, dpi=110):
    fig.text(0.01, 0.005, machine, fontsize=5)
    fig.tight_layout()
    fig.savefig(out, dpi=dpi)
    pyplot().close(fig)
