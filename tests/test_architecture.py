"""The layers keep to their arrows: ``web -> service -> store, domain``; ``store -> domain``;
``domain`` imports neither; and no two modules need each other to load.

docs/architecture.md draws the same picture; this is what keeps it true.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "rejoinder"

# Which of the package's parts each part may import. "support" is the top-level modules a
# service needs (settings, the toxicity scorer, the secret key); the entry points (app, cli,
# serving, demo) put the rest together and may import anything.
MAY_IMPORT = {
    "domain": {"domain"},
    "store": {"store", "domain"},
    "support": {"support", "domain", "store"},
    "service": {"service", "store", "domain", "support"},
    "web": {"web", "service", "domain", "support"},
}
ENTRY_POINTS = {"app", "cli", "serving", "demo", "__main__", "__init__"}
# Libraries that are storage, not HTTP: web/ may not use them. store/ holds the SQL; service/
# uses them only to speak to Redis (limits, the event log's broker) and to name drivers'
# errors (faults, a failing read replica in reading.py).
STORAGE_LIBRARIES = {"sqlalchemy", "sqlite3", "asyncpg", "redis", "alembic"}
FRAMEWORKS = {"litestar", "jinja2", "markupsafe", "uvicorn", "sqlalchemy", "redis"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str:
    """The layer a ``rejoinder.*`` module belongs to."""
    head = module.split(".")[1] if "." in module else "__init__"
    if head in MAY_IMPORT:
        return head
    return "entry" if head in ENTRY_POINTS else "support"


def imports_of(path: Path) -> tuple[set[str], set[str]]:
    """(every module the file imports anywhere, those it imports at module level).

    Imports for type checking count as module level: a cycle among them is still two modules
    that cannot be understood one without the other."""
    tree = ast.parse(path.read_text(), str(path))
    everywhere: set[str] = set()
    at_load: set[str] = set()

    def names(node: ast.Import | ast.ImportFrom) -> list[str]:
        if isinstance(node, ast.Import):
            return [alias.name for alias in node.names]
        base = node.module or ""
        found = []
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            is_module = (PACKAGE.parent / Path(*candidate.split("."))).with_suffix(".py").exists()
            found.append(candidate if is_module else base)
        return found

    def walk(nodes: list[ast.stmt], loading: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                found = names(node)
                everywhere.update(found)
                if loading:
                    at_load.update(found)
            elif isinstance(node, ast.If):
                walk(node.body, loading)
                walk(node.orelse, loading)
            elif isinstance(node, ast.Try):
                walk(node.body + node.finalbody + node.orelse, loading)
                for handler in node.handlers:
                    walk(handler.body, loading)
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    walk(child.body, loading and isinstance(child, ast.ClassDef))

    walk(tree.body, True)
    return everywhere, at_load


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
IMPORTS = {name: imports_of(path) for name, path in MODULES.items()}


def imports_in(layer: str) -> list[tuple[str, str]]:
    """(module, what it imports) for every import anywhere in the layer's modules."""
    return [
        (module, imported)
        for module, (everywhere, _) in IMPORTS.items()
        if part_of(module) == layer
        for imported in sorted(everywhere)
    ]


@pytest.mark.parametrize("layer", sorted(MAY_IMPORT))
def test_each_layer_imports_only_the_layers_below_it(layer: str) -> None:
    wrong = [
        f"{module} imports {imported}"
        for module, imported in imports_in(layer)
        if imported.startswith("rejoinder.") and part_of(imported) not in MAY_IMPORT[layer]
    ]
    assert wrong == []


def test_the_web_layer_imports_nothing_that_is_not_http() -> None:
    wrong = [
        f"{module} imports {imported}"
        for module, imported in imports_in("web")
        if imported.split(".")[0] in STORAGE_LIBRARIES
    ]
    assert wrong == []


def test_the_domain_is_pure() -> None:
    wrong = [
        f"{module} imports {imported}"
        for module, imported in imports_in("domain")
        if imported.split(".")[0] in FRAMEWORKS
    ]
    assert wrong == []


def test_no_two_modules_import_each_other() -> None:
    graph = {
        module: {i for i in at_load if i in MODULES and i != module}
        for module, (_, at_load) in IMPORTS.items()
    }
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for imported in sorted(graph[module]):
            if state.get(imported) == 1:
                cycles.append([*path[path.index(imported) :], imported])
            elif imported not in state:
                visit(imported, [*path, imported])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


HANDLER_DECORATORS = {"get", "post", "patch", "put", "delete", "route", "websocket"}
MAX_HANDLER_LINES = 30


def _handlers(path: Path) -> list[tuple[str, int]]:
    """(name, lines from ``def`` to the end) of each route handler in the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            if name in HANDLER_DECORATORS:
                assert node.end_lineno is not None
                found.append((node.name, node.end_lineno - node.lineno + 1))
                break
    return found


def test_every_route_handler_only_parses_calls_and_serialises() -> None:
    """A handler that grows past a screenful is doing the application layer's work."""
    long = [
        f"{module}.{name}: {lines} lines"
        for module, path in MODULES.items()
        if part_of(module) == "web"
        for name, lines in _handlers(path)
        if lines > MAX_HANDLER_LINES
    ]
    assert long == []
