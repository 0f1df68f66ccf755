#!/usr/bin/env python3
"""Checks of everything under deploy/, the Dockerfile and the release scripts.

Run by CTest (tests/deploy/CMakeLists.txt), one test class per CTest test:
    python3 tests/deploy/deploy_test.py -v HelmLint
Needs python3 with PyYAML, helm (scripts/install-helm.sh; $HELM, else PATH) and promtool
(Debian package prometheus).
"""

import base64
import fnmatch
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import zlib

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CHART = os.path.join(ROOT, "deploy", "helm", "redlink")
VALUES_FULL = os.path.join(HERE, "values-full.yaml")
ALERTS = os.path.join(ROOT, "deploy", "prometheus", "redlink-alerts.yaml")
ALERTS_TEST = os.path.join(HERE, "redlink-alerts-test.yaml")
DASHBOARD = os.path.join(ROOT, "deploy", "grafana", "redlink-dashboard.json")
DOCKERFILE = os.path.join(ROOT, "Dockerfile")
RUNTIME_PACKAGES = os.path.join(ROOT, "scripts", "runtime-packages.txt")

# redlinkd's flags and defaults that the chart and image must agree with (API contract).
DEFAULT_PORTS = {"grpc": 50051, "metrics": 9121, "resp": 6380}
DEFAULT_MAX_LINKS = 10000
DEFAULT_MAX_BULK_LEN = 536870912
DATA_DIR = "/var/lib/redlink"
RUN_AS = 65532
LINK_ID = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


def read_lines(path):
    with open(path) as f:
        return [l.split("#", 1)[0].strip() for l in f if l.split("#", 1)[0].strip()]


METRIC_NAMES = set(read_lines(os.path.join(HERE, "metric_names.txt")))


def tool(name, env_var):
    path = os.environ.get(env_var) or shutil.which(name)
    if not path or not os.access(path, os.X_OK):
        hint = " (scripts/install-helm.sh installs it)" if name == "helm" else ""
        raise AssertionError(f"{name} not found: set ${env_var} or put it on PATH{hint}")
    return path


def run(args, ok=True, **kw):
    p = subprocess.run(args, capture_output=True, text=True, **kw)
    if ok and p.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def helm(*args, ok=True):
    return run([tool("helm", "HELM"), *args], ok=ok)


def render(*values_args, release="r", namespace="prod"):
    """helm template -> list of manifests (dicts)."""
    out = helm("template", release, CHART, "--namespace", namespace, *values_args).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def by_kind(docs, kind):
    return [d for d in docs if d["kind"] == kind]


def one(docs, kind, name=None):
    found = [d for d in by_kind(docs, kind) if name is None or d["metadata"]["name"] == name]
    if len(found) != 1:
        raise AssertionError(f"expected one {kind} {name or ''}, found {len(found)}")
    return found[0]


def pod_spec(docs):
    return one(docs, "StatefulSet")["spec"]["template"]["spec"]


def container(docs):
    containers = pod_spec(docs)["containers"]
    assert len(containers) == 1, containers
    return containers[0]


def flags(c):
    """--name=value args -> {name: value}."""
    out = {}
    for a in c.get("args", []):
        m = re.match(r"^--([a-z_]+)=(.*)$", a)
        assert m, f"argument {a!r} is not --flag=value"
        out[m.group(1)] = m.group(2)
    return out


def pod_for(link_id, replicas):
    # The chart's rule: mod (adler32sum link_id | atoi) replicas. sprig's adler32sum is Go's
    # hash/adler32, the same checksum as zlib's.
    return zlib.adler32(link_id.encode()) % replicas


# ----------------------------------------------------------------------------------------------
class HelmLint(unittest.TestCase):
    """helm lint --strict: no errors and no warnings, for the defaults and the full values."""

    def lint(self, *args):
        p = helm("lint", "--strict", CHART, *args, ok=False)
        text = p.stdout + p.stderr
        self.assertEqual(p.returncode, 0, text)
        self.assertNotRegex(text, r"\[(WARNING|ERROR)\]", text)

    def test_defaults(self):
        self.lint()

    def test_full_values(self):
        self.lint("-f", VALUES_FULL)

    def test_single_replica_no_auth_no_persistence(self):
        self.lint("--set", "auth.enabled=false", "--set", "persistence.enabled=false")


