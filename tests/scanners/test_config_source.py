"""Source files (issue 16, item 7): hard-coded credentials and people's records in the
string literals of Python, JavaScript/TypeScript, Go, Java, shell and Terraform files; a
Python file full of SQL strings is source code, not a broken SQL dump."""

from __future__ import annotations

import datetime as dt
import random
import string
from pathlib import Path

import pytest
from auditor.scanners.config import ConfigScanner

from auditor.models import Observation, Problem, Target
from auditor.pipeline.discovery import discover
from auditor.pipeline.plugins import load_scanners
from auditor.policy.evaluate import evaluate
from auditor.policy.rules import builtin_pack_path, load_pack
from auditor.scanner import Candidate, ScanOptions

KEY = b"detect-config-source"
OPTIONS = ScanOptions(as_of=dt.date(2026, 12, 1), hash_key=KEY)
SCANNER = ConfigScanner()
CORE = load_pack(builtin_pack_path("core"))
RNG = random.Random(1607)
ALNUM = string.ascii_letters + string.digits


def _rand(n: int) -> str:
    return "".join(RNG.choice(ALNUM) for _ in range(n - 2)) + "7q"


PW = _rand(14)
PW2 = _rand(16)
GLPAT = "glpat-" + _rand(20)
AWS = "AKIA" + "".join(RNG.choice(string.ascii_uppercase + "234567") for _ in range(16))


def scan(tmp_path: Path, name: str, text: str) -> list[Observation | Problem]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    claim = SCANNER.claim(Candidate(str(path), name, name, path.stat().st_size,
                                    path.read_bytes()[:8192]))
    assert claim is not None and claim.kind == "source", name
    return list(SCANNER.scan(Target(name, str(path), "source", "config"), OPTIONS))


def secrets(items: list[Observation | Problem]) -> list[tuple[object, object, int | None]]:
    return [(o.attributes["detector"], o.location.key, o.location.line)
            for o in items if isinstance(o, Observation) and o.kind == "secret"]


POSITIVES = [
    ("python-constant", "db.py", f'import os\n\nDB_PASSWORD = "{PW}"\n',
     [("password-assignment", "DB_PASSWORD", 3)]),
    ("python-getenv-fallback", "app.py",
     f'import os\nAPI_KEY = os.environ.get("API_KEY", "{PW}")\n',
     [("password-assignment", "API_KEY", 2)]),
    ("python-keyword", "conn.py",
     f'import psycopg2\nc = psycopg2.connect(host="db",\n    password="{PW}")\n',
     [("password-assignment", "password", 3)]),
    ("python-dict", "cfg.py", f'SETTINGS = {{"client_secret": "{PW}", "debug": True}}\n',
     [("password-assignment", "client_secret", 1)]),
    ("python-default-arg", "svc.py", f'def login(user, password="{PW}"):\n    pass\n',
     [("password-assignment", "password", 1)]),
    ("python-token-in-comment", "ci.py", f"# old token: {GLPAT}\nx = 1\n",
     [("gitlab-token", None, 1)]),
    ("python-dsn", "orm.py", f'URL = "postgresql://app:{PW}@db.internal:5432/portal"\n',
     [("url-password", "URL", 1)]),
    ("ts-typed", "api.ts", f'export const apiKey: string = "{PW}";\n',
     [("password-assignment", "apiKey", 1)]),
    ("js-object", "cfg.js", f"module.exports = {{\n  clientSecret: '{PW}',\n}};\n",
     [("password-assignment", "clientSecret", 2)]),
    ("go-const", "main.go", f'package main\n\nconst dbPassword = "{PW}"\n',
     [("password-assignment", "dbPassword", 3)]),
    ("go-short", "run.go", f'package main\nfunc f() {{ token := "{GLPAT}"; _ = token }}\n',
     [("gitlab-token", "token", 2)]),
    ("java-field", "Svc.java",
     f'class Svc {{\n  private static final String PASSWORD = "{PW}";\n}}\n',
     [("password-assignment", "PASSWORD", 2)]),
    ("shell-export", "deploy.sh", f"#!/bin/sh\nexport DB_PASSWORD={PW}\n",
     [("password-assignment", "DB_PASSWORD", 2)]),
    ("shell-quoted", "run.sh", f'#!/bin/bash\nREDIS_PASSWORD="{PW}" redis-cli ping\n',
     [("password-assignment", "REDIS_PASSWORD", 2)]),
    ("shell-single-quoted-dollar", "run2.sh", "#!/bin/bash\nexport DB_PASSWORD='Zx$9qLm2vR7w'\n",
     [("password-assignment", "DB_PASSWORD", 2)]),
    ("terraform", "main.tf",
     f'resource "aws_db_instance" "db" {{\n  username = "admin"\n  password = "{PW}"\n'
     f'  access_key = "{AWS}"\n}}\n',
     [("password-assignment", "password", 3), ("aws-access-key", "access_key", 4)]),
    ("tfvars", "prod.tfvars", f'db_password = "{PW2}"\n',
     [("password-assignment", "db_password", 1)]),
]


@pytest.mark.parametrize(("name", "text", "expected"), [p[1:] for p in POSITIVES],
                         ids=[p[0] for p in POSITIVES])
