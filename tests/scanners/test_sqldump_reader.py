"""The streaming dump reader and the statement parsers."""

from __future__ import annotations

import gzip
import io

import pytest
from auditor.scanners.database.sqldump import statements as st
from auditor.scanners.database.sqldump.reader import CopyEnd, CopyRow, DumpReader, Statement
from hypothesis import given, settings
from hypothesis import strategies as hs

from auditor.errors import TargetError


def events(text: str, *, mysql: bool = False, **kw: int) -> list[object]:
    reader = DumpReader(io.BytesIO(text.encode("utf-8")), backslash_escapes=mysql, **kw)
    return list(reader.events())


@pytest.mark.parametrize(("dump", "mysql", "expected"), [
    ("SELECT 1;\nSELECT 2;\n", False, [(1, "SELECT 1"), (2, "SELECT 2")]),
    ("SELECT 'a;b', \"x;y\";  -- c;\n", False, [(1, "SELECT 'a;b', \"x;y\"")]),
    ("-- comment; here\n\nSET a = 1; SET b = 2;\n", False, [(3, "SET a = 1"), (3, "SET b = 2")]),
    ("INSERT INTO t VALUES ('it''s', 'two\nlines;');\nX;\n", False,
     [(1, "INSERT INTO t VALUES ('it''s', 'two\nlines;')"), (3, "X")]),
    ("SELECT $$ ; $$, $f$ ; $f$;\n", False, [(1, "SELECT $$ ; $$, $f$ ; $f$")]),
    ("/* a ; b */ SET x = 1;\n", False, [(1, "/* a ; b */ SET x = 1")]),
    ("SELECT 'C:\\';\nSELECT 2;\n", False, [(1, "SELECT 'C:\\'"), (2, "SELECT 2")]),
    ("SELECT E'a\\';b';\n", False, [(1, "SELECT E'a\\';b'")]),
    ("INSERT INTO `t` VALUES ('a\\';b');\n# note;\nSELECT 1;\n", True,
     [(1, "INSERT INTO `t` VALUES ('a\\';b')"), (3, "SELECT 1")]),
    ("SELECT `a;b` FROM t;\n", True, [(1, "SELECT `a;b` FROM t")]),
])
def test_statement_splitting(dump: str, mysql: bool, expected: list[tuple[int, str]]) -> None:
    got = [(e.line, e.text) for e in events(dump, mysql=mysql) if isinstance(e, Statement)]
    assert got == expected


def test_copy_block_rows_and_end() -> None:
    dump = "COPY public.t (a, b) FROM stdin;\n1\tx;y\n2\t\\N\n\\.\nSELECT 1;\n"
    got = events(dump)
    assert got == [Statement(1, "COPY public.t (a, b) FROM stdin"), CopyRow(2, "1\tx;y"),
                   CopyRow(3, "2\t\\N"), CopyEnd(4), Statement(5, "SELECT 1")]


@pytest.mark.parametrize(("dump", "line", "what"), [
    ("SELECT 1;\nINSERT INTO t VALUES ('abc\n", 2, "string"),
    ("SELECT 1;\nCREATE TABLE t (\n  a int\n", 2, "statement"),
    ("SELECT 1;\nCOPY t (a) FROM stdin;\n1\n2\n", 4, "COPY block"),
    ("/* never closed\nSELECT 1;\n", 1, "comment"),
])
def test_truncated_dump_names_the_line(dump: str, line: int, what: str) -> None:
    with pytest.raises(TargetError, match=what) as info:
        events(dump)
    assert info.value.line == line
    assert f"line {line}" in str(info.value)


def test_long_statement_is_cut_and_flagged() -> None:
    dump = "INSERT INTO t VALUES ('" + "x" * 5000 + "');\nSELECT 1;\n"
    got = [e for e in events(dump, max_statement=1000) if isinstance(e, Statement)]
    assert got[0].truncated and len(got[0].text) <= 1000
    assert got[1] == Statement(2, "SELECT 1")


