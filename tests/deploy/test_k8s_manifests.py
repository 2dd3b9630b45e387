"""deploy/k8s holds together: every manifest parses; only the gateway is reachable from outside
and each service only from the gateway; each Cairn pod may reach only its database, Kafka and
DNS (and the HTTPS it needs); Kafka takes SCRAM-SHA-512 clients only, each with exactly the ACLs
its code needs, derived from `contracts.topics` and each service's consumer (so they cannot
drift); and each Deployment logs in to Kafka as its own KafkaUser."""

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from contracts.topics import ALL_TOPICS, CONSUMER_GROUPS, HRIS_CHANGES, dead_letter_topic
from feedback import bootstrap as feedback_bootstrap
from feedback.config import FeedbackSettings
from gateway.config import GatewayStoreSettings
from matching import bootstrap as matching_bootstrap
from matching.config import MatchingSettings
from messaging.settings import KafkaSettings
from profiles import bootstrap as profiles_bootstrap
from profiles.config import ProfilesSettings
from runtime.process import ServiceProcess
from runtime.sealing import Sealer, new_key
from sessions import bootstrap as sessions_bootstrap
from sessions.config import SessionsSettings

from gateway import bootstrap as gateway_bootstrap

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
BASE = K8S / "base"
SERVICES = ("profiles", "matching", "sessions", "feedback")
KAFKA_PORT = 9092
HTTP_PORT = 8080
# Where pods may go on the public internet: HTTPS, never the cluster's or the node's own
# networks (the Kubernetes API, cloud metadata) through it.
PRIVATE = {
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "169.254.0.0/16",
    "100.64.0.0/10",
    "127.0.0.0/8",
}
HTTPS_OUT = {"gateway", "sessions"}  # HRIS providers; calendar providers


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


def manifests() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(K8S.rglob("*.yaml")):
        for document in documents(path):
            yield path, document


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [d for _, d in manifests() if d.get("kind") == kind]


def named(kind: str, name: str) -> dict[str, Any]:
    [found] = [d for d in of_kind(kind) if d["metadata"]["name"] == name]
    return found


# --- every manifest ----------------------------------------------------------------------


def test_every_manifest_parses_and_every_base_file_is_applied() -> None:
    for path, document in manifests():
        if path.name == "collector-config.yaml":
            continue  # the collector's own configuration, mounted from a ConfigMap
        assert {"apiVersion", "kind"} <= set(document), path
    listed = set(documents(BASE / "kustomization.yaml")[0]["resources"])
    files = {p.name for p in BASE.glob("*.yaml")} - {"kustomization.yaml", "secrets.example.yaml"}
    assert files == listed


def test_the_topics_are_the_catalogs() -> None:
    declared = {t["spec"]["topicName"] for t in of_kind("KafkaTopic")}
    assert declared == {*ALL_TOPICS, *(dead_letter_topic(g) for g in CONSUMER_GROUPS)}


# --- who may reach whom ------------------------------------------------------------------


def selects(policy: dict[str, Any], labels: dict[str, str]) -> bool:
    selector = policy["spec"]["podSelector"]
    wanted = selector.get("matchLabels", {})
    if any(labels.get(k) != v for k, v in wanted.items()):
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In"
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = dict(workload["spec"]["template"]["metadata"]["labels"])
    labels["app.kubernetes.io/part-of"] = "cairn"  # added by base/kustomization.yaml
    return labels


def policies_for(workload: dict[str, Any], policy_type: str) -> list[dict[str, Any]]:
    return [
        p
        for p in of_kind("NetworkPolicy")
        if policy_type in p["spec"]["policyTypes"] and selects(p, pod_labels(workload))
    ]


def test_ingress_is_denied_in_the_namespace_unless_a_policy_allows_it() -> None:
    denying = [
        p
        for p in of_kind("NetworkPolicy")
        if p["spec"]["podSelector"] == {}
        and p["spec"]["policyTypes"] == ["Ingress"]
        and not p["spec"].get("ingress")
    ]
    assert len(denying) == 1


def test_every_workload_has_its_policy() -> None:
    """Each workload is let in by a policy of its own (beyond the namespace's deny); Cairn's
    pods have their egress closed to what a policy allows."""
    workloads = of_kind("Deployment") + of_kind("StatefulSet")
    assert len(workloads) >= 7  # four services, the gateway, postgres, the collector
    for workload in workloads:
        name = workload["metadata"]["name"]
        assert any(p["spec"].get("ingress") for p in policies_for(workload, "Ingress")), name
        if workload["metadata"]["labels"].get("app.kubernetes.io/component") == "service":
            assert policies_for(workload, "Egress"), name


