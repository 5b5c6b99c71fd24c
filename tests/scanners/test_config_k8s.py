"""Config scanner, Kubernetes manifests and docker-compose files: container and service
facts with the right path and line; Secret manifests; hardened examples stay quiet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from auditor.scanners.config import ConfigScanner

from auditor.models import Observation, Problem, Target
from auditor.scanner import Candidate, ScanOptions

SCANNER = ConfigScanner()
OPTIONS = ScanOptions(as_of=dt.date(2026, 12, 1), hash_key=b"test-key")


def scan(tmp_path: Path, name: str, text: str) -> list[Observation | Problem]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    claim = SCANNER.claim(Candidate(str(path), name, name, len(text), text.encode()[:8192]))
    assert claim is not None
    return list(SCANNER.scan(Target(name, str(path), claim.kind, "config"), OPTIONS))


def of_kind(items: list[Observation | Problem], kind: str) -> list[Observation]:
    return [o for o in items if isinstance(o, Observation) and o.kind == kind]


MANIFESTS = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {LOG_LEVEL: info}
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
  namespace: ops
spec:
  schedule: "0 2 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          hostPID: true
          securityContext: {runAsNonRoot: true}
          initContainers:
            - name: init
              image: busybox
          containers:
            - name: job
              image: registry.example.vn/job@sha256:abc
              securityContext:
                runAsNonRoot: false
                allowPrivilegeEscalation: true
                capabilities: {add: [sys_admin, NET_RAW], drop: [ALL]}
              env:
                - {name: DB_PASSWORD, value: "s3cr3t-value"}
                - {name: MODE, value: fast}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData:
  password: s3cr3t-value
  user: ""
"""


def test_containers_of_a_cronjob(tmp_path: Path) -> None:
    items = scan(tmp_path, "jobs.yaml", MANIFESTS)
    containers = of_kind(items, "k8s.container")
    assert [(c.location.key, c.location.line) for c in containers] == [
        ("spec.jobTemplate.spec.template.spec.initContainers.0", 20),
        ("spec.jobTemplate.spec.template.spec.containers.0", 23),
    ]
    init, job = (c.attributes for c in containers)
    assert init["run_as_non_root"] is True and init["host_pid"] is True  # pod-level wins
    assert init["image_tag"] == "latest" and init["privileged"] is None
    expected: dict[str, Any] = {
        "workload_kind": "CronJob", "workload_name": "nightly", "namespace": "ops",
        "container": "job", "container_type": "containers", "image_tag": "digest",
        "run_as_non_root": False, "allow_privilege_escalation": True, "privileged": None,
        "capabilities_added": ["NET_RAW", "SYS_ADMIN"], "capabilities_dropped": ["ALL"],
        "host_pid": True, "host_network": False, "literal_secret_env": ["DB_PASSWORD"],
        "document": 1,
    }
    assert {k: job[k] for k in expected} == expected


def test_secret_manifest(tmp_path: Path) -> None:
    items = scan(tmp_path, "jobs.yaml", MANIFESTS)
    [secret] = of_kind(items, "k8s.secret")
    assert secret.location.key == "stringData" and secret.location.line == 36
    assert secret.attributes == {"name": "creds", "namespace": "default", "type": "Opaque",
                                 "data_keys": ["password"], "value_count": 1,
                                 "string_data": True, "document": 2}
    # the values are reported by k8s.secret only, and their settings are masked
    settings = {o.attributes["key"]: o.attributes["value"]
                for o in of_kind(items, "config.setting")}
    assert settings["stringData.password"] == "•" * 12 + "(12)"
    details = [(o.attributes["detector"], o.location.key) for o in of_kind(items, "secret")]
    assert details == [("password-assignment",
                        "spec.jobTemplate.spec.template.spec.containers.0.env.0.value")]
    assert "s3cr3t-value" not in repr(items)


def test_hardened_deployment_facts(tmp_path: Path) -> None:
    text = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      securityContext: {runAsNonRoot: true, runAsUser: 10001}
      containers:
        - name: web
          image: web:1.0
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {drop: [ALL]}
          env:
            - name: DB_PASSWORD
              valueFrom: {secretKeyRef: {name: db, key: password}}
"""
    items = scan(tmp_path, "web.yaml", text)
    [web] = of_kind(items, "k8s.container")
    assert web.attributes["run_as_user"] == 10001
    assert web.attributes["allow_privilege_escalation"] is False
    assert web.attributes["literal_secret_env"] == []
    assert of_kind(items, "secret") == [] and of_kind(items, "k8s.secret") == []


COMPOSE = """\
services:
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD: portal2025
  agent:
    image: agent:1
    privileged: true
    network_mode: host
    pid: host
    cap_add: [SYS_PTRACE]
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
      - type: bind
        source: /data
        target: /data
  api:
    build: .
    environment:
      - DB_PASSWORD=${DB_PASSWORD}
      - API_TOKEN=abcd1234efgh
"""


@pytest.mark.parametrize(("name", "expected"), [
    ("db", {"privileged": False, "network_mode": None, "docker_socket": False,
            "literal_secret_env": ["POSTGRES_PASSWORD"], "cap_add": []}),
    ("agent", {"privileged": True, "network_mode": "host", "pid": "host",
               "docker_socket": True, "cap_add": ["SYS_PTRACE"], "literal_secret_env": []}),
    ("api", {"privileged": False, "literal_secret_env": ["API_TOKEN"], "image": ""}),
])
def test_compose_services(tmp_path: Path, name: str, expected: dict[str, Any]) -> None:
    items = scan(tmp_path, "docker-compose.yml", COMPOSE)
    services = {o.attributes["service"]: o for o in of_kind(items, "compose.service")}
    assert list(services) == ["db", "agent", "api"]
    obs = services[name]
    assert {k: obs.attributes[k] for k in expected} == expected
    assert obs.location.key == f"services.{name}"
    assert obs.location.line == {"db": 2, "agent": 6, "api": 17}[name]


def test_compose_secrets_by_env_form(tmp_path: Path) -> None:
    items = scan(tmp_path, "docker-compose.yml", COMPOSE)
    assert [(o.attributes["detector"], o.attributes["name"], o.location.line)
            for o in of_kind(items, "secret")] == [
        ("password-assignment", "POSTGRES_PASSWORD", 5),
        ("password-assignment", "API_TOKEN", 21),
    ]


def test_compose_by_content_with_another_name(tmp_path: Path) -> None:
    items = scan(tmp_path, "stack.yaml", "services:\n  web:\n    image: nginx\n"
                                         "    privileged: true\n")
    [web] = of_kind(items, "compose.service")
    assert web.attributes["privileged"] is True


def test_objects_inside_a_list(tmp_path: Path) -> None:
    text = """\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: p}
    spec:
      containers:
        - {name: c, image: x:1, securityContext: {privileged: true}}
  - apiVersion: v1
    kind: Secret
    metadata: {name: s}
    data: {token: dG9rZW4=}
"""
    items = scan(tmp_path, "list.yaml", text)
    [pod] = of_kind(items, "k8s.container")
    [secret] = of_kind(items, "k8s.secret")
    assert (pod.location.key, pod.location.line) == ("items.0.spec.containers.0", 9)
    assert pod.attributes["privileged"] is True
    assert (secret.location.key, secret.location.line) == ("items.1.data", 13)
    assert of_kind(items, "secret") == []  # the Secret's value is judged once, as k8s.secret
