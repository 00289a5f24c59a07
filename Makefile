# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The speaker encoder's weights, without the torch its metadata asks for (pyproject.toml, extra
# "speakers").
SPEAKERS := 'resemblyzer==0.1.4'

.PHONY: run test bench clean

$(VENV)/.installed-run: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m pip install --quiet --no-deps $(SPEAKERS)
	touch $@

$(VENV)/.installed-test: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,openai-whisper]'
	$(BIN)/python -m pip install --quiet --no-deps $(SPEAKERS)
	touch $@ $(VENV)/.installed-run

# Serves http://127.0.0.1:8000 (another port: make run PORT=8080); on the first visit the browser creates ./data (passphrase, account).
run: $(VENV)/.installed-run
	$(BIN)/liuhen --data-dir data serve --host 127.0.0.1 --port $(PORT)

test: $(VENV)/.installed-test
	tools/system-packages.sh
	$(BIN)/python -m pytest

bench: $(VENV)/.installed-test
	$(BIN)/python bench/blob_throughput.py
	$(BIN)/python bench/verify_throughput.py
	$(BIN)/python bench/crash_import.py
	$(BIN)/python bench/transcribe.py
	$(BIN)/python bench/ocr.py
	$(BIN)/python bench/chat_screenshots.py
	$(BIN)/python bench/email_import.py
	$(BIN)/python bench/promise_extraction.py
	$(BIN)/python bench/conduct_language.py
	$(BIN)/python bench/timeline.py
	$(BIN)/python bench/upload_memory.py
	$(BIN)/python bench/export_bundle.py

clean:
	rm -rf $(VENV) build *.egg-info
