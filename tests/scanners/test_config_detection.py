"""Config detection quality (issue 16): token families, placeholders that are not secrets,
findings on the offending key's line, Kubernetes hardening facts, MySQL local_infile and
people's records in configuration files — each through the scanner and the core rules."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import random
import string
from pathlib import Path

import pytest
from auditor.scanners.config import ConfigScanner
from auditor.scanners.services import ServicesScanner

from auditor.knowledge.secrets import text_secrets
from auditor.models import Observation, Problem, Target
from auditor.policy.evaluate import evaluate
from auditor.policy.rules import builtin_pack_path, load_pack
from auditor.results import Finding
from auditor.scanner import Candidate, ScanOptions

KEY = b"detect-config-key"
OPTIONS = ScanOptions(as_of=dt.date(2026, 12, 1), hash_key=KEY)
CONFIG = ConfigScanner()
SERVICES = ServicesScanner()
CORE = load_pack(builtin_pack_path("core"))
RNG = random.Random(16)
ALNUM = string.ascii_letters + string.digits


def _rand(alphabet: str, n: int) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def scan_file(tmp_path: Path, name: str, text: str,
              scanner: ConfigScanner | ServicesScanner = CONFIG) -> list[Observation | Problem]:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    head = path.read_bytes()[:8192]
    claim = scanner.claim(Candidate(str(path), name, path.name, path.stat().st_size, head))
    assert claim is not None, name
    return list(scanner.scan(Target(name, str(path), claim.kind, scanner.name), OPTIONS))


def findings(items: list[Observation | Problem]) -> list[Finding]:
    return evaluate([i for i in items if isinstance(i, Observation)], [CORE])


def rule_lines(items: list[Observation | Problem]) -> list[tuple[str, int | None]]:
    return sorted((f.rule_id, f.location.line) for f in findings(items))


# ---- token families (shapes from the vendors' documentation; our own random values) ---------
GITLAB = [
    ("personal-access", "glpat-" + _rand(ALNUM + "_-", 20)),
    ("deploy", "gldt-" + _rand(ALNUM, 20)),
    ("runner-authentication", "glrt-" + _rand(ALNUM, 20)),
    ("scim", "glsoat-" + _rand(ALNUM, 20)),
    ("feed", "glft-" + _rand(ALNUM, 20)),
    ("feature-flag-client", "glffct-" + _rand(ALNUM, 20)),
    ("incoming-mail", "glimt-" + _rand(ALNUM, 25)),
    ("kubernetes-agent", "glagent-" + _rand(ALNUM, 50)),
    ("oauth-application-secret", "gloas-" + _rand(ALNUM, 64)),
    ("ci-job", "glcbt-" + _rand(ALNUM, 2) + "_" + _rand(ALNUM, 20)),
    ("pipeline-trigger", "glptt-" + _rand("0123456789abcdef", 40)),
    ("runner-registration", "GR1348941" + _rand(ALNUM, 20)),
]


@pytest.mark.parametrize(("family", "token"), GITLAB, ids=[g[0] for g in GITLAB])
def test_gitlab_token_families(family: str, token: str) -> None:
    hits = list(text_secrets(f"token: {token}\n"))
    assert [(h.detector, dict(h.extra)["token_type"]) for h in hits] == [
        ("gitlab-token", family)]


UNSIGNED = (_b64url(b'{"alg":"none","typ":"JWT"}') + "."
            + _b64url(b'{"sub":"citizen-7","role":"officer"}'))
POSITIVES = [
    ("aws-a3t", "A3T" + _rand(string.ascii_uppercase + string.digits, 17), "aws-access-key"),
    ("stripe-test", "sk_test_" + _rand(ALNUM, 24), "stripe-test-key"),
    ("stripe-restricted-test", "rk_test_" + _rand(ALNUM, 30), "stripe-test-key"),
    ("slack-workflow", "https://hooks.slack.com/workflows/T0" + _rand("ABCDEFGHJK0123", 9)
     + "/A0" + _rand("ABCDEFGHJK0123", 9) + "/" + _rand(string.digits, 18) + "/"
     + _rand(ALNUM, 24), "slack-webhook"),
    ("slack-trigger", "https://hooks.slack.com/triggers/" + _rand(ALNUM, 50), "slack-webhook"),
    ("jwt-unsigned-dot", UNSIGNED + ".", "jwt"),
    ("jwt-unsigned-two-parts", UNSIGNED, "jwt"),
]


@pytest.mark.parametrize(("token", "detector"), [p[1:] for p in POSITIVES],
                         ids=[p[0] for p in POSITIVES])
def test_new_token_shapes(tmp_path: Path, token: str, detector: str) -> None:
    items = scan_file(tmp_path, "app.yaml", f"svc:\n  credential: {token}\n")
    secrets = [o for o in items if isinstance(o, Observation) and o.kind == "secret"]
    assert [(o.attributes["detector"], o.location.line) for o in secrets] == [(detector, 2)]
    assert token not in repr([(o.attributes, o.evidence) for o in items
                              if isinstance(o, Observation)])


def test_unsigned_jwt_says_so() -> None:
    (hit,) = text_secrets(f"t={UNSIGNED}.")
    assert dict(hit.extra) == {"alg": "none", "signed": False}


def _jwt_io_example() -> str:
    """jwt.io's documented example token: HS256 with the secret its page names."""
    head = _b64url(b'{"alg":"HS256","typ":"JWT"}')
    claims = _b64url(b'{"sub":"1234567890","name":"John Doe","iat":1516239022}')
    signature = hmac.new(b"your-256-bit-secret", f"{head}.{claims}".encode(),
                         hashlib.sha256).digest()
    return f"{head}.{claims}.{_b64url(signature)}"