def test_hard_coded_credentials_in_source(tmp_path: Path, name: str, text: str,
                                          expected: list[tuple[str, str | None, int]]) -> None:
    items = scan(tmp_path, name, text)
    assert secrets(items) == expected
    assert all(f.rule_id.startswith("core.secret.")
               for f in evaluate([i for i in items if isinstance(i, Observation)], [CORE]))
    shown = repr([(o.attributes, o.evidence) for o in items if isinstance(o, Observation)])
    assert PW not in shown and GLPAT not in shown and AWS not in shown


NEGATIVES = [
    ("env-lookup", "app.py", 'import os\nDB_PASSWORD = os.environ["DB_PASSWORD"]\n'
     'TOKEN = os.getenv("TOKEN")\n'),
    ("comparison", "auth.py", 'def ok(password):\n    return password == "letmein-42"\n'),
    ("placeholder-default", "svc.py", 'def login(user, password="changeme"):\n    pass\n'),
    ("fstring", "url.py", 'def url(pw):\n    return f"postgresql://app:{pw}@db/x"\n'),
    ("template-literal", "api.ts", "const password = `${process.env.DB_PASSWORD}`;\n"),
    ("placeholder-token", "ci.js", "const token = 'ghp_" + "x" * 36 + "';\n"),
    ("names-not-values", "fields.java",
     'class F {\n  static final String PASSWORD_FIELD = "password";\n'
     '  static final String TOKEN_HEADER = "X-Auth-Token";\n}\n'),
    ("shell-reference", "run.sh", '#!/bin/sh\nDB_PASSWORD="$(cat /run/secrets/db)"\n'
     'export API_TOKEN=$API_TOKEN\n'),
    ("terraform-variable", "main.tf", 'resource "x" "y" {\n  password = var.db_password\n'
     '  token = "${var.token}"\n}\n'),
    ("js-template-key", "oidc.js",
     "const regKey = `//${host}${path}`\nconst authTokenKey = `${regKey}:_authToken`\n"),
    ("shell-interpolated", "run.sh", '#!/bin/sh\nDB_PASSWORD="${PREFIX}_$(date +%s)"\n'),
    ("hcl-interpolated", "db.tf", 'locals {\n  password = "${var.env}-${random_id.x.hex}"\n}\n'),
    ("go-lookup", "main.go",
     'package main\nimport "os"\nvar password = os.Getenv("DB_PASSWORD")\n'),
]


@pytest.mark.parametrize(("name", "text"), [n[1:] for n in NEGATIVES],
                         ids=[n[0] for n in NEGATIVES])
def test_source_hard_negatives(tmp_path: Path, name: str, text: str) -> None:
    assert secrets(scan(tmp_path, name, text)) == []


SEED_PY = '''\
"""Seed data for the staging portal."""
CITIZENS = [
    {"ho_ten": "Nguyễn Văn An", "cccd": "079203012345", "so_dien_thoai": "0912345678"},
    {"ho_ten": "Trần Thị Bình", "cccd": "001304056789", "so_dien_thoai": "0987654321"},
]
'''


def test_people_records_in_python_literals(tmp_path: Path) -> None:
    items = scan(tmp_path, "seed.py", SEED_PY)
    found = evaluate([i for i in items if isinstance(i, Observation)], [CORE])
    assert sorted((f.rule_id, f.entities, f.location.line) for f in found) == [
        ("core.config.personal-data", ("PERSON",), 3),
        ("core.config.personal-data", ("VN_PHONE",), 3),
        ("core.config.personal-data-identifiers", ("VN_CCCD",), 3)]
    pii = [o for o in items if isinstance(o, Observation) and o.kind == "pii.text"]
    assert {o.attributes["file_kind"] for o in pii} == {"source"}
    assert "079203012345" not in repr([(o.attributes, o.evidence) for o in pii])


SQL_PY = '''\
"""Migrations written as SQL strings."""
UP = """
CREATE TABLE cong_dan (id serial PRIMARY KEY, ho_ten text, cccd char(12));
INSERT INTO cong_dan (ho_ten, cccd) VALUES ('x', 'y');
"""
DOWN = "DROP TABLE cong_dan;"
'''


def test_python_full_of_sql_is_source_not_a_dump(tmp_path: Path) -> None:
    (tmp_path / "0001_init.py").write_text(SQL_PY, encoding="utf-8")
    (tmp_path / "dump.sql").write_text(SQL_PY.split('"""')[3], encoding="utf-8")
    targets, _ = discover([str(tmp_path)], load_scanners())
    assert sorted((Path(t.locator).name, t.scanner, t.kind) for t in targets) == [
        ("0001_init.py", "config", "source"), ("dump.sql", "sqldump", "sqldump")]
    items = scan(tmp_path, "0001_init.py", SQL_PY)
    assert not [i for i in items if isinstance(i, Problem)]
    assert secrets(items) == []


def test_settings_modules_keep_their_settings_claim() -> None:
    for name in ("settings.py", "local_settings.py"):
        claim = SCANNER.claim(Candidate(name, name, name, 10, b"DEBUG = True\n"))
        assert claim is not None and (claim.kind, claim.confidence) == ("python", 80)
    claim = SCANNER.claim(Candidate("x.md", "x.md", "x.md", 10, b"# t\n"))
    assert claim is None
