"""Reading a PyTorch checkpoint's tensors into numpy without importing torch.

The speaker encoder's weights are resemblyzer's `pretrained.pt`, which sits inside the
resemblyzer wheel (installed with `--no-deps`, so torch is not pulled in). That file is in
torch's legacy format: five pickles in a row (magic number, protocol version, system info, the
object, the storage keys), then each storage's raw bytes preceded by its element count. The newer
zip format (`archive/data.pkl` plus `archive/data/<key>`) is read too.

Unpickling is restricted: `find_class` allows only an ordered dict, the tensor rebuild functions
and the float storage types, so a tampered file cannot run code; anything else raises
UnsafeCheckpoint.
"""

from __future__ import annotations

import collections
import importlib.util
import pickle
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001
_STORAGE_DTYPES = {
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "HalfStorage": np.dtype("<f2"),
}


class UnsafeCheckpoint(Exception):
    """The checkpoint names something other than plain tensors and dicts, or is malformed."""


class EncoderWeightsMissing(Exception):
    """resemblyzer (the package that carries the speaker encoder's weights) is not installed."""

    def __init__(self) -> None:
        super().__init__("the speaker encoder's weights are missing: install them with "
                         "`pip install --no-deps resemblyzer==0.1.4`")


def resemblyzer_weights_path() -> Path:
    """Where resemblyzer's `pretrained.pt` is, found without importing resemblyzer (its
    `__init__` imports torch). Raises EncoderWeightsMissing."""
    spec = importlib.util.find_spec("resemblyzer")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = Path(folder) / "pretrained.pt"
        if path.is_file():
            return path
    raise EncoderWeightsMissing()


@dataclass
class _Storage:
    dtype: np.dtype
    numel: int
    data: np.ndarray | None = None


@dataclass
class _PendingTensor:
    """A tensor named while unpickling; in the legacy format its bytes come after the pickle."""
    storage: _Storage
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]

    def materialise(self) -> np.ndarray:
        data = self.storage.data
        if data is None:
            raise UnsafeCheckpoint("a tensor refers to a storage the file does not contain")
        if self.shape and self.offset + sum((n - 1) * s for n, s in zip(self.shape, self.stride)) \
                >= len(data):
            raise UnsafeCheckpoint("a tensor reaches past the end of its storage")
        view = np.lib.stride_tricks.as_strided(
            data[self.offset:], shape=self.shape,
            strides=[s * data.itemsize for s in self.stride])
        return np.array(view, dtype=np.float32)


def _rebuild_tensor(storage, offset, shape, stride, *_ignored) -> _PendingTensor:
    if not isinstance(storage, _Storage):
        raise UnsafeCheckpoint("a tensor was built from something other than a storage")
    return _PendingTensor(storage, int(offset), tuple(shape), tuple(stride))


def _rebuild_parameter(tensor, *_ignored):
    return tensor


class _StorageType:
    def __init__(self, name: str):
        self.dtype = _STORAGE_DTYPES[name]


_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    **{("torch", name): _StorageType(name) for name in _STORAGE_DTYPES},
}


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: BinaryIO, storages: dict[str, _Storage]):
        super().__init__(file)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafeCheckpoint(f"the checkpoint names {module}.{name}, which a weights "
                                   "file has no reason to contain") from None

    def persistent_load(self, pid: Any) -> _Storage:
        # legacy: ('storage', type, key, location, numel, view); zip: the same without view
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"
                and isinstance(pid[1], _StorageType)):
            raise UnsafeCheckpoint(f"unexpected persistent id {pid!r:.80}")
        if len(pid) == 6 and pid[5] is not None:
            raise UnsafeCheckpoint("storage views are not supported")
        key = str(pid[2])
        if key not in self.storages:
            self.storages[key] = _Storage(pid[1].dtype, int(pid[4]))
        return self.storages[key]


def load_state(path: str | Path) -> dict[str, np.ndarray]:
    """Every tensor of a torch checkpoint as float32 numpy arrays, by name. A checkpoint that
    wraps its state dict (resemblyzer's keeps it under "model_state") is unwrapped.
    Raises UnsafeCheckpoint."""
    path = Path(path)
    if zipfile.is_zipfile(path):
        obj, storages = _load_zip(path)
    else:
        obj, storages = _load_legacy(path)
    if isinstance(obj, dict) and "model_state" in obj:
        obj = obj["model_state"]
    if not isinstance(obj, dict):
        raise UnsafeCheckpoint("the checkpoint holds no dictionary of tensors")
    return {name: value.materialise() for name, value in obj.items()
            if isinstance(value, _PendingTensor)}


def _load_legacy(path: Path) -> tuple[Any, dict[str, _Storage]]:
    storages: dict[str, _Storage] = {}
    with open(path, "rb") as f:
        header = [_Unpickler(f, storages).load() for _ in range(3)]
        if header[0] != _LEGACY_MAGIC or header[1] != _LEGACY_PROTOCOL:
            raise UnsafeCheckpoint("not a PyTorch checkpoint")
        if not header[2].get("little_endian", False):
            raise UnsafeCheckpoint("big-endian checkpoints are not supported")
        obj = _Unpickler(f, storages).load()
        keys = _Unpickler(f, storages).load()
        for key in keys:
            storage = storages[str(key)]
            (numel,) = struct.unpack("<q", f.read(8))
            if numel != storage.numel:
                raise UnsafeCheckpoint(f"storage {key} holds {numel} values, not {storage.numel}")
            raw = f.read(numel * storage.dtype.itemsize)
            if len(raw) != numel * storage.dtype.itemsize:
                raise UnsafeCheckpoint("the checkpoint is truncated")
            storage.data = np.frombuffer(raw, dtype=storage.dtype)
    return obj, storages


def _load_zip(path: Path) -> tuple[Any, dict[str, _Storage]]:
    storages: dict[str, _Storage] = {}
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise UnsafeCheckpoint("the archive holds no single data.pkl")
        prefix = pickles[0][: -len("data.pkl")]
        with archive.open(pickles[0]) as f:
            obj = _Unpickler(f, storages).load()
        for key, storage in storages.items():
            raw = archive.read(f"{prefix}data/{key}")
            storage.data = np.frombuffer(raw, dtype=storage.dtype)
            if len(storage.data) < storage.numel:
                raise UnsafeCheckpoint(f"storage {key} is truncated")
    return obj, storages
