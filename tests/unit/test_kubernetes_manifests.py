"""deploy/kubernetes: build every Kustomize overlay offline and check what it renders.

The build is done here in Python (resources, namespace, images, replicas and JSON 6902 patches:
exactly the Kustomize features the manifests use; any other kustomization key fails the test).
Every rendered built-in resource is validated against the Kubernetes OpenAPI schema shipped by
`kubernetes-validate` (strict: unknown fields fail). KEDA's CRDs are not in those schemas, so
their required fields are checked here. If `kubectl` is on PATH, its own `kubectl kustomize`
output must equal ours (skipped without kubectl; the rest of the file still runs).

No network, no cluster. Without kubernetes-validate this module fails to import: an error, not a
skip (it is in requirements-dev.txt).
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

# Required, never skipped: without kubernetes-validate this import fails the run.
import kubernetes_validate.utils as kv
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBE = ROOT / "deploy" / "kubernetes"
OVERLAYS = {"base": KUBE / "base", "local": KUBE / "overlays" / "local",
            "production": KUBE / "overlays" / "production"}
# Oldest Kubernetes minor the manifests must be valid for (still supported by the big clouds).
K8S_VERSION = "1.29.0"
NAMESPACE = "minilok"
SERVICES = {"meetings": 8001, "indicators": 8002, "notifications": 8003}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
                  "PersistentVolume", "StorageClass", "PriorityClass"}
CRDS = {("keda.sh/v1alpha1", "ScaledObject"), ("keda.sh/v1alpha1", "TriggerAuthentication")}


# --- a minimal Kustomize ---------------------------------------------------------------------

SUPPORTED_KEYS = {"apiVersion", "kind", "namespace", "resources", "images", "replicas", "patches"}


def _pointer(path: str) -> list[str]:
    assert path.startswith("/"), path
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _json_patch(doc: dict, ops: list[dict]) -> None:
    for op in ops:
        *parents, last = _pointer(op["path"])
        node = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        kind = op["op"]
        if isinstance(node, list):
            if kind == "add":
                node.insert(len(node) if last == "-" else int(last), copy.deepcopy(op["value"]))
            elif kind == "replace":
                node[int(last)] = copy.deepcopy(op["value"])
            elif kind == "remove":
                del node[int(last)]
            else:
                raise AssertionError(f"unsupported patch op {kind}")
        else:
            if kind in ("replace", "remove"):
                assert last in node, f"{op['path']} does not exist in {doc['kind']}/{doc['metadata']['name']}"
            if kind in ("add", "replace"):
                node[last] = copy.deepcopy(op["value"])
            elif kind == "remove":
                del node[last]
            else:
                raise AssertionError(f"unsupported patch op {kind}")


def _matches(doc: dict, target: dict) -> bool:
    unknown = set(target) - {"kind", "name", "labelSelector", "group", "version"}
    assert not unknown, f"unsupported patch target keys {unknown}"
    if "kind" in target and doc["kind"] != target["kind"]:
        return False
    if "name" in target and not re.fullmatch(target["name"], doc["metadata"]["name"]):
        return False
    if "labelSelector" in target:
        labels = doc["metadata"].get("labels") or {}
        for term in target["labelSelector"].split(","):
            key, _, value = term.partition("=")
            if labels.get(key.strip()) != value.strip():
                return False
    return True


def _split_image(image: str) -> tuple[str, str | None, str | None]:
    name, _, digest = image.partition("@")
    tag = None
    if ":" in name.rsplit("/", 1)[-1]:
        name, tag = name.rsplit(":", 1)
    return name, tag, digest or None


def _pod_spec(doc: dict) -> dict | None:
    spec = doc.get("spec") or {}
    if doc["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"):
        return spec["template"]["spec"]
    if doc["kind"] == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]["spec"]
    return None


def _containers(doc: dict) -> list[dict]:
    pod = _pod_spec(doc)
    return [] if pod is None else [*pod.get("initContainers", []), *pod["containers"]]


def build(path: Path) -> list[dict]:
    kustomization = yaml.safe_load((path / "kustomization.yaml").read_text())
    unknown = set(kustomization) - SUPPORTED_KEYS
    assert not unknown, f"{path}: kustomization keys this test cannot build: {unknown}"
    docs: list[dict] = []
    for entry in kustomization.get("resources", []):
        resource = path / entry
        if resource.is_dir():
            docs.extend(build(resource))
        else:
            docs.extend(d for d in yaml.safe_load_all(resource.read_text()) if d)
    for patch in kustomization.get("patches", []):
        assert set(patch) <= {"target", "patch", "path"}, patch
        ops = yaml.safe_load(patch["patch"] if "patch" in patch else (path / patch["path"]).read_text())
        assert isinstance(ops, list), "only JSON 6902 patches are supported here"
        hits = [d for d in docs if _matches(d, patch["target"])]
        assert hits, f"{path}: patch target {patch['target']} matches nothing"
        for doc in hits:
            _json_patch(doc, ops)
    for rep in kustomization.get("replicas", []):
        hits = [d for d in docs if d["kind"] in ("Deployment", "StatefulSet", "ReplicaSet")
                and d["metadata"]["name"] == rep["name"]]
        assert hits, f"{path}: replicas for unknown {rep['name']}"
        for doc in hits:
            doc["spec"]["replicas"] = rep["count"]
    for img in kustomization.get("images", []):
        for doc in docs:
            for container in _containers(doc):
                name, tag, digest = _split_image(container["image"])
                if name != img["name"]:
                    continue
                name = img.get("newName", name)
                tag = img.get("newTag", tag)
                digest = img.get("digest", digest)
                container["image"] = name + (f":{tag}" if tag and not digest else "") + (f"@{digest}" if digest else "")
    if "namespace" in kustomization:
        for doc in docs:
            if doc["kind"] not in CLUSTER_SCOPED:
                doc["metadata"]["namespace"] = kustomization["namespace"]
    return docs


@lru_cache
def rendered(overlay: str) -> tuple[dict, ...]:
    return tuple(build(OVERLAYS[overlay]))


def by_kind(docs, kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def procfile() -> dict[str, list[str]]:
    processes = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = command.split()
    return processes


# --- the tests -------------------------------------------------------------------------------

pytestmark = pytest.mark.parametrize("overlay", list(OVERLAYS))


def test_builds_uniquely_named_resources(overlay):
    docs = rendered(overlay)
    keys = [(d["apiVersion"], d["kind"], d["metadata"]["name"]) for d in docs]
    assert len(keys) == len(set(keys)), "duplicate resources"
    for doc in docs:
        if doc["kind"] not in CLUSTER_SCOPED:
            assert doc["metadata"]["namespace"] == NAMESPACE, doc["metadata"]["name"]
    assert by_kind(docs, "Namespace").keys() == {NAMESPACE}


def test_builtin_resources_match_the_kubernetes_schema(overlay):
    checked = 0
    for doc in rendered(overlay):
        if (doc["apiVersion"], doc["kind"]) in CRDS:
            continue
        try:
            kv.validate(doc, K8S_VERSION, strict=True)
        except kv.ValidationError as exc:
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message} at {list(exc.path)}")
        checked += 1
    assert checked >= 25
    # The validator is strict: a misspelt field or a wrong type fails.
    broken = copy.deepcopy(by_kind(rendered(overlay), "Deployment")["beat"])
    broken["spec"]["template"]["spec"]["containers"][0]["resource"] = {}
    with pytest.raises(kv.ValidationError):
        kv.validate(broken, K8S_VERSION, strict=True)


def test_keda_resources_have_their_required_fields(overlay):
    docs = rendered(overlay)
    auths = by_kind(docs, "TriggerAuthentication")
    secret = by_kind(docs, "Secret")["minilok-secrets"]
    secret_keys = set(secret.get("stringData", {})) | set(secret.get("data", {}))
    for name, auth in auths.items():
        assert auth["apiVersion"] == "keda.sh/v1alpha1"
        refs = auth["spec"]["secretTargetRef"]
        assert refs, name
        for ref in refs:
            assert set(ref) == {"parameter", "name", "key"}, ref
            assert ref["name"] == "minilok-secrets" and ref["key"] in secret_keys, ref
    scaled = by_kind(docs, "ScaledObject")
    assert scaled
    for name, obj in scaled.items():
        assert obj["apiVersion"] == "keda.sh/v1alpha1"
        spec = obj["spec"]
        assert set(spec) <= {"scaleTargetRef", "minReplicaCount", "maxReplicaCount", "pollingInterval",
                             "cooldownPeriod", "idleReplicaCount", "fallback", "advanced", "triggers"}, name
        assert spec["scaleTargetRef"]["name"]
        assert isinstance(spec["minReplicaCount"], int) and isinstance(spec["maxReplicaCount"], int)
        assert 0 <= spec["minReplicaCount"] <= spec["maxReplicaCount"], name
        assert spec["triggers"], name
        for trigger in spec["triggers"]:
            assert trigger["type"] in ("rabbitmq", "redis"), trigger
            assert all(isinstance(v, str) for v in trigger["metadata"].values()), f"{name}: metadata values are strings"
            assert trigger["authenticationRef"]["name"] in auths, name
            params = {r["parameter"] for r in auths[trigger["authenticationRef"]["name"]]["spec"]["secretTargetRef"]}
            if trigger["type"] == "rabbitmq":
                assert "host" in params or "host" in trigger["metadata"]
                assert trigger["metadata"]["mode"] == "QueueLength"
                assert float(trigger["metadata"]["value"]) > 0
            else:
                assert "address" in params or "address" in trigger["metadata"]
                assert int(trigger["metadata"]["listLength"]) > 0


def test_every_procfile_process_has_a_deployment(overlay):
    deployments = by_kind(rendered(overlay), "Deployment")
    expected = {**procfile(), "indicators-worker": ["minilok", "worker", "indicators"]}  # in docker-compose.yml too
    for name, command in expected.items():
        assert name in deployments, f"no Deployment for Procfile process {name}"
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["command"][:len(command)] == command, name
    assert set(deployments) == set(expected), "a Deployment that is not a known process"


def test_beat_is_exactly_one(overlay):
    docs = rendered(overlay)
    beats = [d for d in by_kind(docs, "Deployment").values()
             if d["spec"]["template"]["spec"]["containers"][0]["command"][:2] == ["minilok", "beat"]]
    assert len(beats) == 1
    beat = beats[0]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    scalers = [*by_kind(docs, "HorizontalPodAutoscaler").values(), *by_kind(docs, "ScaledObject").values()]
    assert all(s["spec"]["scaleTargetRef"]["name"] != beat["metadata"]["name"] for s in scalers)


def test_apis_probes_ports_services_and_disruption_budgets(overlay):
    docs = rendered(overlay)
    deployments, services = by_kind(docs, "Deployment"), by_kind(docs, "Service")
    pdbs, hpas = by_kind(docs, "PodDisruptionBudget"), by_kind(docs, "HorizontalPodAutoscaler")
    for service, port in SERVICES.items():
        name = f"{service}-api"
        pod = deployments[name]["spec"]["template"]
        container = pod["spec"]["containers"][0]
        assert container["command"] == ["minilok", "serve", service]
        assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
        assert container["livenessProbe"]["httpGet"]["path"] == "/health"
        assert [p["containerPort"] for p in container["ports"]] == [port]
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        assert env[f"{service.upper()}_HOST"] == "0.0.0.0" and env[f"{service.upper()}_PORT"] == str(port)
        labels = pod["metadata"]["labels"]
        svc = services[name]
        assert all(labels.get(k) == v for k, v in svc["spec"]["selector"].items())
        assert svc["spec"]["ports"][0]["port"] == port
        assert svc["spec"]["ports"][0]["targetPort"] in ("http", port)
        pdb = pdbs[name]
        assert all(labels.get(k) == v for k, v in pdb["spec"]["selector"]["matchLabels"].items())
        assert hpas[name]["spec"]["scaleTargetRef"]["name"] == name
        assert hpas[name]["spec"]["minReplicas"] >= (1 if overlay == "local" else 2)


def test_every_deployment_container_has_a_liveness_probe(overlay):
    for name, deployment in by_kind(rendered(overlay), "Deployment").items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            probe = container.get("livenessProbe")
            assert probe and probe["httpGet"]["path"] == "/health", f"{name}/{container['name']}: no liveness probe"


def test_relays_consumers_workers_and_beat_serve_their_health_port(overlay):
    """minilok_shared/health.py: MINILOK_HEALTH_PORT on a port named "health" that every probe uses."""
    for name, deployment in by_kind(rendered(overlay), "Deployment").items():
        pod = deployment["spec"]["template"]
        container = pod["spec"]["containers"][0]
        if container["command"][1] == "serve":
            continue
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        assert env.get("MINILOK_HEALTH_HOST") == "0.0.0.0", name
        port = int(env["MINILOK_HEALTH_PORT"])
        assert [(p["name"], p["containerPort"]) for p in container["ports"]] == [("health", port)], name
        for kind, path in (("startupProbe", "/health"), ("livenessProbe", "/health"), ("readinessProbe", "/ready")):
            assert container[kind]["httpGet"] == {"path": path, "port": "health"}, (name, kind)
        assert container["livenessProbe"]["periodSeconds"] * container["livenessProbe"]["failureThreshold"] >= 30
        assert pod["metadata"]["annotations"]["prometheus.io/port"] == str(port), name


def test_every_container_has_resources_and_runs_locked_down(overlay):
    for doc in rendered(overlay):
        pod = _pod_spec(doc)
        if pod is None:
            continue
        name = doc["metadata"]["name"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["enableServiceLinks"] is False, f"{name}: service links would inject *_PORT variables"
        mounts_ok = {v["name"] for v in pod.get("volumes", []) if "emptyDir" in v}
        for container in _containers(doc):
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), name
            assert "memory" in resources["limits"], name
            ctx = container["securityContext"]
            assert ctx["allowPrivilegeEscalation"] is False and ctx["readOnlyRootFilesystem"] is True, name
            writable = {m["mountPath"] for m in container["volumeMounts"] if m["name"] in mounts_ok}
            assert {"/app/var", "/tmp"} <= writable, name
            assert {"configMapRef": {"name": "minilok-config"}} in container["envFrom"], name
            assert {"secretRef": {"name": "minilok-secrets"}} in container["envFrom"], name


def test_the_signing_secret_comes_from_a_secret_with_no_default(overlay):
    """MINILOK_SECRET is in no rendered manifest (no working default, nothing for `kubectl apply`
    to overwrite): every container reads it from the Secret minilok-signing-secret, created out of band."""
    docs = rendered(overlay)
    assert "minilok-signing-secret" not in by_kind(docs, "Secret")
    for secret in by_kind(docs, "Secret").values():
        assert not {"MINILOK_SECRET", "MINILOK_SECRET_PREVIOUS"} & (set(secret.get("stringData", {}))
                                                                    | set(secret.get("data", {})))
    assert "minilok-development-secret" not in yaml.safe_dump_all(docs)
    containers = [(doc["metadata"]["name"], c) for doc in docs if _pod_spec(doc) for c in _containers(doc)]
    assert containers
    for name, container in containers:
        assert {"secretRef": {"name": "minilok-signing-secret"}} in container["envFrom"], name
        assert not any(e["name"] == "MINILOK_SECRET" for e in container.get("env", [])), name


def test_relays_stand_by_in_pairs(overlay):
    deployments = by_kind(rendered(overlay), "Deployment")
    for service in SERVICES:
        relay = deployments[f"{service}-relay"]
        assert relay["spec"]["replicas"] == (1 if overlay == "local" else 2)


def test_scaled_objects_target_consumers_and_workers_on_the_right_queues(overlay):
    docs = rendered(overlay)
    deployments, scaled = by_kind(docs, "Deployment"), by_kind(docs, "ScaledObject")
    prefix = by_kind(docs, "ConfigMap")["minilok-config"]["data"]["REDIS_KEY_PREFIX"]
    targets = {}
    for name, obj in scaled.items():
        ref = obj["spec"]["scaleTargetRef"]
        assert ref.get("kind", "Deployment") == "Deployment" and ref["name"] in deployments, name
        assert ref["name"] not in targets, f"two ScaledObjects on {ref['name']}"
        targets[ref["name"]] = obj
    hpa_targets = {h["spec"]["scaleTargetRef"]["name"] for h in by_kind(docs, "HorizontalPodAutoscaler").values()}
    assert not hpa_targets & set(targets), "a Deployment under both an HPA and KEDA"
    for service in SERVICES:
        consumer = targets[f"{service}-consumer"]["spec"]["triggers"][0]
        assert consumer["type"] == "rabbitmq"
        assert consumer["metadata"]["queueName"] == f"minilok.{service}"
        assert consumer["metadata"]["mode"] == "QueueLength"
        worker = targets[f"{service}-worker"]["spec"]["triggers"][0]
        assert worker["type"] == "redis"
        assert worker["metadata"]["listName"] == f"{prefix}{service}", "listName must be REDIS_KEY_PREFIX + queue"
        for target in (f"{service}-consumer", f"{service}-worker"):
            assert "replicas" not in deployments[target]["spec"], f"{target}: KEDA owns the replica count"
            assert targets[target]["spec"]["minReplicaCount"] >= 1


def test_setup_job_runs_minilok_setup(overlay):
    job = by_kind(rendered(overlay), "Job")["minilok-setup"]
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["minilok", "setup"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in ("OnFailure", "Never")


def test_images_are_pinned_in_production(overlay):
    if overlay != "production":
        return
    for doc in rendered(overlay):
        for container in _containers(doc):
            _, tag, digest = _split_image(container["image"])
            assert digest or (tag and tag != "latest"), f"{doc['metadata']['name']}: {container['image']}"


def test_config_names_are_settings_the_code_reads(overlay):
    sources = "\n".join(p.read_text() for p in [*ROOT.glob("shared/minilok_shared/config.py"),
                                                 *ROOT.glob("services/*/minilok_*/config.py")])
    docs = rendered(overlay)
    names = set(by_kind(docs, "ConfigMap")["minilok-config"]["data"])
    names |= set(by_kind(docs, "Secret")["minilok-secrets"]["stringData"]) - {"REDIS_ADDRESS", "REDIS_PASSWORD"}
    for name in names:
        assert name in sources or name.lower() in sources, f"{name} is read by no settings class"


def test_kubectl_kustomize_renders_the_same(overlay):
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl not on PATH: cross-check with the real Kustomize skipped")
    out = subprocess.run([kubectl, "kustomize", str(OVERLAYS[overlay])], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    theirs = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(out) if d}
    ours = {(d["kind"], d["metadata"]["name"]): d for d in rendered(overlay)}
    assert theirs.keys() == ours.keys()
    for key, doc in ours.items():
        assert theirs[key] == doc, f"{key} differs from kubectl kustomize"
