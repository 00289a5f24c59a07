"""Turn the embedded CTranslate2 Whisper model back into an openai-whisper checkpoint.

The openai-whisper engine (transcription.engines.openai_whisper) runs OpenAI's own code, which
loads a `{"dims": ..., "model_state_dict": ...}` file with `whisper.load_model(path)`. Liuhen
ships the model only in CTranslate2 form (transcription.engines.weights), so the checkpoint is
rebuilt from `model.bin` on first use and cached next to it; nothing is downloaded.

`model.bin` (ctranslate2/specs/model_spec.py `_serialize`, little-endian): u32 binary version,
string spec name, u32 revision, u32 variable count, then per variable: string name, u8 rank,
u32 per dimension, u8 dtype (float32, int8, int16, int32, float16, bfloat16), u32 byte count,
raw data; then u32 alias count and (alias, target) string pairs. A string is a u16 length
(counting a trailing NUL), the UTF-8 bytes and the NUL.
"""

from __future__ import annotations

import os
import struct
import tempfile
from pathlib import Path
from typing import BinaryIO

import numpy as np

from storage.fsutil import fsync_dir
from transcription.engines.base import TranscriptionError
from transcription.engines.weights import locked, ensure_default_model

CHECKPOINT_NAME = "whisper-base-openai.pt"
_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
_SUPPORTED_VERSIONS = range(1, 7)


class ConversionError(TranscriptionError):
    """The CTranslate2 model could not be read or mapped; the message says why."""


def read_ct2_model(path: Path) -> tuple[str, dict[str, np.ndarray]]:
    """(spec name, variables by name) from a CTranslate2 `model.bin`, aliases resolved to
    the array they name. Scalars come back as 0-d arrays. Raises ConversionError."""
    with open(path, "rb") as f:
        try:
            return _read(f)
        except (struct.error, ValueError, KeyError, UnicodeDecodeError) as e:
            raise ConversionError(f"{path} is not a CTranslate2 model this version can read "
                                  f"({e})") from None


def _read(f: BinaryIO) -> tuple[str, dict[str, np.ndarray]]:
    def number(fmt: str) -> int:
        size = struct.calcsize("<" + fmt)
        data = f.read(size)
        return struct.unpack("<" + fmt, data)[0]

    def string() -> str:
        length = number("H")
        return f.read(length)[:-1].decode("utf-8")

    version = number("I")
    if version not in _SUPPORTED_VERSIONS:
        raise ValueError(f"binary version {version}")
    spec = string() if version >= 2 else ""
    if version >= 3:
        number("I")  # the spec revision: the variable names below say all we need
    variables: dict[str, np.ndarray] = {}
    for _ in range(number("I")):
        name = string()
        shape = tuple(number("I") for _ in range(number("B")))
        dtype = _DTYPES[number("B")]
        data = f.read(number("I"))
        if dtype == "bfloat16":  # the high half of a float32
            raw = np.frombuffer(data, dtype="<u2").astype(np.uint32) << 16
            array = raw.view(np.float32)
        else:
            array = np.frombuffer(data, dtype=np.dtype(dtype).newbyteorder("<"))
        variables[name] = array.reshape(shape)
    if version >= 5:
        for _ in range(number("I")):
            alias, target = string(), string()
            variables[alias] = variables[target]
    return spec, variables


def _float(variables: dict[str, np.ndarray], name: str) -> np.ndarray:
    """The variable `name` as float32; int8/int16 weights are divided by their `_scale`
    (CTranslate2 stores round(weight * scale), one scale per output row)."""
    try:
        value = variables[name]
    except KeyError:
        raise ConversionError(f"the CTranslate2 model has no variable {name!r}") from None
    if value.dtype in (np.int8, np.int16):
        scale = variables[f"{name}_scale"].astype(np.float32)
        if scale.ndim == 1:
            scale = scale.reshape((-1,) + (1,) * (value.ndim - 1))
        return value.astype(np.float32) / scale
    return value.astype(np.float32)


def _count_layers(variables: dict[str, np.ndarray], stack: str) -> int:
    count = 0
    while f"{stack}/layer_{count}/ffn/linear_0/weight" in variables:
        count += 1
    return count


