"""The import graph of webapp/ and jobs/, read statically with ast (nothing is imported): every import
counts, at module level or inside a function, relative ones resolved against their package. No two modules
may import each other, however long the circle, and no layer imports one above it: models never import
services, services never import the views (the driver/, admin/, api/, auth/ and ocpp/ blueprints) or the
jobs, and jobs reach the domain through services only (never a view, never a model directly)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VIEWS = tuple(f"webapp.{name}" for name in ("driver", "admin", "api", "auth", "ocpp"))
#: (who, what it must never import)
LAYERS = [
    ("webapp.models", ("webapp.services", "jobs") + VIEWS),
    ("webapp.services", ("jobs",) + VIEWS),
    ("jobs", ("webapp.models",) + VIEWS),
]


def module_name(path: Path, root: Path = ROOT) -> str:
    """Dotted name of a source file (a package's `__init__` is the package)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """The project modules one file imports, anywhere in it: `from pkg import mod` counts as `pkg.mod`
    when that is a module, else as `pkg`; a dotted name that is not a module counts as its nearest parent."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()

    def nearest(dotted: str) -> str | None:
        while dotted and dotted not in known:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source
                       for alias in node.names]
        else:
            continue
        found.update(t for t in map(nearest, targets) if t)
    # Importing a.b.c runs a/__init__ and a/b/__init__ first: those count too, except the importer's own
    # packages (already running when it runs).
    own = {name.rsplit(".", n)[0] for n in range(name.count(".") + 1)}
    found |= {parent for t in found for parent in ancestors(t) if parent in known}
    return found - own


def ancestors(dotted: str) -> list[str]:
    parts = dotted.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]


def graph(root: Path = ROOT, packages=("webapp", "jobs")) -> dict[str, set[str]]:
    """Module -> the project modules it imports."""
    files = {module_name(p, root): p for pkg in packages for p in sorted((root / pkg).rglob("*.py"))}
    known = set(files)
    return {name: imports_of(path, name, known) for name, path in files.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One concrete circle per strongly connected component of more than one module (Tarjan)."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return [circle_in(edges, component) for component in components]


def circle_in(edges, component: set[str]) -> list[str]:
    """A shortest path from the component's first module back to itself, staying inside the component."""
    start = min(component)
    paths, seen = [[start]], {start}
    while paths:
        path = paths.pop(0)
        for w in sorted(edges[path[-1]] & component):
            if w == start:
                return path + [start]
            if w not in seen:
                seen.add(w)
                paths.append(path + [w])
    return sorted(component)


def inside(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def layer_breaches(edges) -> list[str]:
    return sorted(f"{who} imports {what}" for who, targets in edges.items() for layer, forbidden in LAYERS
                  if inside(who, layer) for what in targets if any(inside(what, f) for f in forbidden))


def test_no_import_cycles():
    found = cycles(graph())
    assert found == [], "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_no_layer_imports_a_higher_one():
    assert layer_breaches(graph()) == []


def test_the_walk_sees_hidden_and_relative_imports(tmp_path):
    """The checks would fail: a function-level relative import closes a circle, a model importing a
    service is a breach, and `from . import x` resolves to the sibling module."""
    pkg = tmp_path / "webapp"
    (pkg / "services").mkdir(parents=True)
    (pkg / "models").mkdir()
    for init in (pkg, pkg / "services", pkg / "models"):
        (init / "__init__.py").write_text("")
    (pkg / "services" / "a.py").write_text("from . import b\n")
    (pkg / "services" / "b.py").write_text("def f():\n    from .a import g\n")
    (pkg / "models" / "m.py").write_text("from ..services import a\nfrom ..services.b import f\n")
    edges = graph(tmp_path, ("webapp",))
    assert edges["webapp.services.a"] == {"webapp.services.b"}
    assert edges["webapp.models.m"] == {"webapp.services", "webapp.services.a", "webapp.services.b"}
    assert cycles(edges) == [["webapp.services.a", "webapp.services.b", "webapp.services.a"]]
    assert layer_breaches(edges) == ["webapp.models.m imports webapp.services",
                                     "webapp.models.m imports webapp.services.a",
                                     "webapp.models.m imports webapp.services.b"]