# ----------------------------------------------------------------------------------------------
class ChartDefaults(unittest.TestCase):
    """helm template with the default values."""

    @classmethod
    def setUpClass(cls):
        cls.docs = render()

    def test_objects(self):
        kinds = sorted(d["kind"] for d in self.docs)
        # The links ConfigMap is there even without links: it tells every pod to drop the links
        # that an earlier release declared.
        self.assertEqual(kinds, sorted(["StatefulSet", "Service", "Service", "Secret",
                                        "ServiceAccount", "PodDisruptionBudget", "ConfigMap"]))
        # Off by default: they need CRDs or opt-in.
        for kind in ("ServiceMonitor", "PrometheusRule", "NetworkPolicy"):
            self.assertEqual(by_kind(self.docs, kind), [])

    def test_flags_are_the_binarys_defaults(self):
        f = flags(container(self.docs))
        self.assertEqual(f["grpc_addr"], f"0.0.0.0:{DEFAULT_PORTS['grpc']}")
        self.assertEqual(f["metrics_addr"], f"0.0.0.0:{DEFAULT_PORTS['metrics']}")
        self.assertEqual(f["resp_addr"], f"0.0.0.0:{DEFAULT_PORTS['resp']}")
        self.assertEqual(f["data_dir"], DATA_DIR)
        self.assertEqual(int(f["max_links"]), DEFAULT_MAX_LINKS)
        self.assertEqual(int(f["max_bulk_len"]), DEFAULT_MAX_BULK_LEN)
        self.assertIn(f["log_format"], ("text", "json"))
        self.assertIn(f["log_level"], ("debug", "info", "warning", "error"))
        # Always passed: with no declared links the file says `links: []`, which deletes links
        # declared by an earlier release (no flag would keep them).
        self.assertEqual(f["links_file"], "/etc/redlink/links/$(POD_NAME).yaml")
        self.assertNotIn("threads", f)     # 0 = redlinkd's default

    def test_api_is_never_open_by_default(self):
        c = container(self.docs)
        token_file = flags(c)["auth_token_file"]
        secret = one(self.docs, "Secret")
        key = os.path.basename(token_file)
        self.assertIn(key, secret["data"])
        token = base64.b64decode(secret["data"][key]).decode()
        self.assertRegex(token, r"^[A-Za-z0-9]{32}$")
        # The token file is the mounted Secret key.
        vol = next(v for v in pod_spec(self.docs)["volumes"] if v["name"] == "auth")
        self.assertEqual(vol["secret"]["secretName"], secret["metadata"]["name"])
        mount = next(m for m in c["volumeMounts"] if m["name"] == "auth")
        self.assertEqual(os.path.join(mount["mountPath"], key), token_file)

    def test_a_given_token_is_used(self):
        docs = render("--set", "auth.token=s3cr3t-Token")
        self.assertEqual(base64.b64decode(one(docs, "Secret")["data"]["token"]).decode(),
                         "s3cr3t-Token")

    def test_no_auth_when_disabled(self):
        docs = render("--set", "auth.enabled=false")
        self.assertEqual(by_kind(docs, "Secret"), [])
        self.assertNotIn("auth_token_file", flags(container(docs)))

    def test_emptydir_when_persistence_disabled(self):
        docs = render("--set", "persistence.enabled=false")
        sts = one(docs, "StatefulSet")
        self.assertNotIn("volumeClaimTemplates", sts["spec"])
        vol = next(v for v in sts["spec"]["template"]["spec"]["volumes"] if v["name"] == "data")
        self.assertIn("emptyDir", vol)