def peers(rules: list[dict[str, Any]], direction: str) -> set[tuple[str, int, str]]:
    """(peer, port, protocol) for each rule, a peer written as a short stable string."""
    found = set()
    for rule in rules:
        for port in rule.get("ports", []):
            for peer in rule.get(direction) or [{"anywhere": True}]:
                found.add(
                    (
                        yaml.safe_dump(peer, sort_keys=True),
                        port["port"],
                        port.get("protocol", "TCP"),
                    )
                )
    return found


def allowed(workload: dict[str, Any], policy_type: str) -> set[tuple[str, int, str]]:
    key, direction = ("ingress", "from") if policy_type == "Ingress" else ("egress", "to")
    return set().union(
        *(peers(p["spec"].get(key, []), direction) for p in policies_for(workload, policy_type))
    )


def pods(**labels: str) -> str:
    return yaml.safe_dump({"podSelector": {"matchLabels": labels}}, sort_keys=True)


def test_only_the_gateway_is_reachable_from_outside_and_the_services_only_from_it() -> None:
    anywhere = yaml.safe_dump({"anywhere": True}, sort_keys=True)
    gateway = pods(**{"app.kubernetes.io/name": "gateway"})
    assert allowed(named("Deployment", "gateway"), "Ingress") == {(anywhere, "http", "TCP")}
    for service in SERVICES:
        assert allowed(named("Deployment", service), "Ingress") == {(gateway, "http", "TCP")}
    cairn = pods(**{"app.kubernetes.io/part-of": "cairn", "app.kubernetes.io/component": "service"})
    assert allowed(named("StatefulSet", "postgres"), "Ingress") == {(cairn, "postgres", "TCP")}


def test_each_cairn_pod_reaches_only_its_database_kafka_and_dns() -> None:
    dns = yaml.safe_dump(
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        },
        sort_keys=True,
    )
    everyone_needs = {
        (dns, 53, "UDP"),
        (dns, 53, "TCP"),
        (pods(**{"app.kubernetes.io/name": "postgres"}), 5432, "TCP"),
        (
            pods(**{"strimzi.io/cluster": "cairn-kafka", "strimzi.io/kind": "Kafka"}),
            KAFKA_PORT,
            "TCP",
        ),
    }
    # With components/otel-collector: telemetry to the collector, and nowhere else.
    collector = pods(**{"app.kubernetes.io/name": "otel-collector"})
    telemetry = {(collector, 4317, "TCP"), (collector, 4318, "TCP")}
    for name in (*SERVICES, "gateway"):
        reached = allowed(named("Deployment", name), "Egress")
        extra = reached - everyone_needs - telemetry
        assert everyone_needs <= reached, name
        https = {peer for peer in extra if peer[1:] == (443, "TCP")}
        if name in HTTPS_OUT:
            blocks = [yaml.safe_load(peer[0])["ipBlock"] for peer in https]
            assert {b["cidr"] for b in blocks} == {"0.0.0.0/0", "::/0"}, name
            v4 = next(b for b in blocks if b["cidr"] == "0.0.0.0/0")
            assert set(v4["except"]) >= PRIVATE, name
        else:
            assert not https, name
        inside = extra - https
        if name == "gateway":  # it calls the services' internal APIs
            selector = {
                "matchExpressions": [
                    {"key": "app.kubernetes.io/name", "operator": "In", "values": list(SERVICES)}
                ]
            }
            assert inside == {
                (yaml.safe_dump({"podSelector": selector}, sort_keys=True), HTTP_PORT, "TCP")
            }
        else:
            assert inside == set(), name


# --- Kafka: SCRAM clients, each with its own ACLs ----------------------------------------


def test_kafka_takes_scram_clients_only_from_cairn_pods_and_authorizes_them() -> None:
    kafka = named("Kafka", "cairn-kafka")["spec"]
    [listener] = kafka["kafka"]["listeners"]
    assert listener["port"] == KAFKA_PORT
    assert listener["authentication"] == {"type": "scram-sha-512"}
    assert listener["networkPolicyPeers"] == [
        {
            "podSelector": {
                "matchLabels": {
                    "app.kubernetes.io/part-of": "cairn",
                    "app.kubernetes.io/component": "service",
                }
            }
        }
    ]
    assert kafka["kafka"]["authorization"] == {"type": "simple"}
    assert "userOperator" in kafka["entityOperator"]  # it turns KafkaUsers into credentials