# ---- placeholders are not secrets -----------------------------------------------------------
NOT_SECRETS = [
    ("ghp-x", ".env", "GITHUB_TOKEN=ghp_" + "x" * 36 + "\n"),
    ("ghp-X-short", "app.yaml", "github:\n  token: ghp_XXXXXXXXXXXXXXXX\n"),
    ("aws-x", "app.yaml", "aws:\n  access_key_id: AKIAXXXXXXXXXXXXXXXX\n"),
    ("aws-doc-example", ".env", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
     "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"),
    ("aws-zero-run", "app.yaml", "aws:\n  access_key_id: AKIA2222222222222222\n"),
    ("gitlab-x", "ci.yaml", "deploy:\n  token: glpat-XXXXXXXXXXX-XXXXXXXX\n"),
    ("gitlab-registration-repeat", "ci.yaml", "runner:\n  token: GR134894112312312312312312312\n"),
    ("gitlab-trigger-x", "ci.yaml", "trigger:\n  token: glptt-" + "x" * 40 + "\n"),
    ("slack-x", "app.yaml", "slack:\n  bot_token: xoxb-xxxxxxxxx-xxxxxxxxxx-xxxxxxxxxxxx\n"),
    ("slack-hook-x", "app.yaml", "alerts:\n  url: https://hooks.slack.com/services/Txxxxxxxx/"
     "Bxxxxxxxx/xxxxxxxxxxxxxxxxxxxxxxxx\n"),
    ("stripe-ascending", "app.yaml", "pay:\n  key: sk_test_1234567890abcdefghijklmn\n"),
    ("stripe-doc-example", "app.yaml", "pay:\n  key: sk_test_4eC39HqLyjWDarjtT1zdp7dc\n"),
    ("jwt-io-example", "app.yaml", f"api:\n  bearer: {_jwt_io_example()}\n"),
    ("your-token", "app.yaml", "api:\n  token: <your-token>\n"),
    ("your-token-bare", ".env", "API_TOKEN=your-api-token-here\n"),
    ("dollar-var", ".env", "API_TOKEN=${API_TOKEN}\n"),
    ("brace-name", "appsettings.json", '{"Auth": {"ClientSecret": "{ClientSecret}"}}'),
    ("repeated", "app.yaml", "db:\n  password: aaaaaaaaaa\n"),
    ("repeated-unit", "app.yaml", "db:\n  password: abcabcabcabc\n"),
    ("symbols-only", "app.yaml", "db:\n  password: '!!!!!!!!'\n"),
    ("stars", ".env", "DB_PASSWORD=********\n"),
    ("x-in-value", ".env", "SMTP_PASSWORD=xxxxxxxxxxxx\n"),
]


@pytest.mark.parametrize(("name", "text"), [n[1:] for n in NOT_SECRETS],
                         ids=[n[0] for n in NOT_SECRETS])
def test_placeholders_are_not_secrets(tmp_path: Path, name: str, text: str) -> None:
    items = scan_file(tmp_path, name, text)
    assert [o.attributes["detector"] for o in items
            if isinstance(o, Observation) and o.kind == "secret"] == []
    assert [f.rule_id for f in findings(items) if f.rule_id.startswith("core.secret.")] == []


