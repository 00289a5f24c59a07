"""The backup tests' world: a data dir with several items (the `services` fixture's, at
tmp_path/data, the one the `cli` fixture works on), a backup folder beside it, and the config
of a second, empty data dir to restore into."""

import pytest

from tests.support.backups import fill


@pytest.fixture
def world(services):
    return fill(services)


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "backup"


@pytest.fixture
def fresh(config, tmp_path):
    """The config of a new data dir on another machine (nothing there yet)."""
    return config.with_data_dir(tmp_path / "restored")