def test_lines_longer_than_the_read_limit_keep_line_numbers(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    monkeypatch.setattr("auditor.scanners.database.sqldump.reader.MAX_LINE", 64)
    dump = "INSERT INTO t VALUES " + ",".join(f"({i},'v{i}')" for i in range(100)) + ";\nX;\n"
    got = [e for e in events(dump) if isinstance(e, Statement)]
    assert [g.line for g in got] == [1, 2]
    assert got[0].text.endswith("(99,'v99')")


def test_invalid_utf8_is_kept_as_surrogates() -> None:
    raw = b"INSERT INTO t VALUES ('\xff\xfe\x00bin');\n"
    (stmt,) = DumpReader(io.BytesIO(raw), backslash_escapes=True).events()
    assert isinstance(stmt, Statement)
    assert stmt.text.encode("utf-8", "surrogateescape") == raw.rstrip(b";\n")


def test_corrupt_gzip_is_a_target_error() -> None:
    data = gzip.compress(b"SELECT 1;\n" * 50000)
    stream = gzip.GzipFile(fileobj=io.BytesIO(data[: len(data) // 2]))
    with pytest.raises(TargetError, match="compressed stream is corrupt or truncated"):
        list(DumpReader(stream, backslash_escapes=False).events())


# ---- statement parsers ------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("CREATE TABLE public.cong_dan (\n id integer NOT NULL,\n ho_ten text,\n"
     " van_tay bytea, CONSTRAINT pk PRIMARY KEY (id))",
     ("public", "cong_dan", [("id", "integer"), ("ho_ten", "text"), ("van_tay", "bytea")])),
    ("CREATE TABLE IF NOT EXISTS `t` (\n `id` int(11) NOT NULL,\n `so_tien` decimal(10,2) "
     "DEFAULT NULL,\n PRIMARY KEY (`id`),\n KEY `k` (`so_tien`)\n) ENGINE=InnoDB",
     (None, "t", [("id", "int(11)"), ("so_tien", "decimal(10,2)")])),
])
def test_create_table(text: str, expected: object) -> None:
    assert st.create_table(text) == expected


@pytest.mark.parametrize(("text", "backslash", "rows"), [
    ("INSERT INTO `t` VALUES (1,'it\\'s','a''b',NULL,_binary 0x464D52,-3.5),(2,'x\\\\y',"
     "now(),'',TRUE,'{\"a\": 1}')", True,
     [["1", "it's", "a'b", None, b"FMR", "-3.5"], ["2", "x\\y", "now()", "", "true",
                                                   '{"a": 1}']]),
    ("INSERT INTO public.t (a, b) VALUES ('C:\\', 'x'::text), (E'a\\nb', '\\x4650')", False,
     [["C:\\", "x"], ["a\nb", "\\x4650"]]),
])
def test_insert_rows(text: str, backslash: bool, rows: list[list[object]]) -> None:
    parsed = st.insert_rows(text, backslash=backslash)
    assert parsed is not None
    assert list(parsed[3]) == rows


def test_insert_rows_are_lazy() -> None:
    text = "INSERT INTO t VALUES " + ",".join(f"({i})" for i in range(10000)) + ",(oops"
    parsed = st.insert_rows(text, backslash=False)
    assert parsed is not None
    first = next(parsed[3])
    assert first == ["0"]


@pytest.mark.parametrize(("line", "values"), [
    ("1\tA\\tB\t\\N\t\\\\x4650", ["1", "A\tB", None, "\\x4650"]),
    ("x\\ny\t\\101", ["x\ny", "A"]),
])
def test_copy_values(line: str, values: list[str | None]) -> None:
    assert st.copy_values(line) == values


@pytest.mark.parametrize(("text", "name", "host", "password", "superuser"), [
    ("ALTER ROLE bao_cao WITH NOSUPERUSER LOGIN PASSWORD 'Bao''Cao'", "bao_cao", None,
     "Bao'Cao", False),
    ("CREATE ROLE admin WITH SUPERUSER LOGIN", "admin", None, None, True),
    ("CREATE USER 'xuat'@'%' IDENTIFIED BY 'Xuat#2024'", "xuat", "%", "Xuat#2024", None),
    ("CREATE USER `a`@`localhost` IDENTIFIED VIA mysql_native_password USING "
     "'*ABCDEF0123456789ABCDEF0123456789ABCDEF01'", "a", "localhost",
     "*ABCDEF0123456789ABCDEF0123456789ABCDEF01", None),
    ("SET PASSWORD FOR 'a'@'%' = PASSWORD('pw')", "a", "%", "pw", None),
])
def test_parse_role(text: str, name: str, host: str | None, password: str | None,
                    superuser: bool | None) -> None:
    role = st.parse_role(text, backslash=True)
    assert role is not None
    assert (role.name, role.host, role.password, role.superuser) == (name, host, password,
                                                                     superuser)


@pytest.mark.parametrize(("text", "expected"), [
    ("GRANT SELECT ON TABLE public.cong_dan TO PUBLIC",
     st.GrantStmt(("SELECT",), "table", ("public.cong_dan",), ("PUBLIC",), False)),
    ("GRANT ALL PRIVILEGES ON *.* TO 'xuat'@'%' WITH GRANT OPTION",
     st.GrantStmt(("ALL",), "global", ("*.*",), ("xuat@%",), True)),
    ("GRANT SELECT, INSERT ON `db`.* TO 'a'@'h'",
     st.GrantStmt(("INSERT", "SELECT"), "database", ("db.*",), ("a@h",), False)),
    ("GRANT USAGE ON SCHEMA public TO PUBLIC",
     st.GrantStmt(("USAGE",), "schema", ("public",), ("PUBLIC",), False)),
    ("GRANT admin TO bob", None),
])
def test_parse_grant(text: str, expected: st.GrantStmt | None) -> None:
    assert st.parse_grant(text) == expected


# ---- round trip: any value, escaped as each dump tool does, is read back exactly --------

_VALUES = hs.lists(hs.text(alphabet=hs.characters(blacklist_categories=("Cs",),
                                                  blacklist_characters="\x00"),
                           max_size=40), min_size=1, max_size=6)


def _mysql_literal(value: str) -> str:
    return "'" + (value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
                  .replace("\r", "\\r")) + "'"


def _pg_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@settings(max_examples=150, deadline=None)
@given(rows=hs.lists(_VALUES, min_size=1, max_size=4), mysql=hs.booleans())
def test_values_round_trip_through_reader_and_parser(rows: list[list[str]], mysql: bool
                                                     ) -> None:
    literal = _mysql_literal if mysql else _pg_literal
    statements = [f"INSERT INTO t VALUES ({', '.join(literal(v) for v in row)})"
                  for row in rows]
    dump = "".join(f"{s};\n-- comment ; ' \"\n" for s in statements) + "SELECT 1;\n"
    got = [e for e in events(dump, mysql=mysql) if isinstance(e, Statement)]
    assert [g.text for g in got] == [*statements, "SELECT 1"]
    for stmt, row in zip(got, rows, strict=False):
        parsed = st.insert_rows(stmt.text, backslash=mysql)
        assert parsed is not None
        assert list(parsed[3]) == [row]


@settings(max_examples=100, deadline=None)
@given(fields=hs.lists(hs.text(alphabet=hs.characters(blacklist_categories=("Cs",)),
                               max_size=30), min_size=1, max_size=5))
def test_copy_fields_round_trip(fields: list[str]) -> None:
    def escape(value: str) -> str:
        return (value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                .replace("\r", "\\r"))
    assert st.copy_values("\t".join(escape(f) for f in fields)) == fields


@pytest.mark.parametrize("piece", range(3, 41))
def test_long_lines_cut_anywhere_read_the_same(piece: int, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    monkeypatch.setattr("auditor.scanners.database.sqldump.reader.MAX_LINE", piece)
    values = ["a\\'b", "x''y", "--no", "/*c*/", "back\\\\", "it's", "\\", "Đặng Thị Ánh"]
    stmt = "INSERT INTO t VALUES (" + ", ".join(_mysql_literal(v) for v in values) + ")"
    got = [e for e in events(stmt + "; -- tail\nSELECT 1;\n", mysql=True)
           if isinstance(e, Statement)]
    assert [g.text for g in got] == [stmt, "SELECT 1"]
    assert [g.line for g in got] == [1, 2]
    parsed = st.insert_rows(got[0].text, backslash=True)
    assert parsed is not None and list(parsed[3]) == [values]
