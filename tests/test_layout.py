"""The import direction of ARCHITECTURE.md §1: web -> logger -> storage,
transcription -> logger -> storage; web never imports transcription."""

import ast
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
