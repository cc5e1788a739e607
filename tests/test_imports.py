"""No import cycles among the project's modules.

Every `import` in every module (at module level and inside functions: a function-level
import only hides a cycle until the function runs) is read with `ast`. A package's
`__init__` importing its own submodules is not an edge: Python imports a package before
any of its submodules anyway, and a blueprint's `__init__` imports its route modules so
they register on its `bp` (the one loop Flask's own layout asks for).
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("shared", "kiosk", "counter", "display", "supervisor")


def project_modules(root: Path = ROOT) -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imports_of(name: str, path: Path, modules) -> set[str]:
    """The project modules `name` imports, wherever in the file the import is."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module
            # `from pkg import mod` imports the submodule; `from mod import name` the module
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and not target.startswith(name + "."):
                found.add(target)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None."""
    state = {}  # 1: on the current path, 2: done

    def visit(node, path):
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt, path)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node, [])
            if cycle:
                return cycle
    return None


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    modules = project_modules(root)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def test_the_project_has_no_import_cycle():
    graph = import_graph()
    assert "shared.queue" in graph and "shared.db" in graph["shared.queue"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_a_cycle_through_a_function_level_import_is_found(tmp_path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "__init__.py").write_text("")
    (tmp_path / "shared" / "a.py").write_text("from .b import thing\n")
    (tmp_path / "shared" / "b.py").write_text("def thing():\n    from . import a\n")
    assert find_cycle(import_graph(tmp_path)) == ["shared.a", "shared.b", "shared.a"]


def test_a_package_importing_its_own_route_modules_is_not_a_cycle(tmp_path):
    (tmp_path / "kiosk").mkdir()
    (tmp_path / "kiosk" / "__init__.py").write_text("bp = 1\nfrom . import routes\n")
    (tmp_path / "kiosk" / "routes.py").write_text("from . import bp\n")
    assert find_cycle(import_graph(tmp_path)) is None
