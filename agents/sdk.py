"""The ACP SDK (``acp``, with pydantic), loaded when an agent session first uses it. No Django imports.

Importing it is about half of django.setup() (docs/benchmarks.md), which every start of
the server and every command pays, and most of them never start an agent. So ``acp``
here is the SDK's module made lazy (importlib.util.LazyLoader): importing this module
costs nothing, and the SDK loads the first time one of its names is looked up
(``acp.RequestError``, ``acp.schema...``), which only an opening agent session does.

Python 3.11's LazyLoader has no lock (3.12 added one): two threads making the first lookup at
once could both run the SDK's import. Every use is in the agents' async code, on the event
loop's one thread, so none do; a use from a worker thread must come after the SDK has loaded.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def _lazy(name: str) -> ModuleType:
    """Return module ``name``, loaded on its first attribute lookup rather than now (as importlib's docs show)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


acp = _lazy("acp")
