"""Naming a larger model: refused in plain words while `transcription.allow_download` is off;
fetched into the models folder on first use when it is on.

The downloads go to real HTTP servers on loopback standing in for the internet: for
openai-whisper, one serving a real checkpoint (the embedded model, converted; it has base.en's
shape, so it stands in for "base.en") under the URL whisper's model table names; for faster-whisper, one standing in for the Hugging Face hub (it
answers 404, so the test sees the request and the plain error)."""

from __future__ import annotations

import hashlib
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import whisper

from logger.config import TranscriptionConfig
from transcription.audio import decode_audio
from transcription.engines import make_engine
from transcription.engines.convert import ensure_openai_checkpoint
from transcription.engines.weights import ModelUnavailable

pytestmark = [
    pytest.mark.slow,
    # openai-whisper's downloader reads the checkpoint back with open(...).read() and never
    # closes it; CPython reports the leaked file when it is collected.
    pytest.mark.filterwarnings("ignore:Exception ignored in.*openai-whisper/base\\.en\\.pt"
                               ":pytest.PytestUnraisableExceptionWarning"),
]


class Recorder(http.server.SimpleHTTPRequestHandler):
    """Serves files from the server's `root`; remembers every path asked for."""

    def __init__(self, request, client_address, server):
        super().__init__(request, client_address, server, directory=str(server.root))

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.server.asked.append(self.path)
        super().do_GET()

    def do_HEAD(self):  # noqa: N802
        self.server.asked.append(self.path)
        super().do_HEAD()

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.root, server.asked = root, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


def jfk(testdata: Path) -> np.ndarray:
    with open(testdata / "audio" / "jfk.flac", "rb") as f:
        return decode_audio(f).channels[0]


def test_openai_whisper_downloads_a_named_model_only_when_allowed(http_server, models, tmp_path,
                                                                 testdata, monkeypatch):
    checkpoint = ensure_openai_checkpoint(models)
    digest = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    (http_server.root / digest).mkdir()
    os.link(checkpoint, http_server.root / digest / "base.en.pt")
    url = f"http://127.0.0.1:{http_server.server_port}/{digest}/base.en.pt"
    monkeypatch.setitem(whisper._MODELS, "base.en", url)
    cache = tmp_path / "cache"
    audio = jfk(testdata)

    offline = make_engine(TranscriptionConfig(engine="openai-whisper", model="base.en"),
                          cache_dir=cache)
    with pytest.raises(ModelUnavailable, match="downloads are off"):
        offline.transcribe(audio, language="en")
    assert http_server.asked == []

    online = make_engine(TranscriptionConfig(engine="openai-whisper", model="base.en",
                                             allow_download=True), cache_dir=cache)
    text = online.transcribe(audio, language="en").text
    assert "country" in text.lower()
    assert http_server.asked == [f"/{digest}/base.en.pt"]
    assert (cache / "openai-whisper" / "base.en.pt").stat().st_size == checkpoint.stat().st_size

    # Once there, the model is used without the network even with downloads off.
    again = make_engine(TranscriptionConfig(engine="openai-whisper", model="base.en", threads=1),
                        cache_dir=cache)
    assert "country" in again.transcribe(audio, language="en").text.lower()
    assert len(http_server.asked) == 1


def test_openai_whisper_says_when_the_download_fails(tmp_path, monkeypatch, testdata):
    with socket_closed_port() as port:
        monkeypatch.setitem(whisper._MODELS, "base.en", f"http://127.0.0.1:{port}/{'0' * 64}/base.en.pt")
        engine = make_engine(TranscriptionConfig(engine="openai-whisper", model="base.en",
                                                 allow_download=True), cache_dir=tmp_path)
        with pytest.raises(ModelUnavailable, match="model 'base.en' could not be downloaded"):
            engine.transcribe(jfk(testdata), language="en")


class socket_closed_port:
    """A loopback port nobody listens on, for as long as the block runs."""

    def __enter__(self) -> int:
        import socket
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]  # bound but not listening: connections are refused

    def __exit__(self, *exc) -> None:
        self.sock.close()


FASTER_DOWNLOAD = """
import sys
import numpy as np
from logger.config import TranscriptionConfig
from transcription.engines import make_engine
from transcription.engines.weights import ModelUnavailable
engine = make_engine(TranscriptionConfig(model="small", allow_download=True),
                     cache_dir=sys.argv[1])
try:
    engine.transcribe(np.zeros(16000, dtype=np.float32))
except ModelUnavailable as e:
    print(e)
"""


def test_faster_whisper_asks_the_hub_for_a_named_model_when_allowed(http_server, tmp_path):
    # In a child process: huggingface_hub reads HF_ENDPOINT and HF_HUB_OFFLINE when imported.
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env["HF_ENDPOINT"] = f"http://127.0.0.1:{http_server.server_port}"
    done = subprocess.run([sys.executable, "-c", FASTER_DOWNLOAD, str(tmp_path / "cache")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert "model 'small' could not be downloaded" in done.stdout, done.stdout + done.stderr
    assert any("Systran/faster-whisper-small" in path for path in http_server.asked), \
        http_server.asked
