"""Config scanner, value helpers: secret-named keys, placeholders, what may be shown, URL
facts with the password masked."""

from __future__ import annotations

import pytest

from auditor.knowledge.values import (
    display_value,
    is_placeholder,
    is_prose,
    is_secret_key,
    key_words,
    shown_placeholder,
    url_facts,
)


@pytest.mark.parametrize(("key", "expected"), [
    ("password", True), ("DB_PASSWORD", True), ("dbPassword", True), ("passwd", True),
    ("pwd", True), ("client_secret", True), ("SECRET_KEY", True), ("apiKey", True),
    ("api-key", True), ("x-api-key", True), ("accessKey", True), ("private_key", True),
    ("SigningKey", True), ("GITHUB_TOKEN", True), ("auth_token", True),
    ("passphrase", True), ("credentials", True), ("AWS_SECRET_ACCESS_KEY", True),
    ("password_file", False), ("passwordPolicy", False), ("token_ttl", False),
    ("secret_name", False), ("TOKEN_URL", False), ("password_min_length", False),
    ("bypass", False), ("passenger", False), ("keyboard", False), ("key", False),
    ("monkey", False), ("secretary", False), ("token_endpoint", False),
    ("password_hash", False), ("require_password", False), ("username", False),
    ("show_password", False), ("password_grant", False), ("use_token", False),
    ("CustomerMasterKeySpec", False), ("KeyUsage", False), ("token_status", False),
])
def test_is_secret_key(key: str, expected: bool) -> None:
    assert is_secret_key(key) is expected


def test_key_words_split_camel_case_and_separators() -> None:
    assert key_words("spring.datasource.dbPassword") == ("spring", "datasource", "db",
                                                         "password")
    assert key_words("X-API-Key") == ("x", "api", "key")


@pytest.mark.parametrize(("value", "expected"), [
    ("${DB_PASSWORD}", True), ("${DB_PASSWORD:-}", True), ("${DB_PASSWORD:-changeme}", True),
    ("${DB_PASSWORD:-Hunter2-real}", False), ("$DB_PASSWORD", True), ("$(cat /x)", True),
    ("{{ .Values.db.password }}", True), ("{{secret}}", True), ("${{ secrets.TOKEN }}", True),
    ("%(password)s", True), ("%DB_PASS%", True), ("<password>", True), ("[REDACTED]", True),
    ("@db.password@", True), ("#{dbPassword}", True), ("ENC(abc==)", True),
    ("vault:secret/data/x#k", True), ("env:DB_PASS", True), ("xxx", True), ("********", True),
    ("changeme", True), ("CHANGE_ME", True), ("your-password-here", True),
    ("your_api_key", True), ("''", True), ("", True), ("null", True),
    ("$ANSIBLE_VAULT;1.1;AES256", True),
    ("hunter2", False), ("P@ssw0rd!", False), ("password", False), ("secret123", False),
])
def test_is_placeholder(value: str, expected: bool) -> None:
    assert is_placeholder(value) is expected


@pytest.mark.parametrize(("value", "expected"), [
    ("info", "info"), ("Cổng dịch vụ công", "Cổng dịch vụ công"), ("/var/lib/app", "/var/lib/app"),
    ("https://portal.example.vn/a?b=1", "https://portal.example.vn/a?b=1"),
    ("an.nguyen@example.vn", None), ("0912345678", None), ("001203012345", None),
    ("multi\nline", None), ("Zk9Qm3RvXb7Lp2Wc8Ny4Ht6Jd1Fg5Ks", None),
    ("ThisIsALongCamelCaseIdentifierName", "ThisIsALongCamelCaseIdentifierName"),
    ("x" * 121, None),
])
def test_display_value(value: str, expected: str | None) -> None:
    assert display_value(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("${DB_PASSWORD}", "${DB_PASSWORD}"),
    ("{{ .Values.db.password }}", "{{ .Values.db.password }}"),
    ("<changeme>", "<changeme>"), ("hunter2", None), ("${X:-Hunter2-real}", None),
])
def test_shown_placeholder(value: str, expected: str | None) -> None:
    assert shown_placeholder(value) == expected


@pytest.mark.parametrize(("url", "masked", "facts"), [
    ("postgresql://app:S3cr3t-Pw@db.internal:5432/x?sslmode=disable",
     "postgresql://app:•••••••••(9)@db.internal:5432/x?sslmode=disable",
     {"scheme": "postgresql", "host": "db.internal", "port": 5432, "has_password": True,
      "params": {"sslmode": "disable"}}),
    ("jdbc:mysql://db:3306/x?useSSL=false&password=Hunter22xy",
     "jdbc:mysql://db:3306/x?useSSL=false&password=••••••••••(10)",
     {"scheme": "mysql", "has_password": False,
      "params": {"usessl": "false", "password": "••••••••••(10)"}}),
    ("redis://:p#ss?word@cache:6379/0", "redis://:•••••••••(9)@cache:6379/0",
     {"scheme": "redis", "host": "cache", "has_password": True}),
    ("smtp://an.nguyen%40example.vn@mail.example.vn:587",
     "smtp://an•••••••@e••••••.vn@mail.example.vn:587", {"has_password": False}),
    ("http://localhost:8080/login", "http://localhost:8080/login", {"is_local": True}),
])
def test_url_facts(url: str, masked: str, facts: dict[str, object]) -> None:
    found = url_facts(url)
    assert found is not None and found.masked == masked
    for name, value in facts.items():
        assert getattr(found, name) == value


@pytest.mark.parametrize("value", ["not a url", "C:\\path", "mailto:a@b.vn", "http://[::1"])
def test_url_facts_none(value: str) -> None:
    assert url_facts(value) is None


@pytest.mark.parametrize(("value", "expected"), [
    ("Tài khoản cơ sở dữ liệu có mật khẩu rỗng", True),
    ("Set password_encryption = scram-sha-256 and reset passwords.", True),
    ("correct horse battery staple", True),
    ("--user admin --password Hunter22x --host db", False),
    ("Server=s;User Id=u;Password=Hunter22x;", False), ("Hunter 22 x", False),
])
def test_is_prose(value: str, expected: bool) -> None:
    assert is_prose(value) is expected