def to_openai_checkpoint(variables: dict[str, np.ndarray]) -> dict:
    """The openai-whisper checkpoint (`dims` and a `model_state_dict` of float32 torch
    tensors) for a WhisperSpec's variables. Raises ConversionError."""
    import torch

    state: dict[str, np.ndarray] = {}
    encoder_layers = _count_layers(variables, "encoder")
    decoder_layers = _count_layers(variables, "decoder")
    if not encoder_layers or not decoder_layers:
        raise ConversionError("the CTranslate2 model is not a Whisper model (no encoder or "
                              "decoder layers)")

    def linear(target: str, source: str, bias: bool = True) -> None:
        state[f"{target}.weight"] = _float(variables, f"{source}/weight")
        if bias:
            state[f"{target}.bias"] = _float(variables, f"{source}/bias")

    def norm(target: str, source: str) -> None:
        state[f"{target}.weight"] = _float(variables, f"{source}/gamma")
        state[f"{target}.bias"] = _float(variables, f"{source}/beta")

    def split(target: str, source: str, names: tuple[str, ...]) -> None:
        """A fused projection (query/key/value or key/value) back into its parts; the
        key has no bias in openai-whisper (CTranslate2 stores zeros there)."""
        weights = np.split(_float(variables, f"{source}/weight"), len(names))
        biases = np.split(_float(variables, f"{source}/bias"), len(names))
        for name, weight, bias in zip(names, weights, biases, strict=True):
            state[f"{target}.{name}.weight"] = weight
            if name != "key":
                state[f"{target}.{name}.bias"] = bias

    def block(target: str, source: str, cross: bool) -> None:
        split(f"{target}.attn", f"{source}/self_attention/linear_0", ("query", "key", "value"))
        linear(f"{target}.attn.out", f"{source}/self_attention/linear_1")
        norm(f"{target}.attn_ln", f"{source}/self_attention/layer_norm")
        if cross:
            linear(f"{target}.cross_attn.query", f"{source}/attention/linear_0")
            split(f"{target}.cross_attn", f"{source}/attention/linear_1", ("key", "value"))
            linear(f"{target}.cross_attn.out", f"{source}/attention/linear_2")
            norm(f"{target}.cross_attn_ln", f"{source}/attention/layer_norm")
        linear(f"{target}.mlp.0", f"{source}/ffn/linear_0")
        linear(f"{target}.mlp.2", f"{source}/ffn/linear_1")
        norm(f"{target}.mlp_ln", f"{source}/ffn/layer_norm")

    linear("encoder.conv1", "encoder/conv1")
    linear("encoder.conv2", "encoder/conv2")
    state["encoder.positional_embedding"] = _float(variables,
                                                   "encoder/position_encodings/encodings")
    for i in range(encoder_layers):
        block(f"encoder.blocks.{i}", f"encoder/layer_{i}", cross=False)
    norm("encoder.ln_post", "encoder/layer_norm")

    state["decoder.token_embedding.weight"] = _float(variables, "decoder/embeddings/weight")
    state["decoder.positional_embedding"] = _float(variables,
                                                   "decoder/position_encodings/encodings")
    for i in range(decoder_layers):
        block(f"decoder.blocks.{i}", f"decoder/layer_{i}", cross=True)
    norm("decoder.ln", "decoder/layer_norm")
    projection = variables.get("decoder/projection/weight")
    if projection is not None and projection is not variables["decoder/embeddings/weight"] \
            and not np.array_equal(_float(variables, "decoder/projection/weight"),
                                   state["decoder.token_embedding.weight"]):
        raise ConversionError("the CTranslate2 model's output projection is not tied to its "
                              "token embedding, which openai-whisper requires")

    text_state = state["decoder.token_embedding.weight"].shape[1]
    audio_state = state["encoder.conv2.weight"].shape[0]
    dims = {
        "n_mels": int(state["encoder.conv1.weight"].shape[1]),
        "n_audio_ctx": int(state["encoder.positional_embedding"].shape[0]),
        "n_audio_state": int(audio_state),
        "n_audio_head": int(_heads(variables, "encoder", audio_state)),
        "n_audio_layer": encoder_layers,
        "n_vocab": int(state["decoder.token_embedding.weight"].shape[0]),
        "n_text_ctx": int(state["decoder.positional_embedding"].shape[0]),
        "n_text_state": int(text_state),
        "n_text_head": int(_heads(variables, "decoder", text_state)),
        "n_text_layer": decoder_layers,
    }
    return {"dims": dims,
            "model_state_dict": {k: torch.from_numpy(np.ascontiguousarray(v))
                                 for k, v in state.items()}}


def _heads(variables: dict[str, np.ndarray], stack: str, width: int) -> int:
    """Attention heads: stored since spec revision 3; older files follow Whisper's 64 per
    head."""
    stored = variables.get(f"{stack}/num_heads")
    return int(stored) if stored is not None else width // 64


def convert(ct2_dir: Path, out_path: Path) -> Path:
    """Write the openai-whisper checkpoint for the CTranslate2 Whisper model in `ct2_dir` to
    `out_path`, atomically (a temporary file in the same folder, fsynced, then renamed).
    Returns `out_path`. Raises ConversionError and OSError."""
    import torch

    spec, variables = read_ct2_model(Path(ct2_dir) / "model.bin")
    if spec and spec != "WhisperSpec":
        raise ConversionError(f"{ct2_dir} holds a {spec}, not a Whisper model")
    checkpoint = to_openai_checkpoint(variables)
    out_path = Path(out_path)
    fd, temp = tempfile.mkstemp(prefix=f".{out_path.name}.", dir=out_path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            torch.save(checkpoint, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, out_path)
        fsync_dir(out_path.parent)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return out_path


def ensure_openai_checkpoint(cache_dir: Path) -> Path:
    """`cache_dir / "whisper-base-openai.pt"`, converted from the embedded model the first
    time (under a lock file, so parallel workers convert once). A checkpoint older than the
    CTranslate2 model it came from is converted again. Raises ModelUnavailable,
    ConversionError and OSError."""
    cache_dir = Path(cache_dir)
    source = ensure_default_model(cache_dir)
    target = cache_dir / CHECKPOINT_NAME

    def fresh() -> bool:
        try:
            return target.stat().st_mtime >= (source / "model.bin").stat().st_mtime
        except OSError:
            return False

    if fresh():
        return target
    with locked(cache_dir / f".{CHECKPOINT_NAME}.lock"):
        if not fresh():  # another process may have finished while we waited
            convert(source, target)
    return target
