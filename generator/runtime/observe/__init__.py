"""``benchgen-poller observe``: CloudEvents for this benchmark's runs and steps.

| module | holds |
|---|---|
| ``config.py`` | the env contract, parsed and checked (exit 2 on bad input) |
| ``events.py`` | pure: a PipelineRun/TaskRun -> the events still to send, ids, annotation |
| ``logtail.py`` | pure: the bounded, redacted step log tail |
| ``delivery.py`` | the CloudEvent (SDK, binary mode) and its delivery with retries |
| ``gate.py`` | the concurrency gate: pending runs released oldest first, N at a time |
| ``controller.py`` | list/watch loops, the cache, the one worker, resync, health, SIGTERM |

The API calls themselves live in ``generator.runtime.kube`` (the one module that
imports ``kubernetes``).
"""