# ---- the exact line ---------------------------------------------------------------------------
K8S = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-agent
spec:
  template:
    spec:
      hostPID: true
      securityContext:
        runAsUser: 0
      volumes:
        - name: runtime
          hostPath:
            path: /var/run/docker.sock
      containers:
        - name: agent
          image: reg.example.vn/agent:3.1
          volumeMounts:
            - {name: runtime, mountPath: /var/run/docker.sock}
          securityContext:
            privileged: true
            allowPrivilegeEscalation: true
            readOnlyRootFilesystem: false
            capabilities:
              add: [SYS_ADMIN]
"""
K8S_EXPECTED = [
    ("core.k8s.dangerous-capabilities", 25),
    ("core.k8s.docker-socket", 14),
    ("core.k8s.host-namespace", 8),
    ("core.k8s.privilege-escalation", 22),
    ("core.k8s.privileged-container", 21),
    ("core.k8s.run-as-root", 10),
    ("core.k8s.writable-root-filesystem", 23),
]


def test_kubernetes_findings_point_at_the_offending_key(tmp_path: Path) -> None:
    assert rule_lines(scan_file(tmp_path, "agent.yaml", K8S)) == K8S_EXPECTED


def _as_json(yaml_text: str) -> tuple[str, dict[str, int]]:
    import yaml

    data = yaml.safe_load(yaml_text)
    text = json.dumps(data, indent=2)
    lines = text.splitlines()

    def line_of(fragment: str) -> int:
        return next(i for i, ln in enumerate(lines, 1) if fragment in ln)
    return text, {"privileged": line_of('"privileged"'), "hostPID": line_of('"hostPID"'),
                  "path": line_of('"/var/run/docker.sock"'), "add": line_of('"SYS_ADMIN"'),
                  "runAsUser": line_of('"runAsUser"'),
                  "allow": line_of('"allowPrivilegeEscalation"'),
                  "readonly": line_of('"readOnlyRootFilesystem"')}


def test_kubernetes_manifest_written_in_json(tmp_path: Path) -> None:
    text, at = _as_json(K8S)
    assert rule_lines(scan_file(tmp_path, "agent.json", text)) == sorted([
        ("core.k8s.dangerous-capabilities", at["add"]),
        ("core.k8s.docker-socket", at["path"]),
        ("core.k8s.host-namespace", at["hostPID"]),
        ("core.k8s.privilege-escalation", at["allow"]),
        ("core.k8s.privileged-container", at["privileged"]),
        ("core.k8s.run-as-root", at["runAsUser"]),
        ("core.k8s.writable-root-filesystem", at["readonly"]),
    ])


def test_openshift_deployment_config(tmp_path: Path) -> None:
    text = K8S.replace("apiVersion: apps/v1\nkind: DaemonSet",
                       "apiVersion: apps.openshift.io/v1\nkind: DeploymentConfig")
    items = scan_file(tmp_path, "dc.yaml", text)
    assert [o.attributes["workload_kind"] for o in items
            if isinstance(o, Observation) and o.kind == "k8s.container"] == ["DeploymentConfig"]
    assert rule_lines(items) == K8S_EXPECTED


UNSET = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - name: web
      image: reg.example.vn/web:2.0
"""
HARDENED = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  securityContext:
    runAsNonRoot: true
  containers:
    - name: web
      image: reg.example.vn/web:2.0
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
"""


@pytest.mark.parametrize(("text", "expected"), [
    (UNSET, [("core.k8s.privilege-escalation-unset", 6), ("core.k8s.run-as-non-root-unset", 6),
             ("core.k8s.writable-root-filesystem", 6)]),
    (HARDENED, []),
    # a non-root runAsUser is as good as runAsNonRoot
    (HARDENED.replace("runAsNonRoot: true", "runAsUser: 10001"), []),
], ids=["unset", "hardened", "run-as-user"])
def test_kubernetes_unset_hardening_is_low(tmp_path: Path, text: str,
                                           expected: list[tuple[str, int]]) -> None:
    found = findings(scan_file(tmp_path, "pod.yaml", text))
    assert sorted((f.rule_id, f.location.line) for f in found) == expected
    assert {f.severity.name.lower() for f in found} <= {"low"}


def test_compose_findings_point_at_the_offending_key(tmp_path: Path) -> None:
    text = ("services:\n  agent:\n    image: reg/agent:1\n    network_mode: host\n"
            "    volumes:\n      - ./data:/data\n"
            "      - /var/run/docker.sock:/var/run/docker.sock\n"
            "    cap_add: [SYS_ADMIN]\n    privileged: true\n")
    assert rule_lines(scan_file(tmp_path, "docker-compose.yml", text)) == [
        ("core.compose.dangerous-capabilities", 8), ("core.compose.docker-socket", 7),
        ("core.compose.host-namespace", 4), ("core.compose.privileged", 9)]


def test_nginx_ssl_protocols_finding_is_on_its_own_line(tmp_path: Path) -> None:
    text = ("events {}\nhttp {\n  server {\n    listen 443 ssl;\n    server_name a.example.vn;\n"
            "    ssl_certificate /etc/ssl/a.pem;\n    ssl_protocols TLSv1 TLSv1.2;\n"
            "    ssl_ciphers 'RC4-SHA:AES128-GCM-SHA256';\n  }\n}\n")
    assert rule_lines(scan_file(tmp_path, "nginx.conf", text, SERVICES)) == [
        ("core.tls.deprecated-protocol", 7), ("core.tls.weak-cipher", 8)]


def test_relocated_finding_keeps_its_fingerprint(tmp_path: Path) -> None:
    before = findings(scan_file(tmp_path, "a/agent.yaml", K8S))
    after = findings(scan_file(tmp_path, "a/agent.yaml", "# moved\n\n" + K8S))
    assert [f.fingerprint for f in before] == [f.fingerprint for f in after]
    assert [f.location.line + 2 for f in before if f.location.line] == [
        f.location.line for f in after if f.location.line]


# ---- MySQL / MariaDB local_infile ----------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("[mysqld]\nbind-address = 127.0.0.1\nlocal-infile = 1\n", [("core.mysql.local-infile", 3)]),
    ("[mariadb]\nlocal_infile=ON\n", [("core.mysql.local-infile", 2)]),
    ("[client]\nlocal-infile\n", [("core.mysql.local-infile", 2)]),
    ("[mysqld]\nbind-address = 127.0.0.1\nlocal_infile = 0\n", []),
    ("[mysqld]\nbind-address = 127.0.0.1\nlocal-infile = OFF\n", []),
], ids=["mysqld-1", "mariadb-on", "client-flag", "off-0", "off-word"])
def test_mysql_local_infile(tmp_path: Path, text: str, expected: list[tuple[str, int]]) -> None:
    found = findings(scan_file(tmp_path, "my.cnf", text, SERVICES))
    assert [(f.rule_id, f.location.line) for f in found
            if f.rule_id == "core.mysql.local-infile"] == expected


# ---- people's records in configuration files ----------------------------------------------------
SEED = """\
# staging seed data
support:
  email: hotro@dichvucong.example.vn
  hotline: "1900 1234"
