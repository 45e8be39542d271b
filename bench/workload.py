"""Loader for the shared peer workload.

The benchmark must always run the shared, engine-neutral definition, never a copy of it, so this
module imports ``shared/bench/peer_workload.py`` from beside the repository (``<repo>/../shared``),
or from the file named by the environment variable ``MR_PEER_WORKLOAD``, and re-exports it:

    from workload import W          # the shared module itself
    W.make_customers(1000); W.reference(c); W.compare(customers, results)
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PATH = REPO_ROOT.parent / "shared" / "bench" / "peer_workload.py"
MODULE_NAME = "peer_workload"


def workload_path() -> Path:
    return Path(os.environ.get("MR_PEER_WORKLOAD") or DEFAULT_PATH).resolve()


def load():
    """Import the shared workload module once (cached in sys.modules under 'peer_workload')."""
    path = workload_path()
    mod = sys.modules.get(MODULE_NAME)
    if mod is not None and Path(getattr(mod, "__file__", "")).resolve() == path:
        return mod
    if not path.is_file():
        raise FileNotFoundError(f"shared peer workload not found at {path}; set MR_PEER_WORKLOAD to its path")
    spec = importlib.util.spec_from_file_location(MODULE_NAME, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = mod  # before exec: NamedTuple/dataclass need their module
    spec.loader.exec_module(mod)
    return mod


W = load()
PATH = workload_path()
