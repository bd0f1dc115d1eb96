"""Imports between the apps run one way, downward, like the floors of a house (docs/development.md).

Every module of the project is read (as source, not imported), its imports at the top and
inside functions alike. A module may import its own app and the floors below it, never a
floor above, nor an app beside it on its own floor: that is how no circle can form. And no
function-local import of a project module is left to hide a circle: the one place for them is
an AppConfig's ``ready()``, where Django asks apps to import what registers itself (methods,
signal receivers), once every model is loaded.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The helpers every app uses, then the apps, lowest first; apps that share a floor never import each other.
FLOORS = (
    {"t3site"},
    {"pairing"},
    {"endpoints", "environments"},
    {"workspace"},
    {"agents", "relay"},
    {"server"},
    {"t3site glue"},
)
# The project's glue: these t3site modules put every app together, so they stand above all of them.
GLUE = {"t3site.settings", "t3site.urls", "t3site.asgi", "t3site.routing"}
APPS = {app for floor in FLOORS for app in floor} - {"t3site glue"}
# Function-local imports that hide no circle, each with the reason it is local.
# (importing module, imported module) → why it must stay function-local. Empty: the ACP SDK, the
# one thing imported late on purpose, is made lazy by agents.sdk (importlib's LazyLoader) instead.
LOCAL_IMPORTS_ALLOWED: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the module imported (for `from a import b`, a.b when that is a module)
    line: int
    local: bool  # inside a function or method
    in_ready: bool  # inside an AppConfig.ready(), where Django wants registrations made


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "__pycache__" not in path.parts
    }


def app_of(module: str) -> str:
    if module in GLUE or any(module.startswith(f"{glue}.") for glue in GLUE):
        return "t3site glue"
    return module.split(".", 1)[0]


def floor_of(app: str) -> int:
    return next(level for level, floor in enumerate(FLOORS) if app in floor)


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(module: str, path: Path, known: set[str]) -> list[Import]:
    found = []

    def visit(node: ast.AST, local: bool, in_ready: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend(Import(module, alias.name, child.lineno, local, in_ready) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                source = _absolute(module, path, child)
                for alias in child.names:
                    submodule = f"{source}.{alias.name}"
                    target = submodule if submodule in known else source
                    found.append(Import(module, target, child.lineno, local, in_ready))
            is_function = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            visit(
                child,
                local or is_function,
                in_ready or (is_function and child.name == "ready" and path.name == "apps.py"),
            )

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), local=False, in_ready=False)
    return [each for each in found if each.target.split(".", 1)[0] in APPS]


def every_import() -> list[Import]:
    modules = project_modules()
    known = set(modules)
    return [each for module, path in sorted(modules.items()) for each in imports_of(module, path, known)]


def test_it_knows_every_app_of_the_project():
    packages = {path.parent.name for path in ROOT.glob("*/apps.py")}
    assert packages <= APPS, f"put {sorted(packages - APPS)} on a floor in FLOORS"


def test_no_module_imports_a_floor_above_it_or_an_app_beside_it():
    wrong = []
    for each in every_import():
        mine, theirs = app_of(each.module), app_of(each.target)
        if mine != theirs and floor_of(theirs) >= floor_of(mine):
            beside = floor_of(theirs) == floor_of(mine)
            wrong.append(f"{each.module}:{each.line} imports {each.target} ({'beside' if beside else 'above'} it)")
    assert wrong == []


def test_no_function_local_import_hides_a_circle():
    wrong = [
        f"{each.module}:{each.line} imports {each.target} inside a function"
        for each in every_import()
        if each.local and not each.in_ready and (each.module, each.target) not in LOCAL_IMPORTS_ALLOWED
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("module", "target", "line"),
    [
        ("endpoints.views", "server.listener", "from server.listener import BindError\n"),
        ("pairing.models.devices", "pairing.revocation", "def revoke():\n    from pairing import revocation\n"),
        ("t3site.home", "t3site.settings", "from t3site import settings\n"),
    ],
)
def test_it_sees_an_import_that_runs_back_up(tmp_path, module, target, line):
    # The checks above pass vacuously if the reading finds nothing: prove it finds these.
    path = tmp_path / "module.py"
    path.write_text(line)
    (found,) = imports_of(module, path, set(project_modules()) | {target})
    assert found.target == target
    assert floor_of(app_of(target)) >= floor_of(app_of(module)) or found.local


def test_no_test_module_imports_another():
    # Helpers that several test modules need live in tests/support/ (and fixtures in a conftest):
    # a test module imported by another runs its module-level code twice and ties the two together.
    wrong = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            wrong += [
                f"{path.relative_to(ROOT)}:{node.lineno} imports {name}"
                for name in names
                if name.startswith("tests.") and name.rsplit(".", 1)[-1].startswith("test_")
            ]
    assert wrong == []
