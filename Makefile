# Two commands on a fresh machine: `make demo` and `make test`. Everything they need
# (the venv, llmcc itself, the Debian packages the suite uses) is set up here.

PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# Debian packages the suite needs: a real Redis for the shared tier, valgrind for profiles,
# zlib and libpng headers (their example programs are real-world C for the assembly tests),
# bubblewrap for the sandbox's namespaces (docs/verification.md).
APT_PACKAGES := redis-server valgrind zlib1g-dev libpng-dev bubblewrap
JOBS ?= 2

.PHONY: all venv sysdeps demo test test-fast check bench clean help

all: venv

help:
	@echo "make demo   set up and run llmcc on the bundled example (embedded optimizer)"
	@echo "make test   set up and run the whole test suite"
	@echo "make check  ruff, mypy (cache/, gcc_wrapper/compile/) and the native client with -Werror"
	@echo "make bench  benchmarks: build overhead, cache, verification rate, speedups"

# The install builds the native client (gcc_wrapper/compile/client.c) as .venv/bin/llmcc, beside
# the Python entry llmcc-py (setup.py): a change to the client reinstalls. The `dev` extra is the
# test suite's packages and the checkers `make check` runs.
$(STAMP): pyproject.toml setup.py gcc_wrapper/compile/client.c
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --disable-pip-version-check --upgrade pip
	# compat editable mode: a .pth path entry, so the installed `llmcc` imports with no finder overhead
	$(VPY) -m pip install -q --disable-pip-version-check -e '.[dev]' --config-settings editable_mode=compat
	touch $@

venv: $(STAMP)

sysdeps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: venv
	$(VPY) -m gcc_wrapper.tools.demo

# the compile server the suite's builds started is stopped with it (it would idle for 5 minutes)
test: venv sysdeps
	$(VPY) -m pytest -q -n $(JOBS) tests; status=$$?; $(VENV)/bin/llmcc compile-server stop >/dev/null; exit $$status

# leaves out the tests marked slow (wheels, venvs, whole-project builds)
test-fast: venv
	$(VPY) -m pytest -q -x -n $(JOBS) tests -m "not slow"

# Lint (rules in pyproject.toml), formatting (ruff format), types on the compile path, and the
# client as strict as gcc goes.
check: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VPY) -m mypy
	gcc -O2 -Wall -Wextra -Werror -c -o /dev/null gcc_wrapper/compile/client.c

# ccache: bench/build_overhead.py times it beside llmcc, for scale (the suite does not use it)
bench: APT_PACKAGES += ccache
bench: venv sysdeps
	$(VPY) bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache bench/out
