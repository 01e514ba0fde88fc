"""Output: YAML emission and kustomize directories."""
