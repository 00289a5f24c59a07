"""The code of an older commit, for benches that print the working tree's figures beside a
baseline's in the same run: `baseline_tree` unpacks the commit's `logger` and `storage` (or the
`packages` named) into a folder, which a bench puts first on PYTHONPATH of a process of its own."""

from __future__ import annotations

import subprocess
import tarfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def baseline_tree(rev: str, folder: Path, packages: tuple[str, ...] = ("logger", "storage")
                  ) -> Path:
    archive = subprocess.run(["git", "archive", rev, *packages], cwd=ROOT,
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    return folder
