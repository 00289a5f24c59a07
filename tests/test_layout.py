"""The layout the code keeps (ARCHITECTURE.md §1, and the docstring of each package).

Between packages: web -> logger -> storage, transcription -> logger -> storage; web never imports
transcription. Inside `logger`, its capabilities are layered (`LAYERS`): a module imports its own
capability and those below it, never one above, so the CLI is the top and conduct never imports
bundles. No module of the project imports itself through others (no import cycles), and no module
outside tests/ grows past `MAX_LINES`.

Every import counts, including those inside functions and under `TYPE_CHECKING`: a lazy import
is still a dependency, and hiding one to dodge a loop only hides the loop.
"""

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"logger", "storage", "transcription", "web"}
FORBIDDEN = {
    "storage": {"logger", "web", "transcription"},
    "logger": {"web", "transcription", "flask", "whisper", "faster_whisper"},
    "web": {"transcription", "whisper", "faster_whisper", "torch"},
    "transcription": {"web"},
}

# logger's capabilities: the modules each one is (a name covers the module or the package and
# everything in it).
CAPABILITIES = {
    "base": ("logger", "logger.errors", "logger.i18n", "logger.config", "logger.secrets",
             "logger.services", "logger.accounts", "logger.browser_sessions",
             "logger.signin_throttle", "logger.words", "logger.resemblance"),
    "jobs": ("logger.jobs",),
    "record": ("logger.record", "logger.negotiations", "logger.sharing", "logger.members"),
    "promises": ("logger.promises",),
    "tokens": ("logger.tokens",),
    "intake": ("logger.intake",),
    "reminders": ("logger.reminders",),
    "conduct": ("logger.conduct",),
    "extract": ("logger.extract",),
    "bundles": ("logger.bundles",),
    "hardship": ("logger.hardship",),
    "backup": ("logger.backup",),
    "cli": ("logger.cli", "logger.__main__"),
}
# Lowest first. A capability may import those in the layers below its own; the capabilities of
# one layer are independent of each other. The queue sits under the record because asking for a
# new transcription (`logger.record.transcripts`) queues a job. A negotiation is the record's
# root: its edits go to the custody log, and the record (search) checks who may see it (sharing:
# a negotiation shared with a helper; members: accounts managed, their negotiations transferred). API tokens
# read the record's formats, so they are not a base module.
LAYERS = [
    ("base",),
    ("jobs",),
    ("record",),
    ("promises", "tokens"),
    ("intake",),
    ("reminders", "conduct", "extract"),
    ("bundles",),
    ("hardship", "backup"),
    ("cli",),
]
# Named exceptions to the layering: module (or name prefix) -> capabilities it may read besides,
# and why.
READ_SIDE = {
    "logger.record.timeline": (
        {"promises", "reminders", "conduct"},
        "the timeline is the read side of the record: it shows a negotiation's evidence with its "
        "promises, payments, sent reminders and conduct findings in one list, and nothing below "
        "it imports it",
    ),
    "logger.negotiations": (
        {"promises"},
        "the overview of negotiations (`negotiation_statuses`) shows each one's next promised "
        "payment",
    ),
}
# Modules outside logger that may import the CLI, and why.
CLI_PLUGINS = {
    "web.cli": "`liuhen serve` is offered to the CLI through the `liuhen.commands` entry point "
               "and runs under the CLI's Context",
}
MAX_LINES = 400
# The one module allowed to be longer, and why.
LONG_MODULES = {
    "logger/bundles/verify.py": "the verifier copied into every bundle is one file, standard "
                                "library only, so that it runs anywhere on its own",
}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_respect_the_layering(package):
    files = list((ROOT / package).rglob("*.py"))
    assert files, f"package {package} has no modules"
    for path in files:
        wrong = imported_roots(path) & FORBIDDEN[package]
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"


def test_the_checker_sees_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from transcription.engine import load\nimport flask\n")
    assert imported_roots(bad) == {"transcription", "flask"}


# --- Modules and the imports between them ------------------------------------------------------


