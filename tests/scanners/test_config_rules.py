"""Config rules end to end through the CLI: golden findings on the demo portal (exact rule
id, file, key and line), hardened files quiet, fingerprints that survive line moves,
malformed files recorded as target errors, and no planted secret in any report."""

from __future__ import annotations

import importlib.util
import json
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
import yaml

from auditor.cli import main
from auditor.pipeline.plugins import load_reporters

REPO = Path(__file__).resolve().parents[2]
PORTAL = REPO / "fixtures" / "demo" / "portal"
RULES = REPO / "rules" / "core" / "config.yaml"
CONFIG_RULE_IDS = frozenset(r["id"] for r in yaml.safe_load(RULES.read_text())["rules"])


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_config", REPO / "fixtures" / "gen_config.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_scan(target: Path, out: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    code = main(["scan", str(target), "--pack", "core", "--format", "json", "-o", str(out),
                 "--as-of", "2026-12-01", *extra])
    return code, json.loads((out / "report.json").read_text(encoding="utf-8"))


def _rel(uri: str) -> str:
    return uri.split("portal/", 1)[1] if "portal/" in uri else uri


def test_rule_file_matches_schema_and_conventions() -> None:
    schema = json.loads((REPO / "rules" / "schema" / "rules.schema.json").read_text())
    doc = yaml.safe_load(RULES.read_text())
    jsonschema.validate(doc, schema)
    for rule in doc["rules"]:
        assert rule["id"].split(".")[0] == "core"
        assert rule["id"].split(".")[1] in {"secret", "config", "k8s", "compose"}
        assert rule["references"] and rule["remediation"] and rule["cwe"]


# (rule id, file under portal/, key, line): every planted weakness, exactly once
GOLDEN = sorted([
    ("core.config.debug-enabled", "api/config/app.yaml", "app.debug", 4),
    ("core.secret.high-entropy", "api/config/app.yaml", "app.session_salt", 6),
    ("core.secret.url-password", "api/config/app.yaml", "database.url", 8),
    ("core.config.database-tls-disabled", "api/config/app.yaml", "database.url", 8),
    ("core.config.tls-verify-disabled", "api/config/app.yaml", "national_id_api.verify_ssl", 12),
    ("core.config.cleartext-auth-endpoint", "api/config/app.yaml", "sso.issuer", 15),
    ("core.config.sensitive-data-logging", "api/config/app.yaml", "logging.log_request_body", 20),
    ("core.secret.slack-webhook", "api/config/app.yaml", "alerts.slack_webhook", 22),
    ("core.config.debug-enabled", "api/.env", "FLASK_DEBUG", 2),
    ("core.secret.password-assignment", "api/.env", "DB_PASSWORD", 5),
    ("core.secret.aws-access-key", "api/.env", "AWS_ACCESS_KEY_ID", 6),
    ("core.secret.password-assignment", "api/.env", "AWS_SECRET_ACCESS_KEY", 7),
    ("core.secret.password-assignment", "api/.env", "SMS_GATEWAY_TOKEN", 9),
    ("core.secret.jwt", "api/.env", "NATIONAL_ID_API_TOKEN", 10),
    ("core.secret.github-token", "api/settings.toml", "default.integrations.github_token", 8),
    ("core.config.database-tls-disabled", "integration/src/main/resources/application.properties",
     "spring.datasource.url", 3),
    ("core.secret.password-assignment", "integration/src/main/resources/application.properties",
     "spring.datasource.password", 5),
    ("core.config.spring-devtools", "integration/src/main/resources/application.properties",
     "spring.devtools.restart.enabled", 6),
    ("core.config.verbose-errors", "integration/src/main/resources/application.properties",
     "server.error.include-stacktrace", 7),
    ("core.config.sensitive-data-logging",
     "integration/src/main/resources/application.properties",
     "logging.level.org.hibernate.orm.jdbc.bind", 8),
    ("core.secret.password-assignment", "reporting/appsettings.json", "ConnectionStrings.Reports",
     4),
    ("core.secret.password-assignment", "reporting/appsettings.json", "Jwt.SigningKey", 8),
    ("core.secret.private-key", "reporting/appsettings.json", "Saml.PrivateKey", 12),
    ("core.config.verbose-errors", "legacy/portal.ini", "app.display_errors", 4),
    ("core.config.debug-enabled", "admin/portal_admin/settings.py", "DEBUG", 4),
    ("core.secret.password-assignment", "admin/portal_admin/settings.py", "SECRET_KEY", 5),
    ("core.config.cleartext-auth-endpoint", "legacy/portal.ini", "ldap.url", 7),
    # NOTE: each finding points at the offending key, not at the container or service
    ("core.k8s.privileged-container", "deploy/k8s/citizen-sync.yaml",
     "spec.template.spec.containers.0", 20),
    ("core.k8s.host-namespace", "deploy/k8s/citizen-sync.yaml",
     "spec.template.spec.containers.0", 15),
    ("core.k8s.run-as-root", "deploy/k8s/citizen-sync.yaml", "spec.template.spec.containers.0", 21),
    ("core.k8s.dangerous-capabilities", "deploy/k8s/citizen-sync.yaml",
     "spec.template.spec.containers.0", 23),
    ("core.k8s.writable-root-filesystem", "deploy/k8s/citizen-sync.yaml",
     "spec.template.spec.containers.0", 17),
    ("core.secret.password-assignment", "deploy/k8s/citizen-sync.yaml",
     "spec.template.spec.containers.0.env.1.value", 28),
    ("core.k8s.secret-manifest", "deploy/k8s/citizen-sync.yaml", "data", 39),
    ("core.secret.password-assignment", "docker-compose.yml",
     "services.db.environment.POSTGRES_PASSWORD", 8),
    ("core.compose.privileged", "docker-compose.yml", "services.log-agent", 17),
    ("core.compose.host-namespace", "docker-compose.yml", "services.log-agent", 18),
    ("core.compose.docker-socket", "docker-compose.yml", "services.log-agent", 20),
])
HARDENED = ["api/config/app.production.yaml", "api/.env.example", "api/package-lock.json",
            "integration/src/main/resources/application-prod.properties",
            "deploy/k8s/portal-web.yaml"]


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any], Path]:
    out = tmp_path_factory.mktemp("demo")
    formats = ",".join(sorted(load_reporters()))  # every installed report format
    code = main(["scan", str(PORTAL), "--pack", "core", "--format", formats,
                 "-o", str(out), "--as-of", "2026-12-01"])
    return code, json.loads((out / "report.json").read_text(encoding="utf-8")), out


