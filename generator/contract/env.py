"""Every environment variable the generated manifests set and ``benchgen-poller``
reads (docs/runtime-interface.md). The compiler writes these names; the runtime
reads them; neither spells one out itself.
"""

from __future__ import annotations

# -- the orchestrator (submit, wait) -------------------------------------------
ORCHESTRATOR_URL = "BENCHGEN_ORCHESTRATOR_URL"
BATCH_ENDPOINT = "BENCHGEN_BATCH_ENDPOINT"
REQUEST_SPEC = "BENCHGEN_REQUEST_SPEC"  # contract.request
IDEMPOTENCY_KEY = "BENCHGEN_IDEMPOTENCY_KEY"
BATCH_ID = "BENCHGEN_BATCH_ID"
ORCHESTRATOR_API = "BENCHGEN_ORCHESTRATOR_API"  # contract.orchestrator_api
# The mounted Secret key sent in the API's auth header (the gitlab profile's PRIVATE-TOKEN).
ORCHESTRATOR_TOKEN_FILE = "BENCHGEN_ORCHESTRATOR_TOKEN_FILE"  # noqa: S105 - a variable's name

# -- the run's outcome (summary, notify) -----------------------------------------
PIPELINE_RUN = "BENCHGEN_PIPELINE_RUN"
AGGREGATE_STATUS = "BENCHGEN_AGGREGATE_STATUS"
SUBMIT_STATUS = "BENCHGEN_SUBMIT_STATUS"
WAIT_STATUS = "BENCHGEN_WAIT_STATUS"
FINAL_STATUS = "BENCHGEN_FINAL_STATUS"
TOTAL_JOBS = "BENCHGEN_TOTAL_JOBS"
COMPLETED_JOBS = "BENCHGEN_COMPLETED_JOBS"
FAILED_JOBS = "BENCHGEN_FAILED_JOBS"
NOTIFY_URL_FILE = "BENCHGEN_NOTIFY_URL_FILE"
# notify's templates and e-mail (contract.notify): the mounted ConfigMap's directory,
# the JSON spec, and the mounted Secret's directory holding the SMTP login.
NOTIFY_TEMPLATES = "BENCHGEN_NOTIFY_TEMPLATES"
NOTIFY_SPEC = "BENCHGEN_NOTIFY_SPEC"
NOTIFY_SMTP_CREDENTIALS = "BENCHGEN_NOTIFY_SMTP_CREDENTIALS"

# -- clean-up ----------------------------------------------------------------------
CLEANUP_SPEC = "BENCHGEN_CLEANUP_SPEC"  # contract.cleanup

# -- deploy ------------------------------------------------------------------------
APPLY_SPEC = "BENCHGEN_APPLY_SPEC"  # contract.apply

# -- events to the listener (send, watch-releases) -------------------------------
LISTENER_URL = "BENCHGEN_LISTENER_URL"
EVENT_BODY = "BENCHGEN_EVENT_BODY"
EVENT_HEADERS = "BENCHGEN_EVENT_HEADERS"
EVENT_TYPE = "BENCHGEN_EVENT_TYPE"
EVENT_ID = "BENCHGEN_EVENT_ID"
EVENT_ID_FIELD = "BENCHGEN_EVENT_ID_FIELD"
EVENT_ID_MAX = "BENCHGEN_EVENT_ID_MAX"
# The run an event with an id starts is names.run_name(<this>, <id>), in BENCHGEN_NAMESPACE:
# send and watch-releases wait for it to exist (Triggers answers 202 before creating it).
RUN_PREFIX = "BENCHGEN_RUN_PREFIX"
AUTH_HEADER = "BENCHGEN_AUTH_HEADER"
GITHUB_API = "BENCHGEN_GITHUB_API"
GITHUB_TOKEN_FILE = "BENCHGEN_GITHUB_TOKEN_FILE"  # noqa: S105 - a variable's name
RELEASES = "BENCHGEN_RELEASES"  # contract.releases
RELEASE_FIELDS = "BENCHGEN_RELEASE_FIELDS"  # contract.releases
STATE_CONFIGMAP = "BENCHGEN_STATE_CONFIGMAP"
DEDUP_CONFIGMAP = "BENCHGEN_DEDUP_CONFIGMAP"  # event-key: contract.deliveries
REFUSALS_CONFIGMAP = "BENCHGEN_REFUSALS_CONFIGMAP"  # record-refusals: contract.refusals
REFUSALS_HEADERS = "BENCHGEN_REFUSALS_HEADERS"  # record-refusals: headers a record keeps
REFUSALS_MAX = "BENCHGEN_REFUSALS_MAX"  # record-refusals: records kept

# -- credentials (send, watch-releases, serve) -----------------------------------
AUTH_TYPE = "BENCHGEN_AUTH_TYPE"
AUTH_FILE = "BENCHGEN_AUTH_FILE"

# -- the long-running processes (observe, serve, event-key, custom-tasks) --------
NAMESPACE = "BENCHGEN_NAMESPACE"
NAMESPACES = "BENCHGEN_NAMESPACES"
SELECTOR = "BENCHGEN_SELECTOR"
SINK = "BENCHGEN_SINK"
TEKTON_NAMESPACE = "BENCHGEN_TEKTON_NAMESPACE"
EVENT_SOURCE = "BENCHGEN_EVENT_SOURCE"
LOG_TAIL_BYTES = "BENCHGEN_LOG_TAIL_BYTES"
RESYNC_PERIOD = "BENCHGEN_RESYNC_PERIOD"
DELIVERY_TIMEOUT = "BENCHGEN_DELIVERY_TIMEOUT"
CONCURRENCY_LIMIT = "BENCHGEN_CONCURRENCY_LIMIT"
CONCURRENCY_KEY = "BENCHGEN_CONCURRENCY_KEY"
CONCURRENCY_MAX_PENDING = "BENCHGEN_CONCURRENCY_MAX_PENDING"  # observe: the gate's queue bound
CONCURRENCY_SUPERSEDE = "BENCHGEN_CONCURRENCY_SUPERSEDE"  # observe: "true" = newest replaces
PORT = "BENCHGEN_PORT"
HEALTH_PORT = "BENCHGEN_HEALTH_PORT"
POLL_INTERVAL = "BENCHGEN_POLL_INTERVAL"
MAX_STREAMS = "BENCHGEN_MAX_STREAMS"
MAX_REQUEST_BYTES = "BENCHGEN_MAX_REQUEST_BYTES"
MAX_REQUESTS = "BENCHGEN_MAX_REQUESTS"  # custom-tasks: requests in flight to the orchestrator
# observe: commit statuses back to GitHub/GitLab (contract.commit_status) and the
# mounted Secret key holding the token, re-read for every report.
COMMIT_STATUS = "BENCHGEN_COMMIT_STATUS"
COMMIT_STATUS_TOKEN_FILE = "BENCHGEN_COMMIT_STATUS_TOKEN_FILE"  # noqa: S105 - a variable's name

# -- one per param: BENCHGEN_PARAM_<NAME> -----------------------------------------
PARAM_PREFIX = "BENCHGEN_PARAM_"


def param_env(param: str) -> str:
    """``dvc-data-version`` -> ``BENCHGEN_PARAM_DVC_DATA_VERSION``."""
    return PARAM_PREFIX + param.upper().replace("-", "_")


ALL: frozenset[str] = frozenset(
    value
    for key, value in dict(globals()).items()
    if key.isupper() and key != "PARAM_PREFIX" and isinstance(value, str)
)
