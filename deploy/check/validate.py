"""Validates everything under deploy/ against the real tools and the running binary.

Run by crates/paygate/tests/deploy_manifests.rs (which makes the venv and starts a gateway to
read its /metrics); by hand:

    python deploy/check/validate.py --paygate target/debug/paygate --metrics metrics.txt

Checks:
  * Helm chart: rendered by Helm's own engine (helm-python-sdk, Helm v4 as a library) for the
    default values and every values-*.yaml, `helm lint --strict`, and each manifest validated
    against the Kubernetes OpenAPI schemas (kubernetes-validate, strict) of the oldest
    supported (1.30) and the newest known Kubernetes; CRD objects (ServiceMonitor,
    ExternalSecret) get a structural check. Then the chart's promises: probes on /healthz and
    /readyz, drain time, non-root read-only containers with no capabilities, the migration hook,
    keys only from Secrets, and that missing required values fail the render.
  * The compose file against the Compose Specification (compose-spec), its dependencies and
    volumes declared. Every PAYGATE_* variable the chart and compose file set is one `paygate` reads, every
    `paygate` command line in the compose file parses, and the Dockerfile's user, data volume
    and ports are the chart's.
  * Prometheus rules: `promtool check rules` and `promtool test rules`; Grafana dashboard: JSON,
    unique panel ids, each query parsed by promtool; every metric named by a rule or a panel is
    one the running gateway exports.
Exits non-zero with one line per failure.
"""

import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile

import compose_spec
import helm_python as helm
import kubernetes_validate
import yaml

DEPLOY = pathlib.Path(__file__).resolve().parent.parent
CHART = DEPLOY / "helm" / "paygate"
KUBE_VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]
# Required values a default install must be given; every scenario starts from them.
BASE = {"gateway": {"networkAddr": "acquirer.example.com:7300"}}
# Read by paygate but not listed by clap (tracing's filter).
ENV_OUTSIDE_CLAP = {"PAYGATE_LOG"}
PROMETHEUS_OWN = {"up"}

failures = []


def fail(msg):
    failures.append(msg)


def merge(a, b):
    out = dict(a)
    for k, v in b.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def scenarios():
    """(name, values) for the defaults, each cloud file and a test-cluster variant."""
    yield "values.yaml", BASE
    for f in sorted(CHART.glob("values-*.yaml")):
        yield f.name, merge(BASE, yaml.safe_load(f.read_text()))
    yield "test cluster (chart-made Secret, fixed replicas)", merge(BASE, {
        "autoscaling": {"enabled": False},
        "networkPolicy": {"enabled": False},
        "serviceMonitor": {"enabled": True},
        "secrets": {"create": True, "values": {
            "database-url": "postgres://paygate@db:5432/paygate",
            "vault-keks": "kek-1:dGVzdA==", "fingerprint-key": "dGVzdA==",
            "pages-csrf-key": "dGVzdA=="}},
    })


def render(values):
    with helm.Chart.load(CHART) as chart:
        out = chart.render(values, name="paygate", namespace="paygate", is_install=True)
    docs = []
    for path, text in sorted(out.items()):
        if not path.endswith((".yaml", ".yml")):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                docs.append((path, doc))
    return docs


def check_crd(where, doc):
    spec = doc.get("spec") or {}
    if doc["kind"] == "ServiceMonitor":
        ok = spec.get("selector", {}).get("matchLabels") and all(
            "port" in e for e in spec.get("endpoints", [])) and spec.get("endpoints")
    elif doc["kind"] == "ExternalSecret":
        ok = spec.get("secretStoreRef", {}).get("name") and spec.get("target", {}).get("name") \
            and all("secretKey" in d and "key" in d.get("remoteRef", {}) for d in spec.get("data", []))
    else:
        fail(f"{where}: kind {doc['kind']} has no schema and no structural check")
        return
    if not ok:
        fail(f"{where}: {doc['kind']} is missing required fields: {spec}")


