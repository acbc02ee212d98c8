"""fastlogreg: logistic regression trained by fused, parallel Numba kernels.

The public names are imported on first use (PEP 562): `import fastlogreg` alone loads neither
Numba nor scikit-learn (about 1.5 s together), so the command line's --help and --version
answer at once."""

import importlib
import os

# Numba's OpenMP worker threads spin after every parallel region by default (GNU OpenMP: about
# 300,000 spins), and on a machine with as many threads as cores they then compete with what
# runs next on the same cores: OpenBLAS in newton's Hessian, scipy's L-BFGS-B, NumPy. Measured on
# the 2-core benchmark machine, spinning against passive waiting (median of 5 fits):
# newton 20k x 100 float32 0.159 s against 0.070 s, 1M x 100 0.70 s against 0.59 s; lbfgs on
# 100k x 100 1.67 s against 0.95 s; gd 1M x 100 (100 epochs) 8.0 s against 6.3 s. The price is a
# wake-up per parallel region, about 90 us: gd on 5,000 x 20 (100k entries, 500 epochs) went
# from 0.048 s to 0.091 s. So passive waiting is the default unless the environment already
# says otherwise; it must be set before the OpenMP runtime starts, i.e. before the first
# parallel kernel runs, which is why it is here: the import of any submodule runs this file
# first. Set OMP_WAIT_POLICY=ACTIVE to undo.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

# public name -> (module, attribute)
_PUBLIC = {
    "DivergenceError": (".exceptions", "DivergenceError"),
    "LogisticRegression": (".estimator", "LogisticRegression"),
    "LogisticRegressionCV": (".cv", "LogisticRegressionCV"),
    "ModelFileError": (".persist", "ModelFileError"),
    "check_gradient": (".gradcheck", "check_gradient"),
    "load": (".persist", "load_model"),
    "warmup": (".warmup", "warmup"),
}
__all__ = sorted(_PUBLIC)


def __getattr__(name):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'fastlogreg' has no attribute {name!r}")
    module, attribute = _PUBLIC[name]
    value = getattr(importlib.import_module(module, __name__), attribute)
    globals()[name] = value  # the next access is a plain lookup
    return value


def __dir__():
    return sorted([*globals(), *_PUBLIC])