def test_demo_golden_findings(demo_report: tuple[int, dict[str, Any], Path]) -> None:
    code, report, _ = demo_report
    assert code == 1
    assert all(t["status"] == "ok" for t in report["targets"])
    found = sorted((f["rule_id"], _rel(f["location"]["uri"]), f["location"].get("key"),
                    f["location"].get("line"))
                   for f in report["findings"] if f["rule_id"] in CONFIG_RULE_IDS)
    assert found == GOLDEN


def test_demo_hardened_files_are_quiet(demo_report: tuple[int, dict[str, Any], Path]) -> None:
    _, report, _ = demo_report
    noisy = [(f["rule_id"], _rel(f["location"]["uri"])) for f in report["findings"]
             if _rel(f["location"]["uri"]) in HARDENED]
    assert noisy == []
    scanned = {_rel(t["uri"]) for t in report["targets"]}
    assert set(HARDENED) <= scanned


def _text_of(path: Path) -> str:
    """A report's text; for the DOCX document, the text of every part of the archive."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace")
                             for n in archive.namelist())
    return path.read_text(encoding="utf-8")


def test_demo_reports_carry_no_planted_secret(
        demo_report: tuple[int, dict[str, Any], Path]) -> None:
    _, _, out = demo_report
    gen = _generator()
    tokens = gen._tokens(20251201)
    texts = {p.name: _text_of(p) for p in out.iterdir() if p.is_file()}
    assert {"report.json", "report.sarif", "report.md", "report.html", "report.csv"} \
        <= set(texts)
    for name, value in tokens.items():
        probe = value.splitlines()[0][:40] if name == "pem" else value
        for fmt, text in texts.items():
            assert probe not in text, f"{name} leaked into {fmt}"
            if len(value) >= 16 and name != "pem":
                assert value[4:14] not in text, f"part of {name} leaked into {fmt}"


def test_demo_generator_is_deterministic(tmp_path: Path) -> None:
    gen = _generator()
    gen.generate(tmp_path)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert path.read_bytes() == (PORTAL / path.relative_to(tmp_path)).read_bytes()


def test_fingerprints_survive_line_moves_and_follow_the_secret(tmp_path: Path) -> None:
    target = tmp_path / "svc"
    target.mkdir()
    conf = target / "app.yaml"

    def prints(text: str, run: str) -> dict[str, str]:
        conf.write_text(text, encoding="utf-8")
        _, report = run_scan(target, tmp_path / run)
        return {f["rule_id"]: f["fingerprint"] for f in report["findings"]}

    first = prints("db:\n  password: Vxq83nPz!ka2\napp:\n  debug: true\n", "a")
    moved = prints("# moved\n\napp:\n  debug: true\ndb:\n  password: Vxq83nPz!ka2\n", "b")
    changed = prints("db:\n  password: Other-Secret-77\napp:\n  debug: true\n", "c")
    assert set(first) == {"core.secret.password-assignment", "core.config.debug-enabled"}
    assert moved == first
    assert changed["core.secret.password-assignment"] != first["core.secret.password-assignment"]
    assert changed["core.config.debug-enabled"] == first["core.config.debug-enabled"]


def test_malformed_file_is_a_target_error_and_the_scan_goes_on(tmp_path: Path) -> None:
    target = tmp_path / "svc"
    target.mkdir()
    (target / "broken.json").write_text('{\n  "password": "Canary-Pw-91x",\n  oops\n}\n')
    (target / "junk.yaml").write_bytes(b"a: 1\n\x00\x9f\x88binary")
    (target / "ok.env").write_text("DEBUG=true\n")
    code, report = run_scan(target, tmp_path / "out")
    status = {Path(t["uri"]).name: (t["status"], t.get("error", "")) for t in report["targets"]}
    assert status["ok.env"][0] == "ok"
    assert status["broken.json"][0] == "error" and "line 3" in status["broken.json"][1]
    assert status["junk.yaml"][0] == "error" and "offset 5" in status["junk.yaml"][1]
    assert "Canary-Pw-91x" not in json.dumps(report)
    assert [f["rule_id"] for f in report["findings"]] == ["core.config.debug-enabled"]
    assert code == 1

    (target / "ok.env").write_text("DEBUG=false\n")
    code, _ = run_scan(target, tmp_path / "out2")
    assert code == 3  # incomplete, nothing at the threshold


def test_terminal_summary_and_logs_carry_no_planted_secret(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", str(PORTAL), "--pack", "core", "--as-of", "2026-12-01"])
    assert code == 1
    captured = capsys.readouterr()
    printed = captured.out + captured.err
    assert "core.secret.aws-access-key" in printed or "AKIA" in printed
    for name, value in _generator()._tokens(20251201).items():
        probe = value.splitlines()[0][:40] if name == "pem" else value
        assert probe not in printed, f"{name} leaked to the terminal"
