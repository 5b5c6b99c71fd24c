"""Config scanner, secrets: each detector with positives and hard negatives, keyed-hash
identities that follow the secret (not the line), and no raw secret anywhere."""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
import string
from pathlib import Path

import pytest
from auditor.scanners.config import ConfigScanner

from auditor.errors import TargetError
from auditor.knowledge.secrets import text_secrets, value_secrets
from auditor.masking import keyed_hash
from auditor.models import Observation, Problem, Target
from auditor.scanner import Candidate, ScanOptions

SCANNER = ConfigScanner()
KEY = b"test-key"
OPTIONS = ScanOptions(as_of=dt.date(2026, 12, 1), hash_key=KEY)
RNG = random.Random(7)


def _rand(alphabet: str, n: int) -> str:
    return "".join(RNG.choice(alphabet) for _ in range(n))


ALNUM = string.ascii_letters + string.digits
AWS = "AKIA" + _rand(string.ascii_uppercase + "234567", 16)
GHP = "ghp_" + _rand(ALNUM, 36)
GLPAT = "glpat-" + _rand(ALNUM, 20)
SLACK = "xoxb-" + _rand(string.digits, 12) + "-" + _rand(ALNUM, 24)
HOOK = f"https://hooks.slack.com/services/T{_rand('ABCDEFGH123', 8)}/B{_rand('XYZ789', 10)}/" \
       + _rand(ALNUM, 24)
GOOGLE = "AIza" + _rand(ALNUM + "_-", 35)
STRIPE = "sk_live_" + _rand(ALNUM, 24)
SENDGRID = "SG." + _rand(ALNUM, 22) + "." + _rand(ALNUM, 43)
NPM = "npm_" + _rand(ALNUM, 36)
JWT = (base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=") + "."
       + base64.urlsafe_b64encode(b'{"sub":"portal","iat":1764547200}').decode().rstrip("=")
       + "." + _rand(ALNUM + "-_", 43))
PEM_BODY = base64.b64encode(bytes(RNG.randrange(256) for _ in range(300))).decode()
PEM = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(
    PEM_BODY[i:i + 64] for i in range(0, len(PEM_BODY), 64)) + "\n-----END RSA PRIVATE KEY-----"
PASSWORD = "Pw-" + _rand(ALNUM, 13)
ENTROPY = _rand(ALNUM, 40)
LETTERS = _rand(string.ascii_letters, 40)


def _target(path: Path) -> Target:
    head = path.read_bytes()[:8192]
    claim = SCANNER.claim(Candidate(str(path), path.name, path.name, path.stat().st_size, head))
    assert claim is not None
    return Target(path.name, str(path), claim.kind, "config")


def scan(tmp_path: Path, name: str, text: str,
         options: ScanOptions = OPTIONS) -> list[Observation | Problem]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return list(SCANNER.scan(_target(path), options))


def secrets(items: list[Observation | Problem]) -> list[tuple[object, object, int | None]]:
    return [(o.attributes["detector"], o.location.key, o.location.line)
            for o in items if isinstance(o, Observation) and o.kind == "secret"]


def _indent(text: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in text.splitlines())