def validate_schemas(name, docs):
    for path, doc in docs:
        where = f"{name}: {path} {doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        if doc.get("apiVersion", "").split("/")[0] in ("monitoring.coreos.com", "external-secrets.io"):
            check_crd(where, doc)
            continue
        for v in KUBE_VERSIONS:
            try:
                kubernetes_validate.validate(doc, v, strict=True)
            except kubernetes_validate.ValidationError as e:
                fail(f"{where}: Kubernetes {v}: {e.message} at {'.'.join(map(str, e.path))}")
            except kubernetes_validate.SchemaNotFoundError as e:
                fail(f"{where}: Kubernetes {v}: no schema: {e}")


def by_kind(docs, kind):
    return [d for _, d in docs if d.get("kind") == kind]


def check_container(where, c):
    sc = c.get("securityContext") or {}
    if sc.get("readOnlyRootFilesystem") is not True or sc.get("allowPrivilegeEscalation") is not False \
            or sc.get("capabilities", {}).get("drop") != ["ALL"]:
        fail(f"{where}: container {c['name']} must be read-only, without privilege escalation, drop ALL")


def check_pod(where, pod):
    psc = pod.get("securityContext") or {}
    if psc.get("runAsNonRoot") is not True or not psc.get("runAsUser"):
        fail(f"{where}: pod must run as a non-root user")
    for c in pod.get("containers", []) + pod.get("initContainers", []):
        check_container(where, c)
        for e in c.get("env", []):
            if e["name"] in ("PAYGATE_DATABASE_URL", "PAYGATE_VAULT_KEKS", "PAYGATE_FINGERPRINT_KEY",
                             "PAYGATE_PAGES_CSRF_KEY") and "secretKeyRef" not in e.get("valueFrom", {}):
                fail(f"{where}: {e['name']} must come from a Secret")


def check_promises(name, docs):
    """What the chart promises operators (docs/OPERATIONS.md), per rendered scenario."""
    (dep,) = by_kind(docs, "Deployment") or [None]
    if dep is None:
        return fail(f"{name}: no Deployment")
    pod = dep["spec"]["template"]["spec"]
    check_pod(f"{name}: Deployment", pod)
    app = next(c for c in pod["containers"] if c["name"] == "paygate")
    probes = {k: app.get(k, {}).get("httpGet", {}).get("path")
              for k in ("startupProbe", "livenessProbe", "readinessProbe")}
    if probes != {"startupProbe": "/healthz", "livenessProbe": "/healthz", "readinessProbe": "/readyz"}:
        fail(f"{name}: probes must be startup+liveness /healthz, readiness /readyz: {probes}")
    pre_stop = app.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    # paygate drains for up to 30 s after SIGTERM (docs/OPERATIONS.md, "Stop and restart").
    if pod.get("terminationGracePeriodSeconds", 30) < pre_stop + 30 + 5:
        fail(f"{name}: terminationGracePeriodSeconds must cover preStop ({pre_stop}s) + 30s drain + 5s")
    ports = {p["name"] for p in app["ports"]}
    for svc in by_kind(docs, "Service"):
        for p in svc["spec"]["ports"]:
            if p["targetPort"] not in ports:
                fail(f"{name}: Service port {p['name']} targets {p['targetPort']}, not a container port")
    for sm in by_kind(docs, "ServiceMonitor"):
        svc_ports = {p["name"] for s in by_kind(docs, "Service") for p in s["spec"]["ports"]}
        for e in sm["spec"]["endpoints"]:
            if e["port"] not in svc_ports:
                fail(f"{name}: ServiceMonitor scrapes port {e['port']}, not a Service port")
    net_port = int(next(e["value"] for e in app["env"] if e["name"] == "PAYGATE_NETWORK_ADDR").rsplit(":", 1)[1])
    for np in by_kind(docs, "NetworkPolicy"):
        if not any(p.get("port") == net_port for r in np["spec"]["egress"] for p in r.get("ports", [])):
            fail(f"{name}: the NetworkPolicy blocks the card network link (port {net_port})")
    jobs = by_kind(docs, "Job")
    if len(jobs) != 1 or "pre-upgrade" not in jobs[0]["metadata"].get("annotations", {}).get("helm.sh/hook", "") \
            or jobs[0]["spec"]["template"]["spec"]["containers"][0]["args"] != ["migrate"]:
        fail(f"{name}: one `paygate migrate` Job as a pre-install/pre-upgrade hook expected")
    else:
        check_pod(f"{name}: migration Job", jobs[0]["spec"]["template"]["spec"])
    for kind in ("Service", "PodDisruptionBudget", "ServiceAccount"):
        if not by_kind(docs, kind):
            fail(f"{name}: no {kind}")
    hpa = by_kind(docs, "HorizontalPodAutoscaler")
    if bool(hpa) == ("replicas" in dep["spec"]):
        fail(f"{name}: either an HPA or fixed replicas, not both or neither")