def processes(tmp: Path) -> dict[str, ServiceProcess]:
    """Each service's process as its bootstrap builds it (nothing started)."""
    key = "-----BEGIN PUBLIC KEY-----"

    def url(name: str) -> str:
        return f"sqlite:///{tmp / name}.db"

    kafka = KafkaSettings()
    return {
        "profiles": profiles_bootstrap.build(
            ProfilesSettings(database_url=url("p"), service_token_public_key=key), kafka
        ),
        "matching": matching_bootstrap.build(
            MatchingSettings(database_url=url("m"), service_token_public_key=key), kafka
        ).process,
        "sessions": sessions_bootstrap.build(
            SessionsSettings(
                database_url=url("s"), service_token_public_key=key, sealing_keys=new_key()
            ),
            kafka,
        ).process,
        "feedback": feedback_bootstrap.build(
            FeedbackSettings(database_url=url("f"), service_token_public_key=key), kafka
        ).process,
        "gateway": gateway_bootstrap.build(
            GatewayStoreSettings(database_url=url("g")), kafka, Sealer([new_key()])
        ),
    }


def owner(topic: str) -> str:
    """Who writes a topic: `cairn.<service>.<what>`; HRIS changes come in through the gateway."""
    return "gateway" if topic == HRIS_CHANGES else topic.split(".")[1]


def needed_acls(process: ServiceProcess) -> set[tuple[str, str, str]]:
    """(resource type, name, operation): Write implies Describe, Read implies Describe."""
    needed = {("topic", t, "Write") for t in ALL_TOPICS if owner(t) == process.name}
    if process.consumer is not None:
        needed |= {("topic", t, "Read") for t in process.topics}
        needed.add(("group", process.consumer.group, "Read"))
        needed.add(("topic", dead_letter_topic(process.consumer.group), "Write"))
    return needed


def granted(user: dict[str, Any]) -> set[tuple[str, str, str]]:
    found = set()
    for acl in user["spec"]["authorization"]["acls"]:
        resource = acl["resource"]
        assert resource.get("patternType", "literal") == "literal", resource  # no wildcards
        assert resource["name"] != "*"
        found |= {(resource["type"], resource["name"], op) for op in acl["operations"]}
    return found


def test_each_process_has_exactly_the_acls_its_code_needs(tmp_path: Path) -> None:
    built = processes(tmp_path)
    users = {u["metadata"]["name"]: u for u in of_kind("KafkaUser")}
    assert set(users) == {f"cairn-{name}" for name in built}
    for name, process in built.items():
        user = users[f"cairn-{name}"]
        assert user["metadata"]["labels"]["strimzi.io/cluster"] == "cairn-kafka"
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}
        assert user["spec"]["authorization"]["type"] == "simple"
        assert granted(user) == needed_acls(process), name


def env_of(deployment: dict[str, Any]) -> dict[str, Any]:
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def test_each_deployment_logs_in_to_kafka_as_its_own_user() -> None:
    shared = named("ConfigMap", "cairn-config")["data"]
    assert shared["KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
    assert shared["KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    for name in (*SERVICES, "gateway"):
        env = env_of(named("Deployment", name))
        assert env["KAFKA_SASL_USERNAME"] == f"cairn-{name}"
        # The Secret the User Operator makes for the KafkaUser of that name.
        assert env["KAFKA_SASL_PASSWORD"] == {
            "secretKeyRef": {"name": f"cairn-{name}", "key": "password"}
        }


def test_the_gateway_has_its_sealing_keys_and_public_url() -> None:
    env = env_of(named("Deployment", "gateway"))
    assert env["GATEWAY_SEALING_KEYS"] == {
        "secretKeyRef": {"name": "cairn-gateway-sealing", "key": "keys"}
    }
    assert named("ConfigMap", "cairn-gateway-config")["data"]["GATEWAY_PUBLIC_BASE_URL"].startswith(
        "https://"
    )


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl renders the overlays")
@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_the_overlays_render(overlay: str) -> None:
    done = subprocess.run(
        ["kubectl", "kustomize", str(K8S / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    kinds = [d["kind"] for d in yaml.safe_load_all(done.stdout) if d]
    assert kinds.count("KafkaUser") == 5 and kinds.count("NetworkPolicy") >= 7
