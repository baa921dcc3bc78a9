# musegen — `make run` and `make test` set everything up themselves on a fresh Debian machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := fluidsynth fluid-soundfont-gm sox libsox-fmt-all
TEST_APT_PACKAGES := chromium

.PHONY: run test bench quality transfer study setup sysdeps test-sysdeps models datasets clean lock

# Localhost only unless HOST says otherwise (make run HOST=0.0.0.0 serves the local network); no
# file watcher (it would watch .venv too): restart to see code changes, or add DEV=1.
# On localhost one person owns every run (MUSEGEN_SINGLE_USER=1); served to others, each visitor
# owns their own (musegen/serve/visitors.py).
HOST ?= 127.0.0.1
SINGLE_USER = $(if $(filter 127.0.0.1 localhost,$(HOST)),1,0)
run: setup
	MUSEGEN_SINGLE_USER=$${MUSEGEN_SINGLE_USER:-$(SINGLE_USER)} $(PY) -m streamlit run app.py --server.address $(HOST) --server.fileWatcherType $(if $(DEV),auto,none)

# Two test processes (pytest-xdist), each module whole in one: the suite waits on browsers, servers
# and subprocesses as much as it computes, and measured 13.5 min this way against CI's 18 serially.
# TEST_WORKERS=1 runs it in one process.
TEST_WORKERS ?= 2
test: setup test-sysdeps
	$(PY) -m pytest -q $(if $(filter-out 0 1,$(TEST_WORKERS)),-n $(TEST_WORKERS) --dist loadfile)

bench: setup
	$(PY) bench/run.py
	$(PY) -m bench.steering
	$(PY) -m bench.load
	$(PY) -m bench.visitors
	$(PY) -m bench.scale
	$(PY) -m bench.compiled
	$(PY) -m bench.trainspeed
	$(PY) -m bench.stop_latency
	$(PY) -m bench.reading

# Pulse, form, parts and accompaniment, measured against held-out real music: writes docs/quality.md,
# docs/form.md, docs/accompany.md and their folders.
quality: setup
	$(PY) -m bench.quality
	$(PY) -m bench.form
	$(PY) -m bench.accompany

# Your own music in minutes: fine-tuning the base vs a new model on collections the base never saw,
# for budgets of 1, 2 and 5 minutes: writes docs/transfer.md + docs/transfer/ (~40 min a seed on two cores).
transfer: setup
	$(PY) -m bench.transfer
	$(PY) -m bench.base_harmony

# WaveNet vs LSTM, measured: trains each model for the same time, writes docs/study.md + docs/study/.
study: setup
	$(PY) -m bench.study

# Debian packages: FluidSynth + a General MIDI soundfont (audio), sox (audio checks), venv support.
sysdeps:
	@missing=""; \
	command -v fluidsynth >/dev/null || missing="$$missing fluidsynth"; \
	[ -e /usr/share/sounds/sf2/FluidR3_GM.sf2 ] || [ -n "$$MUSEGEN_SOUNDFONT" ] || missing="$$missing fluid-soundfont-gm"; \
	command -v sox >/dev/null || missing="$$missing sox libsox-fmt-all"; \
	$(PYTHON) -c "import ensurepip" 2>/dev/null || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

test-sysdeps:
	@command -v chromium >/dev/null || { echo "Installing Chromium for the browser tests"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $(TEST_APT_PACKAGES); }

# GPU=1 (make run GPU=1, make test GPU=1; Linux with an NVIDIA driver): TensorFlow with CUDA, at the
# version constraints.txt pins, instead of the CPU-only build (the default: the hosted demo's small
# install). On x86_64 the two builds are two packages, tensorflow-cpu and tensorflow, that install the
# same `tensorflow` folder: with both, the second overwrites the first's files and uninstalling
# either breaks the other. So either way the other build goes first, and each way has its own stamp.
TF_VERSION := $(shell sed -n 's/^tensorflow_cpu==//p' constraints.txt)
ONE_TF_BUILD := $(filter x86_64,$(shell uname -m))
INSTALLED := $(VENV)/.installed$(if $(GPU),-gpu)

$(INSTALLED): requirements.txt requirements-dev.txt pyproject.toml constraints.txt
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	rm -f $(VENV)/.installed $(VENV)/.installed-gpu
	$(if $(ONE_TF_BUILD),$(PY) -m pip uninstall -q -y tensorflow)
	$(PY) -m pip install -q -r requirements-dev.txt -c constraints.txt
	$(if $(GPU),$(if $(ONE_TF_BUILD),$(PY) -m pip uninstall -q -y tensorflow-cpu))
	$(if $(GPU),$(PY) -m pip install -q "tensorflow[and-cuda]==$(TF_VERSION)" -c constraints.txt)
	touch $@

# Pin what is installed now (after changing a dependency, then `make test`).
lock: setup
	@[ -z "$(GPU)" ] || { echo "make lock pins the CPU install that the demo and make run use: run it without GPU=1"; exit 1; }
	{ sed -n '1,2p' constraints.txt; $(PY) -m pip freeze --exclude-editable | grep -v '^musegen'; } > constraints.tmp
	mv constraints.tmp constraints.txt

setup: sysdeps $(INSTALLED)

# Rebuild the bundled pretrained runs in assets/models/ (documented in the README).
models: setup
	$(PY) -m musegen.train.bundled

# Rebuild the pre-parsed built-in datasets in assets/datasets/ (after changing how files are parsed,
# bumping cachekeys.CACHE_VERSION or upgrading music21): a fresh install reads them instead of parsing for minutes.
datasets: setup
	$(PY) -m musegen.music.ship

clean:
	rm -rf $(VENV) .pytest_cache tests/output