def env_names(docs):
    names = set()
    for _, d in docs:
        spec = d.get("spec", {})
        pod = spec.get("template", {}).get("spec", {})
        for c in pod.get("containers", []):
            names |= {e["name"] for e in c.get("env", [])}
    return names


def check_chart(paygate_help):
    lint = helm.lint(str(CHART), BASE, strict=True)
    for m in lint.get("messages", []):
        if m.get("severity", 0) >= 2:
            fail(f"helm lint: {m.get('path')}: {m.get('error')}")
    for e in lint.get("errors", []):
        fail(f"helm lint: {e}")
    used = set()
    for name, values in scenarios():
        try:
            docs = render(values)
        except helm.HelmError as e:
            fail(f"{name}: render failed: {e}")
            continue
        validate_schemas(name, docs)
        check_promises(name, docs)
        used |= env_names(docs)
        print(f"chart {name}: {len(docs)} manifests")
    for bad, needle in [({}, "gateway.networkAddr is required"),
                        (merge(BASE, {"remoteVault": {"url": "https://v:8443"}}), "remoteVault.tlsSecret is required"),
                        (merge(BASE, {"cloudSqlProxy": {"enabled": True}}), "instanceConnectionName is required")]:
        try:
            render(bad)
            fail(f"render of {bad} should fail with '{needle}'")
        except helm.HelmError as e:
            if needle not in str(e):
                fail(f"render of {bad} failed, but not with '{needle}': {e}")
    check_env(used, paygate_help, "chart")


def check_env(names, paygate_help, where):
    for n in sorted(names):
        if n.startswith("PAYGATE_") and n not in ENV_OUTSIDE_CLAP and f"[env: {n}=" not in paygate_help:
            fail(f"{where}: sets {n}, which `paygate serve` does not read")


def check_compose(paygate, paygate_help):
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    # The Compose Specification (unknown keys fail), after YAML merge keys are applied.
    spec = {k: v for k, v in compose.items() if not k.startswith("x-")}
    try:
        compose_spec.PyCompose.from_json(json.dumps(spec)).validate()
    except ValueError as e:
        fail(f"compose: not a valid Compose file: {e}")
    for svc_name, svc in compose["services"].items():
        for dep in svc.get("depends_on") or []:
            if dep not in compose["services"]:
                fail(f"compose {svc_name}: depends on {dep}, which is no service")
        for vol in svc.get("volumes") or []:
            source = vol.split(":")[0]
            if not source.startswith((".", "/")) and source not in (compose.get("volumes") or {}):
                fail(f"compose {svc_name}: volume {source} is not declared")
    names = set()
    for svc_name, svc in compose["services"].items():
        names |= set((svc.get("environment") or {}).keys())
        if svc.get("image") != "paygate:local" or svc.get("entrypoint"):
            continue
        args = svc["command"] + ["--help"]
        r = subprocess.run([paygate] + args, capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"compose {svc_name}: `paygate {' '.join(args)}` does not parse: {r.stderr.strip()}")
    check_env(names, paygate_help, "compose")
    print(f"compose: {len(compose['services'])} services")