# ----------------------------------------------------------------------------------------------
class ChartFull(unittest.TestCase):
    """helm template with tests/deploy/values-full.yaml: every object, and how they fit."""

    @classmethod
    def setUpClass(cls):
        cls.docs = render("-f", VALUES_FULL)
        with open(VALUES_FULL) as f:
            cls.values = yaml.safe_load(f)
        cls.fullname = "r-redlink"
        cls.sts = one(cls.docs, "StatefulSet", cls.fullname)
        cls.c = container(cls.docs)
        cls.flags = flags(cls.c)

    def test_every_object_is_there(self):
        one(self.docs, "StatefulSet", self.fullname)
        one(self.docs, "Service", self.fullname)
        one(self.docs, "Service", self.fullname + "-headless")
        one(self.docs, "ConfigMap", self.fullname + "-links")
        one(self.docs, "ConfigMap", self.fullname + "-dashboard")
        one(self.docs, "ServiceMonitor")
        one(self.docs, "PrometheusRule")
        one(self.docs, "NetworkPolicy")
        pdb = one(self.docs, "PodDisruptionBudget")
        self.assertEqual(pdb["spec"]["maxUnavailable"], 1)
        self.assertEqual(pdb["spec"]["selector"]["matchLabels"],
                         self.sts["spec"]["selector"]["matchLabels"])
        # existingSecret: the chart makes no token Secret of its own.
        self.assertEqual(by_kind(self.docs, "Secret"), [])
        for d in self.docs:
            self.assertEqual(d["metadata"].get("namespace"), "prod", d["metadata"]["name"])

    def test_statefulset(self):
        spec = self.sts["spec"]
        self.assertEqual(spec["replicas"], 3)
        self.assertEqual(spec["serviceName"], self.fullname + "-headless")
        labels = spec["template"]["metadata"]["labels"]
        for k, v in spec["selector"]["matchLabels"].items():
            self.assertEqual(labels[k], v)
        self.assertEqual(self.c["image"], "registry.example.com/redlink:0.1.0")
        # The data dir on the claim template, mounted where --data_dir points.
        (claim,) = spec["volumeClaimTemplates"]
        self.assertEqual(claim["spec"]["resources"]["requests"]["storage"], "10Gi")
        self.assertEqual(claim["spec"]["storageClassName"], "fast-ssd")
        mount = next(m for m in self.c["volumeMounts"] if m["name"] == claim["metadata"]["name"])
        self.assertEqual(mount["mountPath"], self.flags["data_dir"])
        self.assertNotIn(claim["metadata"]["name"],
                         [v["name"] for v in spec["template"]["spec"]["volumes"]])
        self.assertEqual(self.flags["threads"], "2")
        self.assertIn("--max_links=5000", self.c["args"])  # extraArgs
        # Kubernetes must not inject REDLINK_PORT & co. from a Service named "redlink".
        self.assertIs(spec["template"]["spec"]["enableServiceLinks"], False)

    def test_ports_and_probes_match_the_flags(self):
        ports = {p["name"]: p["containerPort"] for p in self.c["ports"]}
        self.assertEqual(ports, DEFAULT_PORTS)
        for name, flag in (("grpc", "grpc_addr"), ("metrics", "metrics_addr"), ("resp", "resp_addr")):
            host, port = self.flags[flag].rsplit(":", 1)
            self.assertEqual(host, "0.0.0.0", "in a pod, listen on every interface")
            self.assertEqual(int(port), ports[name])
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            p = self.c[probe]
            # Native gRPC probe on grpc.health.v1, overall service "" (no service field), so a
            # dead master never makes the pod unready.
            self.assertEqual(set(p) & {"grpc", "httpGet", "tcpSocket", "exec"}, {"grpc"}, probe)
            self.assertEqual(p["grpc"]["port"], ports["grpc"], probe)
            self.assertIn(p["grpc"].get("service", ""), ("",), probe)

    def test_services(self):
        ports = {p["name"]: p["containerPort"] for p in self.c["ports"]}
        main = one(self.docs, "Service", self.fullname)
        headless = one(self.docs, "Service", self.fullname + "-headless")
        self.assertEqual(main["spec"]["type"], "ClusterIP")
        self.assertEqual(headless["spec"]["clusterIP"], "None")
        selector = self.sts["spec"]["selector"]["matchLabels"]
        for svc in (main, headless):
            self.assertEqual(svc["spec"]["selector"], selector)
            sp = {p["name"]: p for p in svc["spec"]["ports"]}
            self.assertEqual(set(sp), set(ports))
            for name, p in sp.items():
                self.assertEqual(p["port"], ports[name])
                self.assertEqual(p["targetPort"], name)

    def test_security(self):
        pod = self.sts["spec"]["template"]["spec"]
        psc, sc = pod["securityContext"], self.c["securityContext"]
        self.assertTrue(psc["runAsNonRoot"])
        self.assertEqual(psc["runAsUser"], RUN_AS)
        self.assertEqual(psc["fsGroup"], RUN_AS)
        self.assertTrue(sc["runAsNonRoot"])
        self.assertTrue(sc["readOnlyRootFilesystem"])
        self.assertIs(sc["allowPrivilegeEscalation"], False)
        self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
        self.assertEqual(sc["seccompProfile"]["type"], "RuntimeDefault")
        self.assertIs(pod["automountServiceAccountToken"], False)
        self.assertEqual(self.c["resources"]["limits"]["memory"], "8Gi")

    def test_token_from_existing_secret(self):
        token_file = self.flags["auth_token_file"]
        self.assertEqual(os.path.basename(token_file), "api-token")
        vol = next(v for v in self.sts["spec"]["template"]["spec"]["volumes"] if v["name"] == "auth")
        self.assertEqual(vol["secret"]["secretName"], "redlink-api-token")
        self.assertEqual([i["key"] for i in vol["secret"]["items"]], ["api-token"])

    def links_files(self):
        cm = one(self.docs, "ConfigMap", self.fullname + "-links")
        return {k: yaml.safe_load(v) for k, v in cm["data"].items()}

    def test_each_declared_link_runs_on_exactly_one_pod(self):
        files = self.links_files()
        replicas = self.values["replicaCount"]
        self.assertEqual(sorted(files), [f"{self.fullname}-{i}.yaml" for i in range(replicas)])
        seen = {}
        for name, content in files.items():
            ordinal = int(re.match(rf"^{self.fullname}-(\d+)\.yaml$", name).group(1))
            for link in content["links"] or []:
                self.assertNotIn(link["link_id"], seen, "a link on two pods")
                seen[link["link_id"]] = ordinal
        declared = [l["link_id"] for l in self.values["links"]]
        self.assertEqual(sorted(seen), sorted(declared))
        for link_id, ordinal in seen.items():
            self.assertEqual(ordinal, pod_for(link_id, replicas), link_id)
        # Each pod finds its own file: --links_file names it after the pod, from the downward API.
        self.assertEqual(self.flags["links_file"], "/etc/redlink/links/$(POD_NAME).yaml")
        env = {e["name"]: e for e in self.c["env"]}
        self.assertEqual(env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"], "metadata.name")
        mount = next(m for m in self.c["volumeMounts"] if m["name"] == "links")
        self.assertEqual(mount["mountPath"], os.path.dirname(self.flags["links_file"]))
        vol = next(v for v in self.sts["spec"]["template"]["spec"]["volumes"] if v["name"] == "links")
        self.assertEqual(vol["configMap"]["name"], self.fullname + "-links")
        # Pods are named <statefulset>-<ordinal>: the keys above are the pods' names.
        self.assertEqual(self.sts["metadata"]["name"], self.fullname)

    def test_links_file_entries(self):
        declared = {l["link_id"]: l for l in self.values["links"]}
        pod = self.sts["spec"]["template"]["spec"]
        mounts = {m["name"]: m["mountPath"] for m in self.c["volumeMounts"]}
        # password_file path -> (secret, key) as mounted
        mounted = {}
        for v in pod["volumes"]:
            if "secret" in v and v["name"] in mounts:
                for item in v["secret"].get("items", []):
                    mounted[os.path.join(mounts[v["name"]], item["path"])] = (
                        v["secret"]["secretName"], item["key"])
        for content in self.links_files().values():
            for entry in content["links"] or []:
                want = declared[entry["link_id"]]
                self.assertRegex(entry["link_id"], LINK_ID)
                self.assertEqual(entry["master"], want["master"])
                self.assertEqual(entry.get("options"), want.get("options"))
                auth = want.get("auth")
                if not auth:
                    self.assertNotIn("auth", entry)
                    continue
                self.assertEqual(set(entry["auth"]) - {"username", "password_file"}, set())
                self.assertEqual(entry["auth"].get("username"), auth.get("username"))
                ref = auth["passwordSecret"]
                self.assertEqual(mounted.get(entry["auth"]["password_file"]),
                                 (ref["name"], ref["key"]), entry)

    def test_no_secret_in_any_configmap(self):
        # A literal token and password-looking values: none may reach a ConfigMap.
        token = "tok-" + "Z9" * 14
        docs = render("-f", VALUES_FULL, "--set", "auth.existingSecret=",
                      "--set", f"auth.token={token}")
        secret = one(docs, "Secret")
        self.assertEqual(base64.b64decode(secret["data"]["api-token"]).decode(), token)
        for cm in by_kind(docs, "ConfigMap"):
            text = yaml.safe_dump(cm)
            self.assertNotIn(token, text, cm["metadata"]["name"])
            if cm["metadata"]["name"].endswith("-links"):
                for content in cm["data"].values():
                    self.assertNotRegex(content, r"(?m)^\s*(password|password_env|token)\s*:")
        for d in docs:
            if d["kind"] != "Secret":
                self.assertNotIn(token, yaml.safe_dump(d), d["kind"])

    def test_service_monitor_scrapes_each_pod_once(self):
        sm = one(self.docs, "ServiceMonitor")
        self.assertEqual(sm["metadata"]["labels"]["release"], "prometheus")
        sel = sm["spec"]["selector"]["matchLabels"]
        matching = [s for s in by_kind(self.docs, "Service")
                    if all(s["metadata"]["labels"].get(k) == v for k, v in sel.items())]
        self.assertEqual(len(matching), 1, "two Services selected: every pod scraped twice")
        (ep,) = sm["spec"]["endpoints"]
        self.assertEqual(ep["path"], "/metrics")
        self.assertIn(ep["port"], [p["name"] for p in matching[0]["spec"]["ports"]])
        self.assertEqual(sm["spec"]["namespaceSelector"]["matchNames"], ["prod"])

    def test_prometheus_rule_embeds_the_alert_file(self):
        pr = one(self.docs, "PrometheusRule")
        with open(ALERTS) as f:
            alerts = yaml.safe_load(f)
        self.assertEqual(pr["spec"]["groups"], alerts["groups"])
        docs = render("-f", VALUES_FULL, "--set-json",
                      'metrics.prometheusRule.extraGroups=[{"name":"mine","rules":[]}]')
        groups = one(docs, "PrometheusRule")["spec"]["groups"]
        self.assertEqual(groups[-1]["name"], "mine")
        self.assertEqual(groups[:-1], alerts["groups"])

    def test_dashboard_configmap(self):
        cm = one(self.docs, "ConfigMap", self.fullname + "-dashboard")
        self.assertEqual(cm["metadata"]["labels"]["grafana_dashboard"], "1")
        with open(DASHBOARD) as f:
            self.assertEqual(json.loads(cm["data"]["redlink-dashboard.json"]), json.load(f))

    def test_network_policy(self):
        np = one(self.docs, "NetworkPolicy")
        self.assertEqual(np["spec"]["podSelector"]["matchLabels"],
                         self.sts["spec"]["selector"]["matchLabels"])
        rules = {r["ports"][0]["port"]: r for r in np["spec"]["ingress"]}
        self.assertEqual(set(rules), set(DEFAULT_PORTS.values()))
        for name, port in DEFAULT_PORTS.items():
            self.assertEqual(rules[port]["from"], self.values["networkPolicy"][name]["from"])

    def test_notes_show_the_assignment_and_the_token(self):
        out = helm("install", "r", CHART, "-n", "prod", "-f", VALUES_FULL,
                   "--dry-run=client").stdout
        notes = out.split("NOTES:", 1)[1]
        self.assertIn("port-forward", notes)
        self.assertIn("grpcurl", notes)
        self.assertIn('authorization: Bearer $TOKEN', notes)
        self.assertIn("secret redlink-api-token", notes)
        for link in self.values["links"]:
            self.assertIn(f"{link['link_id']} -> {self.fullname}-{pod_for(link['link_id'], 3)} ",
                          notes)


# ----------------------------------------------------------------------------------------------
class ChartSchema(unittest.TestCase):
    """values.schema.json rejects bad values at template time; good edge cases pass."""

    LINK = "links[0].master.host=redis,links[0].master.port=6379,links[0].link_id="

    def template(self, *sets):
        args = []
        for s in sets:
            args += ["--set", s]
        return helm("template", "r", CHART, *args, ok=False)

    def assertRejected(self, *sets, why=None):
        p = self.template(*sets)
        self.assertNotEqual(p.returncode, 0, f"accepted: {sets}")
        if why:
            self.assertIn(why, p.stderr)

    def test_bad_link_ids(self):
        for bad in ("Cache-A", "cache_a", "-cache", "cache-", "a" * 64, "cache.a"):
            self.assertRejected(self.LINK + bad, why="schema")

    def test_good_link_ids(self):
        for good in ("a", "0-legacy", "cache-a", "a" * 63):
            p = self.template(self.LINK + good)
            self.assertEqual(p.returncode, 0, p.stderr)

    def test_bad_ports(self):
        self.assertRejected("ports.grpc=70000", why="schema")
        self.assertRejected("ports.resp=0", why="schema")
        self.assertRejected(self.LINK + "a", "links[0].master.port=70000", why="schema")

    def test_plain_passwords_are_refused(self):
        self.assertRejected(self.LINK + "a", "links[0].auth.password=hunter2", why="schema")

    def test_other_bad_values(self):
        self.assertRejected("replicaCount=0", why="schema")
        self.assertRejected("config.logLevel=verbose", why="schema")
        self.assertRejected("config.logFormat=xml", why="schema")
        self.assertRejected(self.LINK + "a", "links[0].options.unsupported_commands=IGNORE",
                            why="schema")
        self.assertRejected("replicas=3", why="schema")  # a typo of replicaCount
        self.assertRejected(self.LINK + "a", "links[0].master.host=", why="schema")

    def test_duplicate_link_ids(self):
        self.assertRejected(self.LINK + "a", "links[1].link_id=a,links[1].master.host=h,"
                            "links[1].master.port=1", why="declared twice")


# ----------------------------------------------------------------------------------------------
def promql_metric_names(expr):
    """Metric names a PromQL expression reads (good enough for our dashboards and rules)."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)        # string literals
    e = re.sub(r"\{[^}]*\}", "", e)                       # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)                      # range selectors
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", e)
    e = re.sub(r"\$\{?\w+\}?", "", e)                     # Grafana variables
    keywords = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
                "unless", "bool", "offset", "inf", "nan"}
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        tok = m.group(0)
        if e[m.end():].lstrip().startswith("("):
            continue  # function or aggregation
        if tok.lower() in keywords or (m.start() > 0 and e[m.start() - 1].isdigit()):
            continue  # keyword, or a unit/exponent of a number (5m, 1e3)
        names.add(tok)
    return names


class PromqlHelper(unittest.TestCase):
    def test_extraction(self):
        self.assertEqual(
            promql_metric_names('sum without (state) (a_b{state=~"X|Y"}) == 0 and on (job) c > 1e3'),
            {"a_b", "c"})
        self.assertEqual(promql_metric_names('time() - process_start_time_seconds{job=~"$job"}'),
                         {"process_start_time_seconds"})
        self.assertEqual(promql_metric_names("rate(x[$__rate_interval]) or vector(0)"), {"x"})


def promtool():
    return tool("promtool", "PROMTOOL")


class AlertRules(unittest.TestCase):
    def test_promtool_check(self):
        run([promtool(), "check", "rules", ALERTS])

    def test_promtool_unit_tests(self):
        run([promtool(), "test", "rules", ALERTS_TEST], cwd=HERE)

    def test_required_alerts_and_metric_names(self):
        with open(ALERTS) as f:
            rules = [r for g in yaml.safe_load(f)["groups"] for r in g["rules"]]
        names = {r["alert"] for r in rules}
        for want in ("RedlinkLinkNotStreaming", "RedlinkLinkFailed",
                     "RedlinkLinkRepeatedFullSyncs", "RedlinkLinkAuthFailing"):
            self.assertIn(want, names)
        for r in rules:
            used = promql_metric_names(r["expr"])
            self.assertTrue(used, r["alert"])
            self.assertEqual(used - METRIC_NAMES, set(), r["alert"])
            self.assertIn(r["labels"]["severity"], ("warning", "critical"))
            self.assertIn("summary", r["annotations"])


class Dashboard(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(DASHBOARD) as f:
            cls.dash = json.load(f)
        cls.panels = [p for p in cls.dash["panels"] if p["type"] != "row"]
        cls.exprs = [t["expr"] for p in cls.panels for t in p.get("targets", [])]

    def test_structure(self):
        self.assertEqual(self.dash["uid"], "redlink-overview")
        ids = [p["id"] for p in self.dash["panels"]]
        self.assertEqual(len(ids), len(set(ids)), "panel ids must be unique")
        var_names = [v["name"] for v in self.dash["templating"]["list"]]
        self.assertEqual(var_names[0], "datasource")
        for p in self.panels:
            self.assertEqual(p["datasource"]["uid"], "${datasource}", p["title"])
            self.assertTrue(p.get("targets"), p["title"])
            for k in ("h", "w", "x", "y"):
                self.assertIn(k, p["gridPos"])

    def test_metric_names_are_the_exported_ones(self):
        used = set()
        for e in self.exprs:
            names = promql_metric_names(e)
            self.assertTrue(names, f"no metric in {e!r}")
            self.assertEqual(names - METRIC_NAMES, set(), e)
            used |= names
        for v in self.dash["templating"]["list"]:
            if v["type"] == "query":
                (m,) = re.findall(r"label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)", v["definition"])
                self.assertIn(m, METRIC_NAMES)
        # What the dashboard is for: every exported metric shows up somewhere.
        self.assertEqual(METRIC_NAMES - used, set())

    def test_required_views(self):
        joined = "\n".join(self.exprs)
        for needle in ("by (state) (redlink_links",                   # links by state
                       "redlink_link_last_io_age_seconds",            # staleness
                       "rate(redlink_link_repl_offset_bytes",         # offset rate
                       "increase(redlink_link_full_syncs_total",      # sync events
                       "increase(redlink_link_partial_syncs_total",
                       "rate(redlink_link_commands_applied_total",    # commands/s
                       "rate(redlink_link_rdb_bytes_received_total",  # bytes/s
                       "by (step) (rate(redlink_link_errors_total",   # errors by step
                       "process_resident_memory_bytes",
                       "rate(process_cpu_seconds_total"):
            self.assertIn(needle, joined)

    def test_promql_syntax(self):
        # promtool parses every expression: each becomes a recording rule, with the Grafana
        # variables replaced by values Prometheus would see.
        rules = []
        for i, e in enumerate(self.exprs):
            e = e.replace("$__rate_interval", "5m")
            e = re.sub(r"\$\{?\w+\}?", ".*", e)
            rules.append({"record": f"dashboard:expr_{i}", "expr": e})
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)
            f.flush()
            run([promtool(), "check", "rules", f.name])


# ----------------------------------------------------------------------------------------------
class Image(unittest.TestCase):
    """The Dockerfile, read as text (no Docker engine here), against the chart and the flags."""

    @classmethod
    def setUpClass(cls):
        with open(DOCKERFILE) as f:
            text = f.read().replace("\\\n", " ")
        cls.lines = [l.strip() for l in text.splitlines() if l.strip() and not l.strip().startswith("#")]

    def instr(self, name):
        return [l.split(None, 1)[1] for l in self.lines if l.split(None, 1)[0].upper() == name]

    def test_stages(self):
        froms = self.instr("FROM")
        self.assertEqual(len(froms), 2)
        args = dict(a.split("=", 1) for a in self.instr("ARG") if "=" in a)
        self.assertEqual(args["DEBIAN_IMAGE"], "debian:12")
        self.assertEqual(args["RUNTIME_IMAGE"], "debian:12-slim")
        runs = " ".join(self.instr("RUN"))
        self.assertIn("scripts/build-release.sh", runs)
        self.assertIn("runtime-packages.txt", runs)

    def test_runtime(self):
        self.assertEqual(json.loads(self.instr("ENTRYPOINT")[-1]), ["/usr/local/bin/redlinkd"])
        self.assertEqual(self.instr("USER")[-1], f"{RUN_AS}:{RUN_AS}")
        self.assertEqual(self.instr("WORKDIR")[-1], DATA_DIR)
        exposed = {int(p) for e in self.instr("EXPOSE") for p in e.split()}
        self.assertEqual(exposed, set(DEFAULT_PORTS.values()))
        env = dict(re.findall(r"(REDLINK_[A-Z_]+)=(\S+)", " ".join(self.instr("ENV"))))
        self.assertEqual(env, {
            "REDLINK_GRPC_ADDR": f"0.0.0.0:{DEFAULT_PORTS['grpc']}",
            "REDLINK_METRICS_ADDR": f"0.0.0.0:{DEFAULT_PORTS['metrics']}",
            "REDLINK_RESP_ADDR": f"0.0.0.0:{DEFAULT_PORTS['resp']}",
            "REDLINK_DATA_DIR": DATA_DIR,
        })

    def test_chart_runs_the_image_as_its_user(self):
        docs = render()
        psc = pod_spec(docs)["securityContext"]
        self.assertEqual((psc["runAsUser"], psc["runAsGroup"]), (RUN_AS, RUN_AS))

    def test_dockerignore_keeps_the_build_inputs(self):
        with open(os.path.join(ROOT, ".dockerignore")) as f:
            patterns = [l.strip().lstrip("/") for l in f if l.strip() and not l.startswith("#")]
        for path in ("CMakeLists.txt", "scripts/build-release.sh", "scripts/check-runtime-libs.sh",
                     "scripts/runtime-packages.txt", "engine/CMakeLists.txt",
                     "service/CMakeLists.txt", "proto/CMakeLists.txt", "tests/CMakeLists.txt"):
            parts = path.split("/")
            prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
            for pat in patterns:
                for pre in prefixes:
                    self.assertFalse(fnmatch.fnmatch(pre, pat), f"{pat} excludes {path}")

    def test_runtime_packages_are_library_packages(self):
        pkgs = read_lines(RUNTIME_PACKAGES)
        self.assertTrue(pkgs)
        self.assertEqual(len(pkgs), len(set(pkgs)))
        for p in pkgs:
            self.assertFalse(p.endswith("-dev"), p)
            self.assertRegex(p, r"^[a-z0-9][a-z0-9+.-]+$")


class RuntimeLibsCheck(unittest.TestCase):
    """scripts/check-runtime-libs.sh itself, on a binary of this machine (redlinkd's own run is
    at the end of scripts/build-release.sh)."""

    SCRIPT = os.path.join(ROOT, "scripts", "check-runtime-libs.sh")

    def packages_of(self, binary):
        libs = re.findall(r"=> (/\S+)", run(["ldd", binary]).stdout)
        paths = sorted({p for lib in libs for p in (lib, os.path.realpath(lib))})
        out = run(["dpkg", "-S", *paths], ok=False).stdout
        pkgs = {line.split(":", 1)[0] for line in out.splitlines() if ": /" in line}
        return pkgs - {"libc6", "libstdc++6", "libgcc-s1"}

    def check(self, binary, packages):
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as f:
            f.write("# test list\n" + "\n".join(sorted(packages)) + "\n")
            f.flush()
            return run([self.SCRIPT, binary], ok=False,
                       env=dict(os.environ, RUNTIME_PACKAGES=f.name))

    def test_passes_and_fails(self):
        binary = shutil.which("protoc") or "/bin/ls"
        binary = os.path.realpath(binary)
        pkgs = self.packages_of(binary)
        self.assertTrue(pkgs, f"{binary} loads only base libraries: pick another binary")
        good = self.check(binary, pkgs)
        self.assertEqual(good.returncode, 0, good.stdout + good.stderr)
        missing = sorted(pkgs)[0]
        bad = self.check(binary, pkgs - {missing})
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn(f"'{missing}'", bad.stderr)

    def test_rejects_a_missing_binary(self):
        p = self.check("/nonexistent/redlinkd", set())
        self.assertNotEqual(p.returncode, 0)


if __name__ == "__main__":
    unittest.main()