citizens:
  - ho_ten: Nguyễn Văn An
    cccd: "079203012345"
    so_dien_thoai: "0912345678"
  - ho_ten: Trần Thị Bình
    cccd: "001304056789"
    so_dien_thoai: "0987654321"
"""


def test_seed_records_of_citizens_in_yaml(tmp_path: Path) -> None:
    items = scan_file(tmp_path, "seed.yaml", SEED)
    got = sorted((f.rule_id, f.entities, f.location.line) for f in findings(items)
                 if f.rule_id.startswith("core.config.personal"))
    assert got == [("core.config.personal-data", ("PERSON",), 6),
                   ("core.config.personal-data", ("VN_PHONE",), 8),
                   ("core.config.personal-data-identifiers", ("VN_CCCD",), 7)]
    text = repr([(o.attributes, o.evidence) for o in items if isinstance(o, Observation)
                 and o.kind == "pii.text"])
    assert "079203012345" not in text and "0912345678" not in text and "Bình" not in text


def test_seed_records_in_json(tmp_path: Path) -> None:
    data = {"fixtures": [{"fullName": "Lê Văn Cường", "nationalId": "079203012345",
                          "phone": "0912345678"}]}
    found = findings(scan_file(tmp_path, "fixtures.json", json.dumps(data, indent=2)))
    assert "core.config.personal-data-identifiers" in {f.rule_id for f in found}


@pytest.mark.parametrize(("name", "text"), [
    ("contacts.yaml", "support:\n  email: hotro@dichvucong.example.vn\n  phone: '0243 8221 234'\n"
     "ops:\n  oncall: ops@dichvucong.example.vn\n"),
    ("app.yaml", "server:\n  host: 10.0.0.12\n  port: 8443\n  timeout: 30s\n"
     "release: '2026.11.3'\n  \n"),
], ids=["operator-contacts", "plain-settings"])
def test_config_contacts_are_not_records_of_people(tmp_path: Path, name: str,
                                                   text: str) -> None:
    assert [f.rule_id for f in findings(scan_file(tmp_path, name, text))
            if f.rule_id.startswith("core.config.personal")] == []