POSITIVES = [
    ("aws", "app.yaml", f"s3:\n  access_key_id: {AWS}\n",
     ("aws-access-key", "s3.access_key_id", 2)),
    ("github", ".env", f"A=1\nGH={GHP}\n", ("github-token", "GH", 2)),
    ("github-in-comment", "app.yaml", f"a: 1\n# old: {GHP}\n", ("github-token", None, 2)),
    ("gitlab", "ci.json", f'{{"ci": {{"t": "{GLPAT}"}}}}', ("gitlab-token", "ci.t", 1)),
    ("slack", "settings.toml", f'[chat]\nbot = "{SLACK}"\n', ("slack-token", "chat.bot", 2)),
    ("slack-webhook", "app.yaml", f"alerts:\n  url: {HOOK}\n",
     ("slack-webhook", "alerts.url", 2)),
    ("google", "application.properties", f"maps.k={GOOGLE}\n",
     ("google-api-key", "maps.k", 1)),
    ("stripe", "app.ini", f"[pay]\nkey = {STRIPE}\n", ("stripe-key", "pay.key", 2)),
    ("sendgrid", ".env", f"MAIL={SENDGRID}\n", ("sendgrid-key", "MAIL", 1)),
    ("npm", "app.yaml", f"registry:\n  auth: {NPM}\n", ("npm-token", "registry.auth", 2)),
    ("jwt", "app.yaml", f"api:\n  bearer: {JWT}\n", ("jwt", "api.bearer", 2)),
    ("private-key-block", "app.yaml", f"tls:\n  key: |\n{_indent(PEM, 4)}\n",
     ("private-key", "tls.key", 3)),
    ("private-key-json", "saml.json",
     json.dumps({"saml": {"cert": "x", "k": PEM}}, indent=1), ("private-key", "saml.k", 4)),
    ("private-key-raw", "notes.ini", f"[a]\nb = 1\n\n# backup:\n#{_indent(PEM, 1)[1:]}\n",
     ("private-key", None, 5)),
    ("url-password", "app.yaml", f"db:\n  dsn: postgresql://app:{PASSWORD}@db:5432/x\n",
     ("url-password", "db.dsn", 2)),
    ("url-password-in-text", "app.yaml",
     f"cmd: run --target redis://:{PASSWORD}@cache:6379/0 --fast\n",
     ("url-password", "cmd", 1)),
    ("npmrc", ".npmrc", f"registry=https://registry.npmjs.org/\n"
     f"//registry.npmjs.org/:_authToken={NPM}\n", ("npm-token", "//registry.npmjs.org/", 2)),
    ("git-credentials", ".git-credentials", f"https://an:{PASSWORD}@git.example.vn\n",
     ("url-password", "https", 1)),
    ("django", "settings.py", f'import os\nSECRET_KEY = os.environ.get("K", "{PASSWORD}")\n',
     ("password-assignment", "SECRET_KEY", 2)),
    ("dockerfile", "Dockerfile", f"FROM x\nENV DB_HOST=db \\\n    DB_PASSWORD={PASSWORD}\n",
     ("password-assignment", "ENV.DB_PASSWORD", 2)),
    ("lock-file-registry-token", "package-lock.json",
     f'{{"packages": {{"node_modules/a": {{"resolved": '
     f'"https://ci:{PASSWORD}@npm.example.vn/a/-/a-1.0.0.tgz"}}}}}}',
     ("url-password", "packages.node_modules/a.resolved", 1)),
    ("password-key", "app.yaml", f"mail:\n  smtp_password: {PASSWORD}\n",
     ("password-assignment", "mail.smtp_password", 2)),
    ("password-camel", "appsettings.json", f'{{"Jwt": {{"SigningKey": "{ENTROPY}"}}}}',
     ("password-assignment", "Jwt.SigningKey", 1)),
    ("password-int", "app.yaml", "db:\n  password: 12345678\n",
     ("password-assignment", "db.password", 2)),
    ("password-properties", "application.properties",
     f"spring.datasource.password={PASSWORD}\n",
     ("password-assignment", "spring.datasource.password", 1)),
    ("password-in-dsn", "appsettings.json",
     f'{{"Cs": {{"Main": "Server=s;User Id=u;Password={PASSWORD};"}}}}',
     ("password-assignment", "Cs.Main", 1)),
    ("password-env-list", "docker-compose.yml",
     f"services:\n  db:\n    image: postgres\n    environment:\n      - DB_PASSWORD={PASSWORD}\n",
     ("password-assignment", "services.db.environment.0", 5)),
    ("password-k8s-env", "pod.yaml",
     "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n"
     f"      env:\n        - name: API_SECRET\n          value: {PASSWORD}\n",
     ("password-assignment", "spec.containers.0.env.0.value", 9)),
    ("password-kebab", ".env", "REDIS_PASSWORD=redis-canary-secret\n",
     ("password-assignment", "REDIS_PASSWORD", 1)),
    ("password-default", ".env", f"DB_PASSWORD=${{DB_PASSWORD:-{PASSWORD}}}\n",
     ("password-assignment", "DB_PASSWORD", 1)),
    ("high-entropy", "app.yaml", f"session:\n  cookie_salt: {ENTROPY}\n",
     ("high-entropy", "session.cookie_salt", 2)),
    ("high-entropy-letters", ".env", f"HMAC_SEED={LETTERS}\n", ("high-entropy", "HMAC_SEED", 1)),
]


@pytest.mark.parametrize(("name", "text", "expected"), [p[1:] for p in POSITIVES],
                         ids=[p[0] for p in POSITIVES])
def test_detects(tmp_path: Path, name: str, text: str,
                 expected: tuple[str, str | None, int]) -> None:
    assert secrets(scan(tmp_path, name, text)) == [expected]


