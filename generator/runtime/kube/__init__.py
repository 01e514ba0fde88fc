"""The Kubernetes API, for the commands that talk to it (observe, serve,
cleanup, watch-releases). The only package of the runtime that imports
``kubernetes`` (an import-linter contract says so), and only when a call is
made, so the Task commands (submit, wait, summary) never pay for it.

- ``client.py``: the ApiClient (in-cluster or kubeconfig);
- ``errors.py``: KubeError, temporary (Unavailable, Conflict, Gone, LogInterrupted)
  or permanent (Refused, NotFound, LogNotReady);
- ``runs.py``: PipelineRuns, TaskRuns, CustomRuns: serve's reader, observe's
  list/watch/patch, the gate, the custom-task controller's status;
- ``logs.py``: ``pods/log``: a step's log end, a followed stream;
- ``configmaps.py``: Tekton's sink, the release watcher's state, the records
  (dedup, refusals) that ``update_config_map`` reads, merges and patches;
- ``objects.py``: any kind through discovery: cleanup's list and delete.
"""

from generator.runtime.kube.client import ApiClient as ApiClient
from generator.runtime.kube.client import api_client as api_client
from generator.runtime.kube.configmaps import patch_config_map as patch_config_map
from generator.runtime.kube.configmaps import read_config_map as read_config_map
from generator.runtime.kube.configmaps import read_config_map_value as read_config_map_value
from generator.runtime.kube.configmaps import update_config_map as update_config_map
from generator.runtime.kube.errors import Conflict as Conflict
from generator.runtime.kube.errors import Gone as Gone
from generator.runtime.kube.errors import KubeError as KubeError
from generator.runtime.kube.errors import LogInterrupted as LogInterrupted
from generator.runtime.kube.errors import LogNotReady as LogNotReady
from generator.runtime.kube.errors import NotFound as NotFound
from generator.runtime.kube.errors import Refused as Refused
from generator.runtime.kube.errors import Unavailable as Unavailable
from generator.runtime.kube.logs import read_log_end as read_log_end
from generator.runtime.kube.objects import ObjectClient as ObjectClient
from generator.runtime.kube.runs import CUSTOM_RUNS as CUSTOM_RUNS
from generator.runtime.kube.runs import PIPELINE_RUNS as PIPELINE_RUNS
from generator.runtime.kube.runs import TASK_RUNS as TASK_RUNS
from generator.runtime.kube.runs import RunReader as RunReader
from generator.runtime.kube.runs import dequeue_pending_run as dequeue_pending_run
from generator.runtime.kube.runs import get_run as get_run
from generator.runtime.kube.runs import list_runs as list_runs
from generator.runtime.kube.runs import patch_custom_run_status as patch_custom_run_status
from generator.runtime.kube.runs import patch_run_annotation as patch_run_annotation
from generator.runtime.kube.runs import release_pending_run as release_pending_run
from generator.runtime.kube.runs import watch_runs as watch_runs
