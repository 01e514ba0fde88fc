# benchgen developer and user entry points. Everything runs in .venv, created on demand.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?=
NAMESPACE ?=
PYTEST_ARGS ?=

CONFORMANCE := tests/conformance

.PHONY: help render test lint unit golden schema bench clean eventlistener eventlistener-clean \
	plugin-install tools conformance e2e e2e-cluster

help:
	@echo "make render      render the embedded example (or CONFIG=path) to stdout"
	@echo "make test        lint, type-check and run pytest but the e2e and cluster suites (no Go or Node needed)"
	@echo "make tools       build the pinned kustomize with Go (the kustomize tests then run)"
	@echo "make unit        run pytest only (PYTEST_ARGS=... to pass options)"
	@echo "make golden      regenerate tests/golden expected output (review the diff!)"
	@echo "make e2e         end-to-end tests against a real kube-apiserver + etcd (built once, cached)"
	@echo "make e2e-cluster the real one-node cluster: Tekton + Triggers run benchgen's output (root)"
	@echo "make conformance run Tekton/Triggers/Knative's own validation + tekton-lint on every render"
	@echo "make schema      regenerate schemas/ from the config models"
	@echo "make bench       measure the poller, pod vs controller mode and the kustomize plugin (README has the figures)"
	@echo "make eventlistener [NAMESPACE=ns] [CONFIG=file]   render and apply to the current cluster"
	@echo "make eventlistener-clean [NAMESPACE=ns] [CONFIG=file]   delete runs, then the objects"
	@echo "make plugin-install   install the kustomize plugin shim for this checkout"

# Silent on stdout (`make render > out.yaml` must be pure YAML): one line on
# stderr says what is happening, pip's own output goes there too.
$(STAMP): pyproject.toml
	@echo "benchgen: installing benchgen and its dev tools into $(VENV) from PyPI (about 2 minutes, once)" >&2
	@$(PYTHON) -m venv $(VENV) >&2
	@$(BIN)/pip install --quiet --upgrade pip >&2
	@$(BIN)/pip install --quiet -e '.[dev,runtime]' >&2
	@touch $(STAMP)

render: $(STAMP)
	@$(BIN)/benchgen render $(CONFIG) $(if $(NAMESPACE),--namespace $(NAMESPACE))

lint: $(STAMP)
	$(BIN)/ruff check generator tests $(wildcard bench)
	$(BIN)/ruff format --check generator tests $(wildcard bench)
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/benchgen schema --check

unit: $(STAMP)
	$(BIN)/pytest -m "not e2e and not cluster" $(PYTEST_ARGS)

test: lint unit

# The upstream projects' own code on everything we render (Go harness, cached
# under ~/.cache/benchgen/conformance) and @ibm/tekton-lint (npm, pinned).
conformance: $(STAMP) $(CONFORMANCE)/node_modules/.installed
	bash $(CONFORMANCE)/build.sh >/dev/null
	BENCHGEN_CONFORMANCE=1 $(BIN)/pytest -m conformance $(CONFORMANCE) $(PYTEST_ARGS)

$(CONFORMANCE)/node_modules/.installed: $(CONFORMANCE)/package-lock.json
	cd $(CONFORMANCE) && npm ci --no-audit --no-fund
	touch $@

# A real kube-apiserver and etcd built from the Go module proxy (~7 min once,
# then cached under ~/.cache/benchgen-e2e); see tests/e2e/README.md.
e2e: $(STAMP)
	bash tests/e2e/build.sh > /dev/null
	BENCHGEN_E2E=1 $(BIN)/pytest -m e2e tests/e2e $(PYTEST_ARGS)

# A real one-node Kubernetes (containerd, kubelet, kube-proxy, scheduler,
# controller-manager, CoreDNS) running upstream Tekton Pipelines and Triggers as
# pods, and benchgen's output on it; needs root. See tests/cluster/README.md.
# --durations: where the suite's time goes (CI has 75 minutes from cold caches).
e2e-cluster: $(STAMP)
	bash tests/cluster/setup.sh
	bash tests/e2e/build.sh --node > /dev/null
	bash tests/cluster/build.sh > /dev/null
	BENCHGEN_E2E_CLUSTER=1 $(BIN)/pytest -m cluster tests/cluster -p no:cacheprovider --durations=12 $(PYTEST_ARGS)

golden: $(STAMP)
	$(BIN)/pytest tests/test_golden.py --update-golden
	git diff --stat tests/golden

schema: $(STAMP)
	$(BIN)/benchgen schema

bench: $(STAMP) tools
	$(BIN)/python bench/poller_bench.py
	$(BIN)/python bench/plugin_bench.py
	$(BIN)/python bench/custom_tasks_bench.py

# Namespace: NAMESPACE, else the current context's in $KUBECONFIG (or ~/.kube/config),
# else "default"; objects are applied from the rendered stream, no file is written.
eventlistener: $(STAMP)
	@$(BIN)/benchgen eventlistener $(CONFIG) $(if $(NAMESPACE),--namespace $(NAMESPACE))

eventlistener-clean: $(STAMP)
	@$(BIN)/benchgen eventlistener --clean $(CONFIG) $(if $(NAMESPACE),--namespace $(NAMESPACE))

plugin-install: $(STAMP)
	$(BIN)/benchgen plugin install

# Pinned tools the tests use (kustomize from the Go module proxy).
tools: $(STAMP)
	$(BIN)/python -m tests.tools kustomize

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
