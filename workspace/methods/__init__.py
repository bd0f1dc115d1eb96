"""JSON-RPC methods, one module per namespace (server.py, projects.py, ...).

Importing this package imports every module in it, which registers its methods.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
