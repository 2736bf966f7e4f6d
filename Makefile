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

.PHONY: all venv sysdeps demo test test-fast bench clean help

all: venv

help:
	@echo "make demo   set up and run llmcc on the bundled example (embedded optimizer)"
	@echo "make test   set up and run the whole test suite"
	@echo "make bench  benchmarks: build overhead, cache, verification rate, speedups"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --disable-pip-version-check --upgrade pip
	# compat editable mode: a .pth path entry, so the installed `llmcc` imports with no finder overhead
	$(VPY) -m pip install -q --disable-pip-version-check -e '.[test]' --config-settings editable_mode=compat
	touch $@

# The native front end (gcc_wrapper/compile/client.c) replaces the `llmcc` script pip wrote: it
# hands compiles to a warm compile server and runs the Python entry, llmcc-py, when there is none.
CLIENT := $(VENV)/.client-stamp
$(CLIENT): gcc_wrapper/compile/client.c $(STAMP)
	gcc -O2 -Wall -o $(VENV)/bin/llmcc.tmp gcc_wrapper/compile/client.c
	mv -f $(VENV)/bin/llmcc.tmp $(VENV)/bin/llmcc
	touch $@

venv: $(STAMP) $(CLIENT)

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

test-fast: venv
	$(VPY) -m pytest -q -x -n $(JOBS) tests -m "not slow"

# ccache: bench/build_overhead.py times it beside llmcc, for scale (the suite does not use it)
bench: APT_PACKAGES += ccache
bench: venv sysdeps
	$(VPY) bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache bench/out
