"""Config scanner, parsing: every format gives dotted keys, values and lines; claims;
malformed files are target errors naming the line, never the content."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from auditor.scanners.config import ConfigScanner
from auditor.scanners.config.formats import parse
from auditor.scanners.config.jsonwalk import json_settings
from auditor.scanners.config.settings import Setting
from auditor.scanners.config.structured import yaml_documents, yaml_settings
from hypothesis import given
from hypothesis import settings as settings_
from hypothesis import strategies as st

from auditor.errors import TargetError
from auditor.models import Observation, Problem, Target
from auditor.scanner import Candidate, ScanOptions

SCANNER = ConfigScanner()
OPTIONS = ScanOptions(as_of=dt.date(2026, 12, 1), hash_key=b"test-key")


def _target(path: Path) -> Target:
    head = path.read_bytes()[:8192]
    claim = SCANNER.claim(Candidate(str(path), path.name, path.name, path.stat().st_size, head))
    assert claim is not None, f"{path.name} not claimed"
    return Target(path.name, str(path), claim.kind, "config")


def _target_kind(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return _target(path).kind


def scan(tmp_path: Path, name: str, text: str | bytes) -> list[Observation | Problem]:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return list(SCANNER.scan(_target(path), OPTIONS))


def settings(items: list[Observation | Problem]) -> list[tuple[str, object, int | None]]:
    return [(o.attributes["key"], o.attributes["value"], o.location.line)  # type: ignore[misc]
            for o in items if isinstance(o, Observation) and o.kind == "config.setting"]


FORMAT_CASES = [
    ("app.yaml", "server:\n  port: 8080\n  hosts:\n    - a.example.vn\n    - b.example.vn\n"
     "  tls: {enabled: false}\n",
     [("server.port", 8080, 2), ("server.hosts.0", "a.example.vn", 4),
      ("server.hosts.1", "b.example.vn", 5), ("server.tls.enabled", False, 6)]),
    ("multi.yml", "a: 1\n---\n# second\nb:\n  - c: x\n    d: [1, 2]\n---\n",
     [("a", 1, 1), ("b.0.c", "x", 5), ("b.0.d.0", 1, 6), ("b.0.d.1", 2, 6)]),
    ("anchors.yaml", "base: &b\n  level: info\ndev:\n  <<: *b\n  extra: true\n",
     [("base.level", "info", 2), ("dev.extra", True, 5)]),
    ("config.json", '{\n  "db": {\n    "port": 5432,\n    "hosts": ["x", {"y": null}]\n  },'
     '\n  "ratio": 0.5, "on": true\n}\n',
     [("db.port", 5432, 3), ("db.hosts.0", "x", 4), ("db.hosts.1.y", None, 4),
      ("ratio", 0.5, 6), ("on", True, 6)]),
    ("pyproject.toml", 'title = "t"\n[tool.x]\nlevel = 3\nlist = [\n  "a",\n  "b",\n]\n'
     '[[servers]]\nname = "s1"\n[servers.tls]\nverify = false\n[[servers]]\nname = "s2"\n'
     'text = """\nmany\nlines"""\nafter = 1\n',
     [("title", "t", 1), ("tool.x.level", 3, 3), ("tool.x.list.0", "a", 4),
      ("tool.x.list.1", "b", 4), ("servers.0.name", "s1", 9), ("servers.0.tls.verify", False, 11),
      ("servers.1.name", "s2", 13), ("servers.1.text", "many\nlines", 14),
      ("servers.1.after", 1, 17)]),
    ("setup.cfg", "top = 1\n[metadata]\nname = portal\n; comment\nclassifiers =\n  A\n  B\n"
     "[tool:pytest]\naddopts: -q\n",
     [("top", "1", 1), ("metadata.name", "portal", 3), ("metadata.classifiers", "\nA\nB", 5),
      ("tool:pytest.addopts", "-q", 9)]),
    (".env", "# c\nexport A=1\nB='two words'\nC=\"multi\nline\"\nD=\n",
     [("A", "1", 2), ("B", "two words", 3), ("C", "multi\nline", 4), ("D", "", 6)]),
    # blank lines before a binding do not shift its line
    (".env", "A=1\n\n\n  \nDEBUG=true\n\nX=2\n",
     [("A", "1", 1), ("DEBUG", "true", 5), ("X", "2", 7)]),
    ("application.properties", "# c\n! c\nserver.port=8080\nspring.app : portal\n"
     "key\\ with\\ spaces value\nlong = a,\\\n    b\nunicode=Vi\\u1EC7t\n",
     [("server.port", "8080", 3), ("spring.app", "portal", 4), ("key with spaces", "value", 5),
      ("long", "a,b", 6), ("unicode", "Việt", 8)]),
]


@pytest.mark.parametrize(("name", "text", "expected"), FORMAT_CASES,
                         ids=[c[0] for c in FORMAT_CASES])
def test_parsers_keys_values_lines(tmp_path: Path, name: str, text: str,
                                   expected: list[tuple[str, object, int]]) -> None:
    kind = _target_kind(tmp_path, name, text)
    parsed = [(s.key, s.value, s.line) for s in parse(kind, text) if isinstance(s, Setting)]
    assert parsed == expected


@pytest.mark.parametrize(("name", "text", "expected"), FORMAT_CASES,
                         ids=[c[0] for c in FORMAT_CASES])
def test_scan_reports_each_leaf_once_in_order(tmp_path: Path, name: str, text: str,
                                              expected: list[tuple[str, object, int]]) -> None:
    observed = settings(scan(tmp_path, name, text))
    assert [(k, line) for k, _, line in observed] == [(k, line) for k, _, line in expected]
    for (_, shown, _), (_, value, _) in zip(observed, expected, strict=True):
        assert shown == value or (isinstance(value, str) and "\n" in value
                                  and "•" in str(shown))  # multi-line text is masked


def test_setting_attributes(tmp_path: Path) -> None:
    obs = scan(tmp_path, "app.yaml", "App:\n  Debug: true\n  Started: 2026-01-02\n")
    by_key = {o.attributes["key"]: o for o in obs if isinstance(o, Observation)}
    debug = by_key["App.Debug"]
    assert debug.attributes == {"format": "yaml", "key": "App.Debug", "key_leaf": "debug",
                                "value": True, "value_masked": False, "value_type": "bool"}
    assert debug.location.key == "App.Debug" and debug.location.line == 2
    assert by_key["App.Started"].attributes["value_type"] == "datetime"
    assert by_key["App.Started"].attributes["value"] == "2026-01-02"


@pytest.mark.parametrize(("name", "kind", "confidence"), [
    (".env", "env", 80), (".env.production", "env", 80), ("prod.env", "env", 80),
    ("application.properties", "properties", 80), ("messages.properties", "properties", 40),
    ("application-prod.yml", "yaml", 80), ("values.yaml", "yaml", 40),
    ("docker-compose.yml", "compose", 80), ("compose.prod.yaml", "compose", 80),
    ("settings.toml", "toml", 80), ("Cargo.lock", "toml", 80), ("tox.ini", "ini", 40),
    ("appsettings.Production.json", "json", 80), ("data.json", "json", 40),
    ("settings.jsonc", "json", 40),
    ("setup.cfg", "ini", 40), (".npmrc", "ini", 80), (".pypirc", "ini", 80),
    (".git-credentials", "ini", 80),
])
def test_claims_by_name(name: str, kind: str, confidence: int) -> None:
    claim = SCANNER.claim(Candidate(name, name, name, 10, b"a: 1\n"))
    assert claim is not None and (claim.kind, claim.confidence) == (kind, confidence)


@pytest.mark.parametrize(("name", "head", "expected"), [
    ("deploy.yaml", b"apiVersion: apps/v1\nkind: Deployment\n", ("kubernetes", 60)),
    ("supervisord.conf", b"; supervisor\n[program:api]\ncommand=x\n", ("ini", 10)),
    ("nginx.conf", b"server { listen 80; }\n", None),
    ("pg_hba.conf", b"host all all 0.0.0.0/0 trust\n", None),
    ("postgresql.conf", b"ssl = off\n", None),
    ("my.cnf", b"[mysqld]\nbind-address=0.0.0.0\n", None),
    ("redis.conf", b"requirepass x\n", None),
    ("server.pem", b"-----BEGIN CERTIFICATE-----\n", None),
    ("README.md", b"# hello\n", None),
    ("random.conf", b"listen 80;\n", None),
])
def test_claims_by_content_and_exclusions(name: str, head: bytes,
                                          expected: tuple[str, int] | None) -> None:
    claim = SCANNER.claim(Candidate(name, name, name, len(head), head))
    assert (None if claim is None else (claim.kind, claim.confidence)) == expected


CANARY = "Canary-Value-8f3e1a"

MALFORMED = [
    ("bad.yaml", f"ok: 1\nkey: [{CANARY}\nother: 2\n", 3),
    ("tabs.yaml", f"a:\n\t- {CANARY}\n", 2),
    ("bad.json", f'{{\n  "a": "{CANARY}",\n  "b": \n}}\n', 4),
    ("missing-comma.json", f'{{"a": "{CANARY}"\n "b": 1}}', 2),
    ("unclosed-comment.json", f'{{"a": 1, /* {CANARY}\n"b": 2}}', 1),
    ("bad.toml", f'a = "{CANARY}"\nb = = 3\n', 2),
    ("dup.toml", f'a = "{CANARY}"\na = 2\n', 2),
    ("bad.ini", f"[s]\nok = 1\n= {CANARY}\n", 3),
]


@pytest.mark.parametrize(("name", "text", "line"), MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_is_target_error_with_line(tmp_path: Path, name: str, text: str,
                                             line: int) -> None:
    with pytest.raises(TargetError) as info:
        scan(tmp_path, name, text)
    assert info.value.line == line
    assert f"line {line}" in str(info.value)
    assert CANARY not in str(info.value) and CANARY not in repr(info.value)


@pytest.mark.parametrize(("name", "data", "offset"), [
    ("junk.yaml", b"a: 1\nb: \x00\x01\x02\xff", 8),
    ("latin.env", b"A=1\nB=caf\xe9\n", 9),
    ("utf16.json", '{"a": 1}'.encode("utf-16"), None),
])
def test_binary_or_undecodable_is_target_error(tmp_path: Path, name: str, data: bytes,
                                               offset: int | None) -> None:
    with pytest.raises(TargetError) as info:
        scan(tmp_path, name, data)
    if offset is not None:
        assert info.value.offset == offset and f"offset {offset}" in str(info.value)
    assert info.value.line is not None or info.value.offset is not None


def test_properties_fall_back_to_latin1(tmp_path: Path) -> None:
    assert settings(scan(tmp_path, "app.properties", b"name=caf\xe9\n")) == [
        ("name", "café", 1)]


def test_env_bad_line_is_a_problem_and_the_rest_is_read(tmp_path: Path) -> None:
    items = scan(tmp_path, ".env", f"A=1\nthis is {CANARY}\nB=2\n")
    problems = [i for i in items if isinstance(i, Problem)]
    assert [p.message for p in problems] == ["line 2: not a KEY=VALUE assignment; line skipped"]
    assert settings(items) == [("A", "1", 1), ("B", "2", 3)]


def test_alias_bomb_is_bounded(tmp_path: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]"
              for i in range(8)]
    items = scan(tmp_path, "bomb.yaml", "\n".join(lines) + "\n")
    assert len(settings(items)) == 10  # aliases are reported once, where the anchor is


def test_deterministic(tmp_path: Path) -> None:
    text = "a: 1\nb: {c: [1, 2], d: postgresql://u:Secr3tPassw0rd@h/db}\n"
    first = scan(tmp_path, "x.yaml", text)
    assert first == scan(tmp_path, "x.yaml", text)


# ---- property tests: the line-tracking walkers agree with the reference parsers ----------
_LEAVES = (st.none() | st.booleans() | st.integers(-10**12, 10**12)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
_KEYS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1,
                max_size=8)
_DOCS = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(_KEYS, inner, max_size=4), max_leaves=12)


def _flatten(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _flatten(v, (*path, k))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _flatten(v, (*path, i))]
    return [(path, value)]


@settings_(max_examples=40, deadline=None)
@given(doc=st.dictionaries(_KEYS, _DOCS, min_size=1, max_size=5), indent=st.sampled_from(
    [None, 1, 2, "\t"]))
def test_json_walker_matches_json_loads(doc: dict[str, Any], indent: int | str | None) -> None:
    text = json.dumps(doc, indent=indent, ensure_ascii=bool(indent == 1))
    parsed = list(json_settings(text))
    assert [(s.path, s.value) for s in parsed] == _flatten(json.loads(text))
    lines = text.split("\n")  # NOTE: JSON lines end at LF only (not at U+0085)
    for s in parsed:
        assert 1 <= s.line <= len(lines)
        if indent is not None and s.path and isinstance(s.path[-1], str):
            key = json.dumps(s.path[-1], ensure_ascii=bool(indent == 1))
            assert lines[s.line - 1].lstrip().startswith(key)


@settings_(max_examples=40, deadline=None)
@given(doc=st.dictionaries(_KEYS, _DOCS, min_size=1, max_size=5))
def test_yaml_walker_matches_safe_load(doc: dict[str, Any]) -> None:
    text = yaml.safe_dump(doc, allow_unicode=True)
    [node] = list(yaml_documents(text))
    parsed = list(yaml_settings(node))
    expected = [(p, v) for p, v in _flatten(yaml.safe_load(text))]
    assert [(s.path, s.value) for s in parsed] == expected


def test_gzip_config_is_read_and_corrupt_gzip_is_an_error(tmp_path: Path) -> None:
    good = tmp_path / "prod.env.gz"
    good.write_bytes(gzip.compress(b"DEBUG=true\n"))
    claim = SCANNER.claim(Candidate(str(good), good.name, good.name, 10, b"DEBUG=true\n",
                                    compression="gzip"))
    assert claim is not None and claim.kind == "env"
    target = Target(good.name, str(good), claim.kind, "config")
    assert settings(list(SCANNER.scan(target, OPTIONS))) == [("DEBUG", "true", 1)]
    bad = tmp_path / "bad.env.gz"
    bad.write_bytes(gzip.compress(b"DEBUG=true\n")[:-6])
    with pytest.raises(TargetError, match="corrupt gzip"):
        list(SCANNER.scan(Target(bad.name, str(bad), "env", "config"), OPTIONS))


def test_helm_template_is_a_problem_not_an_error(tmp_path: Path) -> None:
    text = ("apiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: {{ .Values.replicas }}\n"
            "  template:\n    spec:\n{{- include \"pod\" . | nindent 6 }}\n")
    items = scan(tmp_path, "deployment.yaml", text)
    problems = [i.message for i in items if isinstance(i, Problem)]
    assert len(problems) == 1 and "templated YAML" in problems[0]


@pytest.mark.parametrize(("limit", "error"), [
    (100, "larger than 100 bytes"), ("lots", "must be a positive integer"),
    (0, "must be a positive integer"), (10_000, None)])
def test_size_limit_option(tmp_path: Path, limit: object, error: str | None) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("".join(f"key{i}: value\n" for i in range(50)), encoding="utf-8")
    options = ScanOptions(as_of=OPTIONS.as_of, hash_key=b"k",
                          params={"config.max_bytes": limit})  # type: ignore[dict-item]
    if error is None:
        assert len(settings(list(SCANNER.scan(_target(path), options)))) == 50
    else:
        with pytest.raises(TargetError, match=error):
            list(SCANNER.scan(_target(path), options))


def test_claims_against_the_other_scanners(tmp_path: Path) -> None:
    """With every installed scanner competing, each file goes to the right one."""
    from auditor.pipeline.discovery import discover
    from auditor.pipeline.plugins import load_scanners
    files = {"app.yaml": "a: 1\n", "nginx.conf": "server {\n  listen 80;\n}\n",
             "pg_hba.conf": "host all all 0.0.0.0/0 trust\n", "my.cnf": "[mysqld]\nx=1\n",
             "sshd_config": "PermitRootLogin yes\n", ".env": "A=1\n",
             "application.properties": "a=1\n", "supervisord.conf": "[program:x]\ncommand=y\n"}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    targets, _ = discover([str(tmp_path)], load_scanners())
    owner = {Path(t.uri).name: t.scanner for t in targets}
    assert {n: owner.get(n) for n in files} == {
        "app.yaml": "config", "nginx.conf": "services", "pg_hba.conf": "services",
        "my.cnf": "services", "sshd_config": "services", ".env": "config",
        "application.properties": "config", "supervisord.conf": "config"}


@pytest.mark.parametrize(("name", "text", "expected"), FORMAT_CASES,
                         ids=[c[0] for c in FORMAT_CASES])
def test_crlf_and_bom_keep_keys_and_lines(tmp_path: Path, name: str, text: str,
                                          expected: list[tuple[str, object, int]]) -> None:
    data = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")
    observed = settings(scan(tmp_path, name, data))
    assert [(k, line) for k, _, line in observed] == [(k, line) for k, _, line in expected]


def test_json_with_comments_and_trailing_commas(tmp_path: Path) -> None:
    text = ('{\n  // compiler options\n  "compilerOptions": {\n    "strict": true, /* keep */\n'
            '    "paths": {"@app/*": ["src/*"]},\n  },\n  "url": "http://x.vn//a", // c\n}\n')
    assert settings(scan(tmp_path, "tsconfig.json", text)) == [
        ("compilerOptions.strict", True, 4), ("compilerOptions.paths.@app/*.0", "src/*", 5),
        ("url", "http://x.vn//a", 7)]


DJANGO = '''\
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEBUG = True
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "django-insecure-9f2k")
ALLOWED_HOSTS = ["portal.example.vn", "localhost"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "PASSWORD": os.getenv("DB_PASSWORD"),
        "PORT": 5432,
    },
}
timeout = 30
LOGGING_LEVEL: str = "INFO"
'''


def test_python_settings_module(tmp_path: Path) -> None:
    assert settings(scan(tmp_path, "settings.py", DJANGO)) == [
        ("DEBUG", True, 5), ("SECRET_KEY", "••••••••••••(20)", 6),
        ("ALLOWED_HOSTS.0", "portal.example.vn", 7), ("ALLOWED_HOSTS.1", "localhost", 7),
        ("DATABASES.default.ENGINE", "django.db.backends.postgresql", 10),
        ("DATABASES.default.PORT", 5432, 12), ("LOGGING_LEVEL", "INFO", 16)]


@pytest.mark.parametrize(("path", "expected"), [
    ("settings.py", "python"), ("local_settings.py", "python"), ("prod_settings.py", "python"),
    ("portal/settings/production.py", "python"), ("portal/settings/__init__.py", "source"),
    # other Python modules are source code: string literals only (scanners/config/source.py)
    ("manage.py", "source"), ("views.py", "source")])
def test_python_settings_claims(path: str, expected: str | None) -> None:
    name = Path(path).name
    claim = SCANNER.claim(Candidate(path, path, name, 10, b"DEBUG = True\n"))
    assert (claim.kind if claim else None) == expected


def test_python_syntax_error_is_a_target_error(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="invalid Python at line 2") as info:
        scan(tmp_path, "settings.py", f"A = 1\nB = ('{CANARY}'\n")
    assert CANARY not in str(info.value)


DOCKERFILE = '''\
FROM python:3.12-slim
# build arguments
ARG APP_VERSION=1.4.2
ARG PIP_INDEX_TOKEN
ENV PYTHONUNBUFFERED=1 \\
    APP_HOME="/srv/cong dich vu"
ENV LEGACY_MODE on
RUN pip install -r requirements.txt
'''


def test_dockerfile_env_and_arg(tmp_path: Path) -> None:
    assert settings(scan(tmp_path, "Dockerfile", DOCKERFILE)) == [
        ("ARG.APP_VERSION", "1.4.2", 3), ("ARG.PIP_INDEX_TOKEN", None, 4),
        ("ENV.PYTHONUNBUFFERED", "1", 5), ("ENV.APP_HOME", "/srv/cong dich vu", 5),
        ("ENV.LEGACY_MODE", "on", 7)]


@pytest.mark.parametrize(("name", "kind"), [
    ("Dockerfile", "dockerfile"), ("Dockerfile.prod", "dockerfile"),
    ("api.dockerfile", "dockerfile"), ("Containerfile", "dockerfile"), ("Dockerfile.md", None)])
def test_dockerfile_claims(name: str, kind: str | None) -> None:
    claim = SCANNER.claim(Candidate(name, name, name, 10, b"FROM x\n"))
    assert (claim.kind if claim else None) == kind