NEGATIVES = [
    ("references", "app.yaml", "db:\n  password: ${DB_PASSWORD}\n  token: '{{ .Values.token }}'\n"
     "  secret: '%(secret)s'\n  api_key: <changeme>\n  client_secret: $CLIENT_SECRET\n"
     "  gh: ${{ secrets.GITHUB_TOKEN }}\n"),
    ("placeholders", ".env", "PASSWORD=changeme\nSECRET=xxx\nTOKEN=****\n"
     "DB_PASSWORD=your-password-here\nAPI_KEY=\nAUTH_TOKEN=<token>\nSECRET_KEY=CHANGE_ME\n"
     "PASSWORD2=[REDACTED]\nDB_PASS=${DB_PASS:-}\n"),
    ("encrypted-refs", "application.properties",
     "db.password=ENC(G6N718UuyPE5bHyWKyuLQSm02auQPUtm)\napi.secret=vault:secret/data/portal#k\n"),
    ("about-secrets", "app.yaml", "auth:\n  password_min_length: 12\n  token_ttl: 3600\n"
     "  secret_name: portal-db\n  password_file: /run/secrets/db_password\n"
     "  password_hash_algorithm: argon2id\n  require_password: true\n"),
    ("password-path", ".env", "DB_PASSWORD=/run/secrets/db_password\n"),
    ("uuid-and-digests", "app.yaml", "id: 3f1c0a52-9d4e-4f7a-b1c2-7e8d9a0b1c2d\n"
     "checksum: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"
     "commit: 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
     "image: registry.example.vn/app@sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"),
    ("lock-file", "package-lock.json",
     '{"packages": {"node_modules/a": {"integrity": "sha512-LhLcE7Hbiryz8oMDdDptSrWowmB4Bl6RCt6'
     'sIJKpRB4XtVf0iEgewX3au/pJqm+Py1kCASkb/FFKjxQaLtxJvw==", "resolved": '
     '"https://registry.npmjs.org/a/-/a-1.0.0.tgz"}}}'),
    ("poetry-lock", "poetry.lock", '[[package]]\nname = "a"\n[package.files]\nx = '
     '"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"\n'
     'content-hash = "Zk9Qm3RvXb7Lp2Wc8Ny4Ht6Jd1Fg5Ks0Ae3Ui9Ox7Bv"\n'),
    ("urls-without-passwords", "app.yaml", "a: postgresql://app@db:5432/x\n"
     "b: https://example.vn/path?x=1\nc: postgresql://app:${DB_PASSWORD}@db/x\n"
     "d: 'redis://:{{ .Values.redis.password }}@cache:6379'\n"),
    ("pem-in-docs", "README.yaml", "doc: |\n  -----BEGIN PRIVATE KEY-----\n  ...\n"
     "  -----END PRIVATE KEY-----\n"),
    ("not-quite-tokens", "app.yaml", "a: AKIA1234\nb: ghp_short\nc: akiaabcdefghijklmnop\n"
     "d: eyJhbGciOi.eyJzdWIiOi.notasignatureatall\n"),
    ("plain-words", "app.yaml", "title: Cổng dịch vụ công tỉnh\nsecret_question: true\n"
     "password_policy: strong\nlong: ThisIsALongCamelCaseIdentifierName\n"
     "signing_class: com.example.portal.security.JwtSigningKeyProvider\n"
     "session_store: RedisIndexedSessionRepositoryFactoryBean\n"),
    ("prose-under-secret-keys", "rules.vi.yaml",
     "core.db.account-empty-password: Tài khoản cơ sở dữ liệu có mật khẩu rỗng\n"
     "help:\n  remediation: Set password_encryption = scram-sha-256 and reset passwords.\n"
     "  token_help: Paste the token you were given by the administrator here\n"),
    ("names-of-secrets", "paginators.json",
     '{"pagination": {"List": {"input_token": "NextToken", "output_token": "nextToken"},'
     ' "Get": {"input_token": "NextMarker", "output_token": "EngineDefaults.Marker"}},'
     ' "env": {"password": "DB_PASSWORD"}}'),
    ("aws-documentation-example", "example.json",
     '{"Credentials": {"AccessKeyId": "AKIAIOSFODNN7EXAMPLE"}}'),
    ("ansible-vault", "vars.yaml", "db_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n"
     "  6231336165356661623134\n"),
]


@pytest.mark.parametrize(("name", "text"), [n[1:] for n in NEGATIVES],
                         ids=[n[0] for n in NEGATIVES])
def test_hard_negatives(tmp_path: Path, name: str, text: str) -> None:
    items = scan(tmp_path, name, text)
    assert not [i for i in items if isinstance(i, Problem)]
    assert secrets(items) == []


def test_two_secrets_on_one_line(tmp_path: Path) -> None:
    text = f'{{"aws": "{AWS}", "db": {{"password": "{PASSWORD}"}}, "x": 1}}'
    assert secrets(scan(tmp_path, "one-line.json", text)) == [
        ("aws-access-key", "aws", 1), ("password-assignment", "db.password", 1)]


