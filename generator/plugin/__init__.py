"""kustomize entry points: the legacy exec generator plugin and the KRM function.

Both are spawned on every `kustomize build`, so the shim enters through
``fast.py``, which answers from a content-addressed render cache before
importing anything heavy.
"""
