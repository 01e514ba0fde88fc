"""benchgen: compile benchmark.yaml into Tekton, Triggers and Knative manifests.

Only the version lives here: ``benchgen --version`` and the kustomize plugin
import this package on every call, so it must stay free of heavy imports.
"""

__version__ = "0.1.0"