def project_modules(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    """Dotted name -> file, for every module of `packages` under `root` (a package is its
    `__init__.py`)."""
    found = {}
    for package in packages:
        for path in (root / package).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def module_imports(name: str, path: Path, modules: Iterable[str]) -> set[str]:
    """The project modules `name` (in `path`) imports, anywhere in the file. `from a import b`
    counts as importing the module `a.b` when there is one, else `a`."""
    modules = set(modules)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    found.add(f"{base}.{alias.name}")
                elif base in modules:
                    found.add(base)
    found.discard(name)
    return found


def import_graph(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, set[str]]:
    modules = project_modules(root, packages)
    return {name: module_imports(name, path, modules) for name, path in modules.items()}


def capability_of(module: str) -> str | None:
    """The capability of a module of logger (the longest name in CAPABILITIES that covers it);
    None for a module in no capability, or outside logger."""
    best, length = None, -1
    for capability, names in CAPABILITIES.items():
        for covered in names:
            exact_only = covered == "logger"   # the package itself, not all it holds
            if module == covered or (not exact_only and module.startswith(covered + ".")):
                if len(covered) > length:
                    best, length = capability, len(covered)
    return best


def layer_index(capability: str) -> int:
    return next(i for i, layer in enumerate(LAYERS) if capability in layer)


def may_import(module: str, capability: str, target: str) -> bool:
    if target == capability or layer_index(target) < layer_index(capability):
        return True
    return any((module == name or module.startswith((name + "_", name + ".")))
               and target in allowed for name, (allowed, _) in READ_SIDE.items())


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    """Every import between logger's capabilities that goes upward, sideways inside a layer, or
    into the CLI from outside logger (unless CLI_PLUGINS names the importer); and every module
    of logger in no capability."""
    problems = []
    for module, targets in sorted(graph.items()):
        capability = capability_of(module)
        if module.split(".")[0] == "logger" and capability is None:
            problems.append(f"{module} belongs to no capability: add it to CAPABILITIES in "
                            "tests/test_layout.py")
            continue
        for target in sorted(targets):
            wanted = capability_of(target)
            if wanted is None:
                continue
            if capability is None:
                if wanted == "cli" and module not in CLI_PLUGINS:
                    problems.append(f"{module} imports {target}: only the CLI's plugins "
                                    f"({', '.join(CLI_PLUGINS)}) import the CLI; move what it "
                                    "needs below it")
            elif not may_import(module, capability, wanted):
                problems.append(f"{module} ({capability}) imports {target} ({wanted}), which is "
                                f"not below it in LAYERS")
    return problems


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []

    def visit(start: str) -> None:
        # Iterative, so a deep chain of imports cannot hit the recursion limit.
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(groups)


def long_modules(root: Path) -> list[str]:
    """Python files outside tests/ (and hidden or build folders) longer than MAX_LINES."""
    found = []
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if relative.parts[0] in ("tests", "build", "dist") or \
                any(part.startswith(".") or part.endswith(".egg-info") for part in relative.parts):
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and relative.as_posix() not in LONG_MODULES:
            found.append(f"{relative.as_posix()} has {lines} lines")
    return found


# --- The rules, on the project ------------------------------------------------------------------


def test_the_layers_keep_the_rules_of_the_issue():
    assert LAYERS[-1] == ("cli",), "the CLI is the top of logger"
    assert layer_index("conduct") < layer_index("bundles"), "conduct does not import bundles"
    listed = [capability for layer in LAYERS for capability in layer]
    assert sorted(listed) == sorted(CAPABILITIES) and len(listed) == len(set(listed))


def test_logger_imports_only_downward():
    assert layer_violations(import_graph(ROOT)) == []


def without_blueprint_wiring(graph: dict[str, set[str]], root: Path) -> dict[str, set[str]]:
    """The graph less one kind of edge: a route module of a blueprint package importing its own
    package (`from web.evidence import bp`). The package's `__init__.py` creates `bp` and then
    imports its route modules so that their routes are registered (STYLE.md: a blueprint is one
    module or one package); that is wiring inside one package, not a loop between two things."""
    def is_blueprint_package(name: str) -> bool:
        init = root.joinpath(*name.split("."), "__init__.py")
        return name.startswith("web.") and init.is_file() and \
            "bp = Blueprint(" in init.read_text(encoding="utf-8")
    return {module: {target for target in targets
                     if not (module.rpartition(".")[0] == target and is_blueprint_package(target))}
            for module, targets in graph.items()}


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_import_cycles(package):
    # Per package: the package rules above already keep any cycle inside one package.
    graph = without_blueprint_wiring(import_graph(ROOT, [package]), ROOT)
    assert import_cycles(graph) == []


def test_no_module_outside_tests_is_too_long():
    assert long_modules(ROOT) == []


# --- The checkers can fail ----------------------------------------------------------------------


def write(root: Path, name: str, text: str = "") -> None:
    path = root.joinpath(*name.split(".")).with_suffix(".py")
    path.parent.mkdir(parents=True, exist_ok=True)
    for parent in path.relative_to(root).parents:
        if parent != Path("."):
            (root / parent / "__init__.py").touch()
    path.write_text(text, encoding="utf-8")


def test_the_layer_checker_sees_upward_sideways_and_unplaced_imports(tmp_path):
    write(tmp_path, "logger.bundles.build")
    write(tmp_path, "logger.cli.main")
    write(tmp_path, "logger.reminders.reminders")
    write(tmp_path, "logger.conduct.report", "from logger.bundles import build\n")
    write(tmp_path, "logger.record.custody",
          "def later():\n    from logger.cli.main import main\n")
    write(tmp_path, "logger.extract.emails", "import logger.reminders.reminders\n")
    write(tmp_path, "logger.record.timeline", "from logger.reminders.reminders import due\n")
    write(tmp_path, "logger.search", "")
    write(tmp_path, "transcription.cli", "from logger.cli.main import Context\n")
    write(tmp_path, "web.cli", "from logger.cli.main import Context\n")
    problems = layer_violations(import_graph(tmp_path))
    assert problems == [
        "logger.conduct.report (conduct) imports logger.bundles.build (bundles), which is not "
        "below it in LAYERS",
        "logger.extract.emails (extract) imports logger.reminders.reminders (reminders), which "
        "is not below it in LAYERS",
        "logger.record.custody (record) imports logger.cli.main (cli), which is not below it in "
        "LAYERS",
        "logger.search belongs to no capability: add it to CAPABILITIES in tests/test_layout.py",
        "transcription.cli imports logger.cli.main: only the CLI's plugins (web.cli) import the "
        "CLI; move what it needs below it",
    ]


def test_the_cycle_checker_sees_a_loop_through_a_lazy_import(tmp_path):
    write(tmp_path, "logger.cli.payments", "from logger.cli.promises import actor_for\n")
    write(tmp_path, "logger.cli.promises", "def register():\n    from logger.cli import payments\n")
    write(tmp_path, "logger.intake.filemeta.audio",
          "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
          "    from logger.intake.filemeta import FileMetadata\n")
    (tmp_path / "logger/intake/filemeta/__init__.py").write_text(
        "from . import audio\n", encoding="utf-8")
    assert import_cycles(import_graph(tmp_path, ["logger"])) == [
        ["logger.cli.payments", "logger.cli.promises"],
        ["logger.intake.filemeta", "logger.intake.filemeta.audio"],
    ]


def test_the_length_checker_sees_a_long_module(tmp_path):
    write(tmp_path, "logger.bundles.verify", "pass\n" * (MAX_LINES + 1))
    write(tmp_path, "logger.config", "pass\n" * (MAX_LINES + 1))
    write(tmp_path, "tests.test_long", "pass\n" * (MAX_LINES + 1))
    assert long_modules(tmp_path) == [f"logger/config.py has {MAX_LINES + 1} lines"]


def test_the_blueprint_wiring_hides_no_other_loop(tmp_path):
    write(tmp_path, "web.evidence.pages", "from web.evidence import bp\nfrom web.evidence import files\n")
    write(tmp_path, "web.evidence.files", "from web.evidence import bp, pages\n")
    (tmp_path / "web/evidence/__init__.py").write_text(
        "from flask import Blueprint\nbp = Blueprint('evidence', __name__)\n"
        "from web.evidence import files, pages\n", encoding="utf-8")
    write(tmp_path, "web.timeline", "from web import search\n")
    write(tmp_path, "web.search", "import web.timeline\n")
    graph = without_blueprint_wiring(import_graph(tmp_path, ["web"]), tmp_path)
    assert import_cycles(graph) == [["web.evidence.files", "web.evidence.pages"],
                                    ["web.search", "web.timeline"]]