def check_dockerfile(chart_uid=10001):
    """The image and the chart agree: user id, writable data dir, ports; the context is lean."""
    text = (DEPLOY.parent / "Dockerfile").read_text()
    for needle, why in [(f"USER {chart_uid}:{chart_uid}", "the chart's runAsUser"),
                        ('VOLUME ["/var/lib/paygate"]', "the chart's data dir"),
                        ("EXPOSE 8080 9464", "the chart's container ports"),
                        ("PAYGATE_LISTEN=0.0.0.0:8080", "the API port"),
                        ("PAYGATE_METRICS_LISTEN=0.0.0.0:9464", "the metrics port"),
                        ('ENTRYPOINT ["/usr/local/bin/paygate"]', "commands as arguments")]:
        if needle not in text:
            fail(f"Dockerfile: no `{needle}` ({why})")
    ignored = (DEPLOY.parent / ".dockerignore").read_text().split()
    for path in ("target/", ".git/"):
        if path not in ignored:
            fail(f".dockerignore: {path} is sent to the build context")


def exported_metrics(text):
    names = set()
    for line in text.splitlines():
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            names.add(m.group(1))
            if m.group(2) == "histogram":
                names |= {m.group(1) + s for s in ("_bucket", "_sum", "_count")}
    return names


def check_metric_names(where, expr, exported):
    named = set(re.findall(r"\b(paygate_[a-zA-Z0-9_]+)", expr))
    if not named:
        fail(f"{where}: names no paygate metric: {expr}")
    for n in sorted(named - exported):
        fail(f"{where}: metric {n} is not exported by the gateway")


def check_prometheus(promtool, alerts, exported):
    for args in (["check", "rules", str(alerts)], ["test", "rules", str(alerts.with_name("alerts.test.yaml"))]):
        r = subprocess.run([promtool] + args, capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"promtool {' '.join(args)}: {r.stdout.strip()} {r.stderr.strip()}")
    rules = yaml.safe_load(alerts.read_text())
    for g in rules["groups"]:
        for rule in g["rules"]:
            check_metric_names(f"alert {rule.get('alert')}", rule["expr"], exported)
    print(f"alerts: {sum(len(g['rules']) for g in rules['groups'])} rules")


def check_grafana(promtool, exported):
    dash = json.loads((DEPLOY / "grafana" / "paygate.json").read_text())
    ids = [p["id"] for p in dash["panels"]]
    if len(ids) != len(set(ids)):
        fail(f"grafana: duplicate panel ids {ids}")
    rules = []
    for p in dash["panels"]:
        for t in p["targets"]:
            # Grafana's variables, as Grafana substitutes them, so promtool can parse the query.
            expr = t["expr"].replace("$__rate_interval", "5m").replace("$instance", ".*")
            check_metric_names(f"grafana panel {p['title']!r}", expr, exported)
            rules.append({"record": f"grafana:panel_{p['id']}_{t['refId']}", "expr": expr})
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        yaml.safe_dump({"groups": [{"name": "grafana", "rules": rules}]}, f)
        f.flush()
        r = subprocess.run([promtool, "check", "rules", f.name], capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"grafana: a query does not parse: {r.stdout.strip()} {r.stderr.strip()}")
    print(f"grafana: {len(dash['panels'])} panels, {len(rules)} queries")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--paygate", required=True, help="the paygate binary")
    ap.add_argument("--metrics", required=True, help="a GET /metrics answer of a running gateway")
    ap.add_argument("--promtool", default="promtool")
    ap.add_argument("--alerts", default=str(DEPLOY / "prometheus" / "alerts.yaml"))
    ap.add_argument("--only", choices=["all", "prometheus"], default="all")
    a = ap.parse_args()
    exported = exported_metrics(pathlib.Path(a.metrics).read_text()) | PROMETHEUS_OWN
    check_prometheus(a.promtool, pathlib.Path(a.alerts), exported)
    if a.only == "all":
        paygate_help = subprocess.run([a.paygate, "serve", "--help"], capture_output=True,
                                      text=True, check=True).stdout
        check_grafana(a.promtool, exported)
        check_dockerfile()
        check_compose(a.paygate, paygate_help)
        check_chart(paygate_help)
    for f in failures:
        print("FAIL", f)
    print(f"{len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
