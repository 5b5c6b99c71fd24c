"""Value shapes, password-column names, binary formats and option parsing."""

from __future__ import annotations

import datetime as dt

import pytest
from auditor.scanners.database.columns import binary_format, is_password_column
from auditor.scanners.database.options import DbSettings, settings_from
from auditor.scanners.database.shapes import dominant, hash_format, protected_shape

from auditor.errors import ConfigError
from auditor.scanner import ScanOptions

BCRYPT = "$2b$12$" + "N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"


@pytest.mark.parametrize(("value", "expected"), [
    (BCRYPT, "bcrypt"),
    ("$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG", "argon2"),
    ("$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E",
     "scrypt"),
    ("pbkdf2_sha256$600000$abc123$hashhashhash=", "pbkdf2"),
    ("SCRAM-SHA-256$4096:c2FsdA==$c3RvcmVk:c2VydmVy", "scram-sha-256"),
    ("$6$saltsalt$" + "a" * 86, "sha512-crypt"),
    ("$1$saltsalt$" + "b" * 22, "md5-crypt"),
    ("md5" + "0" * 31 + "1", "pg-md5"),
    ("*" + "A1" * 20, "mysql-native"),
    ("5f4dcc3b5aa765d61d8327deb882cf99", "md5"),
    ("5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8", "sha1"),
    ("5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", "sha256"),
    ("sha1$salt$" + "c" * 40, "salted-sha1"),
    ("hunter2", None),
    ("Mật khẩu 2024", None),
    ("", None),
])
def test_hash_format(value: str, expected: str | None) -> None:
    assert hash_format(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("gAAAAABl" + "x7Yq_3kLm9PzR2sTvW8uN4oB6cD1eF5gH0iJ" * 3, "fernet"),
    ("vault:v1:8SDd3WHDOjf7mq69CyCqYjBXAiQQAVZRkFM13ok481zoCmHnSeDX9vyf7w==", "vault-transit"),
    ("enc:Q2lwaGVydGV4dEJsb2JIZXJlMTIzNDU2", "prefixed-ciphertext"),
    ("kh:3f9a0c1d2e3b4a59", "keyed-token"),
    ("U2FsdGVkX1+vupppZksvRf5pq5g5XjFRlipRkwB0K1Y=", "base64-random"),
    ("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "hex-random"),
    # not protection
    ("550e8400-e29b-41d4-a716-446655440000", None),
    ("Nguyễn Văn An", None),
    ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", None),
    ("0912345678", None),
    ("ThisIsALongCamelCaseIdentifierName", None),
])
def test_protected_shape(value: str, expected: str | None) -> None:
    assert protected_shape(value) == expected


@pytest.mark.parametrize(("name", "family", "expected"), [
    ("password", "text", True), ("mat_khau", "text", True), ("password_hash", "text", True),
    ("pwd", "text", True), ("user_pass", "text", True), ("matkhau", "text", True),
    ("password_changed_at", "temporal", False), ("password_changed_at", "text", False),
    ("password_reset_token_expires", "text", False), ("pass_count", "number", False),
    ("passport_no", "text", False), ("compass", "text", False), ("email", "text", False),
    ("password_salt", "text", False),
])
def test_is_password_column(name: str, family: str, expected: bool) -> None:
    assert is_password_column(name, family) is expected


@pytest.mark.parametrize(("prefix", "expected"), [
    (b"FMR\x00 20\x00" + bytes(range(40)), "iso-19794-2"),
    (b"FAC\x00010\x00", "iso-19794-5"),
    (b"\xff\xa0\xff\xa8\x00\x00", "wsq"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (bytes((i * 97 + 13) % 256 for i in range(64)), "random"),
    (b"\x00" * 64, "unknown"),
])
def test_binary_format(prefix: bytes, expected: str) -> None:
    assert binary_format(prefix) == expected


def test_dominant_needs_threshold() -> None:
    assert dominant(["md5"] * 8 + [None] * 2) == ("md5", 0.8)
    assert dominant(["md5"] * 5 + ["bcrypt"] * 5, threshold=0.8)[0] is None
    assert dominant([]) == (None, 0.0)


def _opts(**params: object) -> ScanOptions:
    return ScanOptions(as_of=dt.date(2026, 1, 1), hash_key=b"k",
                       params={f"database.{k}": v for k, v in params.items()})  # type: ignore[misc]


def test_settings_parse_and_defaults() -> None:
    assert settings_from(_opts()) == DbSettings()
    s = settings_from(_opts(sample_size="500", seed=7, full="true",
                            include="public.cong_*, audit", exclude=["*.tmp_*"],
                            time_budget=12.5))
    assert (s.sample_size, s.seed, s.full, s.time_budget) == (500, 7, True, 12.5)
    assert s.include == ("public.cong_*", "audit")


@pytest.mark.parametrize(("schema", "table", "expected"), [
    ("public", "cong_dan", True), ("public", "nhan_vien", False), ("audit", "log", True),
    ("audit", "tmp_x", False), ("other", "cong_dan", False),
])
def test_include_exclude_globs(schema: str, table: str, expected: bool) -> None:
    s = DbSettings(include=("public.cong_*", "audit"), exclude=("*.tmp_*",))
    assert s.selects(schema, table) is expected


@pytest.mark.parametrize("params", [
    {"sample_size": 0}, {"sample_size": "many"}, {"full": "maybe"}, {"seed": -1},
    {"include": 5}, {"time_budget": "soon"},
])
def test_bad_options_are_config_errors(params: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match="database\\."):
        settings_from(_opts(**params))


@pytest.mark.parametrize("distinct", [10, 4000, 50_000])
def test_distinct_sketch(distinct: int) -> None:
    from auditor.sketch import DistinctSketch

    sketch = DistinctSketch(b"key")
    for i in range(distinct * 2):
        sketch.add(f"value-{i % distinct}")
    estimate = sketch.estimate()
    if distinct < 4096:
        assert estimate == distinct
    else:
        assert abs(estimate - distinct) / distinct < 0.05


@pytest.mark.parametrize("distinct", [3000, 50_000])
def test_sketches_of_key_ranges_merge_into_the_whole_tables(distinct: int) -> None:
    """Sketches of three overlapping ranges, merged after travelling (pickled: the hashes
    only, never the key), estimate exactly what one sketch of every value does."""
    import pickle

    from auditor.sketch import DistinctSketch

    key = b"CANARY-sketch-key"
    whole = DistinctSketch(key)
    parts = [DistinctSketch(key) for _ in range(3)]
    for i in range(distinct * 2):
        value = f"value-{(i * 7919) % distinct}"
        whole.add(value)
        parts[i * 3 // (distinct * 2)].add(value)
    shipped = [pickle.dumps(p) for p in parts]
    assert not [b for b in shipped if key in b]
    merged, *rest = [pickle.loads(b) for b in shipped]
    for other in rest:
        merged.merge(other)
    assert merged.estimate() == whole.estimate()
    assert (whole.estimate() == distinct) == (distinct < 4096)
