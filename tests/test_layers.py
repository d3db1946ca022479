"""The package's import structure follows the layer table of docs/design.md: an import points to
the same or a lower layer, never up; no cycles between modules; no importlib for internal modules;
no private (_name) imported across modules.  Built with ast, function-local imports included."""

from __future__ import annotations

import ast
from pathlib import Path

import leptoportal

SRC = Path(leptoportal.__file__).parent

#: from the top; the first component of a module's path under leptoportal names its room
LAYERS = [
    {"__init__", "__main__", "cli"},
    {"plots"},
    {"reach"},
    {"analysis"},
    {"generate"},
    {"xsec", "constraints"},
    {"detector", "models"},
    {"stats"},
    {"fileio", "cache", "quadrature", "particles", "materials"},
    {"units", "errors", "_version", "domains"},
]
#: imports between different rooms of one layer that the table allows (importer room -> imported room)
SAME_LAYER = {("__main__", "cli"), ("constraints", "xsec"), ("materials", "particles"), ("domains", "errors"), ("fileio", "errors"),
              ("materials", "domains"), ("fileio", "domains"), ("cache", "fileio")}
LAYER_OF = {room: i for i, rooms in enumerate(LAYERS) for room in rooms}


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["leptoportal", *parts])


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _resolve(module: str, is_pkg: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_pkg:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph():
    """{module: [(imported module, imported names, line)]} for every module of the package."""
    mods = {}
    for path in SRC.rglob("*.py"):
        mods[module_name(path)] = path
    graph, importlib_uses = {}, []
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        is_pkg = path.name == "__init__.py"
        edges = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("import_module", "__import__"):
                importlib_uses.append((mod, node.lineno))
            elif isinstance(node, ast.Name) and node.id in ("import_module", "__import__"):
                importlib_uses.append((mod, node.lineno))
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("leptoportal"):
                        edges.append((a.name, [], node.lineno))
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(mod, is_pkg, node)
                if not target.startswith("leptoportal"):
                    continue
                names = [a.name for a in node.names]
                # "from . import x" imports the submodule x
                subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in mods]
                if subs:
                    edges += [(s, [], node.lineno) for s in subs]
                    names = [n for n in names if f"{target}.{n}" not in mods]
                if names:
                    edges.append((target, names, node.lineno))
        graph[mod] = edges
    return mods, graph, importlib_uses


def test_no_import_points_up():
    _, graph, _ = import_graph()
    bad = []
    for mod, edges in graph.items():
        for target, _, line in edges:
            a, b = room(mod), room(target)
            if a == b:
                continue
            la, lb = LAYER_OF[a], LAYER_OF[b]
            if lb < la or (lb == la and (a, b) not in SAME_LAYER):
                bad.append(f"{mod}:{line} -> {target}  ({a}, layer {la} -> {b}, layer {lb})")
    assert bad == [], "\n".join(sorted(bad))


def test_no_cycles_between_modules():
    mods, graph, _ = import_graph()
    adj = {m: sorted({t for t, _, _ in edges if t in mods and t != m}) for m, edges in graph.items()}
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]

    def strong(v):  # Tarjan
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in adj.get(v, []):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    import sys

    sys.setrecursionlimit(10000)
    for v in adj:
        if v not in index:
            strong(v)
    # a package's __init__ re-exporting its own modules is not a cycle of the design
    sccs = [c for c in sccs if not all(m.startswith(c[0].rsplit(".", 1)[0]) for m in c) or len(c) > 2]
    assert sccs == [], sccs


def test_no_dynamic_import_and_no_private_names_across_modules():
    """importlib.resources / metadata (data files, versions) are fine; import_module is not."""
    _, graph, importlib_uses = import_graph()
    assert importlib_uses == [], importlib_uses
    bad = [f"{mod}:{line} imports {n} from {target}" for mod, edges in graph.items() for target, names, line in edges
           for n in names if n.startswith("_") and not n.startswith("__") and target != mod]
    assert bad == [], "\n".join(bad)


def test_every_internal_import_exists():
    mods, graph, _ = import_graph()
    missing = [f"{mod}:{line} -> {t}" for mod, edges in graph.items() for t, _, line in edges if t not in mods]
    assert missing == [], missing


def test_the_graph_sees_function_local_and_relative_imports():
    mods, graph, _ = import_graph()
    cli_targets = {t for t, _, _ in graph["leptoportal.cli.reach"]}
    assert "leptoportal.plots" in cli_targets  # a function-local "from ..plots import plot_reach"
    assert any(t == "leptoportal.xsec.api" for t, _, _ in graph["leptoportal.cli.xsec"])


#: modules that validate, write or name files but compute no tabulated number
_NO_NUMBERS = {"leptoportal.fileio", "leptoportal.cache", "leptoportal.domains", "leptoportal.errors",
               "leptoportal._version"}


def test_cache_source_lists_cover_what_the_tables_import():
    """Each cached table lists the source files whose bytes key it; the list must hold every
    module its builder imports (directly or not, function-local imports included), so that
    editing any of them rebuilds the table, and nothing else."""
    from leptoportal.analysis import backgrounds
    from leptoportal.detector import muon_loss, track_lengths
    from leptoportal.xsec import tables

    mods, graph, _ = import_graph()

    def closure(start):
        seen, todo = set(), [start]
        while todo:
            m = todo.pop()
            if m in seen or m not in mods:
                continue
            seen.add(m)
            todo += [t for t, _, _ in graph[m]]
        return seen

    for module, sources in ((tables, tables.SOURCES), (track_lengths, track_lengths.SOURCES),
                            (muon_loss, muon_loss.SOURCES), (backgrounds, backgrounds.SOURCES)):
        listed = {module_name(SRC / s) for s in sources}
        assert listed == closure(module.__name__) - _NO_NUMBERS, module.__name__