def test_evidence_and_identity(tmp_path: Path) -> None:
    [obs] = [o for o in scan(tmp_path, ".env", f"AWS_ACCESS_KEY_ID={AWS}\n")
             if isinstance(o, Observation) and o.kind == "secret"]
    assert obs.evidence == {"secret": "AKIA" + "•" * 12 + "(20)"}
    assert obs.identity == keyed_hash(AWS, KEY)
    assert obs.attributes == {"detector": "aws-access-key", "key": "AWS_ACCESS_KEY_ID",
                              "key_leaf": "aws_access_key_id", "name": "AWS_ACCESS_KEY_ID",
                              "entropy": obs.attributes["entropy"], "length": 20,
                              "confidence": "high"}


def test_identity_follows_the_secret_not_the_line(tmp_path: Path) -> None:
    def identities(text: str) -> list[str]:
        return [o.identity for o in scan(tmp_path, "app.yaml", text)
                if isinstance(o, Observation) and o.kind == "secret"]

    base = identities(f"db:\n  password: {PASSWORD}\n")
    moved = identities(f"# a comment\nother: 1\n\ndb:\n  password: {PASSWORD}\n")
    changed = identities(f"db:\n  password: {PASSWORD}x\n")
    assert base == moved and len(base) == 1
    assert changed != base


def test_setting_of_a_secret_is_masked(tmp_path: Path) -> None:
    items = scan(tmp_path, "app.yaml", f"db:\n  password: {PASSWORD}\n  ref: ${{DB_PASSWORD}}\n"
                                       f"  url: postgresql://app:{PASSWORD}@db/x?sslmode=disable\n")
    values = {o.attributes["key"]: o.attributes for o in items
              if isinstance(o, Observation) and o.kind == "config.setting"}
    assert values["db.password"]["value"] == "•" * 12 + f"({len(PASSWORD)})"
    assert values["db.password"]["value_masked"] is True
    assert values["db.ref"]["value"] == "${DB_PASSWORD}"  # a reference says where it lives
    assert values["db.url"]["value"] == f"postgresql://app:{'•' * 12}({len(PASSWORD)})@db/x" \
                                        "?sslmode=disable"
    assert values["db.url"]["url_params"] == {"sslmode": "disable"}


ALL_SECRETS = [AWS, GHP, GLPAT, SLACK, HOOK, GOOGLE, STRIPE, SENDGRID, NPM, JWT, PASSWORD,
               ENTROPY, PEM_BODY[:40], PEM_BODY[100:140]]


def test_canary_no_raw_secret_anywhere(tmp_path: Path) -> None:
    text = "\n".join(p[2] for p in POSITIVES)
    observations: list[Observation | Problem] = []
    for name, content in (("all.yaml", "\n".join(
            p[2] for p in POSITIVES if p[1] == "app.yaml")),
            (".env", "\n".join(p[2] for p in POSITIVES if p[1] == ".env")),
            ("appsettings.json", next(p[2] for p in POSITIVES if p[0] == "password-camel"))):
        observations += scan(tmp_path, name, content)
    assert len(secrets(observations)) >= 10
    dumped = "\n".join(repr(o) + json.dumps(getattr(o, "attributes", {}), ensure_ascii=False)
                       + json.dumps(getattr(o, "evidence", {}), ensure_ascii=False)
                       for o in observations)
    for secret in ALL_SECRETS:
        assert secret not in dumped
        assert secret[4:16] not in dumped
    hits = list(text_secrets(text)) + list(value_secrets("db_password", PASSWORD, 1))
    assert hits and all(h.secret not in repr(h) for h in hits)


def test_text_secrets_are_reported_before_a_parse_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text(f'{{\n  "aws": "{AWS}",\n  "x": [1,\n}}\n', encoding="utf-8")
    seen: list[Observation | Problem] = []
    with pytest.raises(TargetError) as info:
        for item in SCANNER.scan(_target(path), OPTIONS):
            seen.append(item)
    assert info.value.line == 4
    assert secrets(seen) == [("aws-access-key", None, 2)]


def test_canary_not_in_errors(tmp_path: Path) -> None:
    with pytest.raises(TargetError) as info:
        scan(tmp_path, "broken.yaml", f"password: {PASSWORD}\n  bad: [{GHP}\n")
    assert PASSWORD not in str(info.value) and GHP not in str(info.value)


def test_lock_files_give_no_settings(tmp_path: Path) -> None:
    items = scan(tmp_path, "package-lock.json", '{"name": "x", "lockfileVersion": 3}')
    assert items == []
