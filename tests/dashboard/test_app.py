"""The dashboard server over HTTP (real uvicorn on loopback, real SQLite and PostgreSQL
stores): security headers, authentication, escaping, filters, languages and formats,
downloads, the JSON API, and a canary planted in a really scanned file."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
import zoneinfo
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from auditor.cli import main
from auditor.cli.commands.serve import _is_loopback
from auditor.dashboard.app import Auth, hash_password, verify_password
from auditor.history import Store
from tests.dashboard.conftest import RUNS, SYSTEMS, Live, serve
from tests.dashboard.seed import MARKUP, seed

PAGES = ["/", "/?lang=en", "/system?name=he-thong-00", "/system?name=he-thong-03&lang=en",
         "/requirement?framework=vn-pdpl-2025&id=D356-Art4-sensitive",
         "/finding?system=he-thong-00&fp=fp-0-000"]


def test_healthz(live: Live) -> None:
    status, _headers, body = live.get("/healthz")
    assert (status, json.loads(body)) == (200, {"status": "ok"})


@pytest.mark.parametrize("path", PAGES)
def test_pages_are_strict_and_carry_no_inline_script_or_style(live: Live, path: str) -> None:
    status, headers, body = live.get(path)
    assert status == 200
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self';" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    for tag in re.findall(r"<script[^>]*>", body):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"<[a-z]+[^>]*\sstyle=", body)
    assert not re.search(r"\son[a-z]+=\"", body.replace(
        "onerror=&#34;", ""))  # no event handler attributes (escaped text is fine)
    assert "http://" not in body.replace(live.base, "") and "https://" not in body


def test_markup_in_a_scanned_file_name_is_escaped(live: Live) -> None:
    fp = "fp-0-000"
    _, _, api = live.get(f"/api/finding?system=he-thong-00&fp={fp}")
    finding = json.loads(api)
    assert MARKUP in finding["uri"] and MARKUP in finding["title"]  # stored as scanned
    _, _, body = live.get(f"/finding?system=he-thong-00&fp={fp}")
    assert "<img" not in body
    assert "&lt;img src=x onerror=&#34;document.title=&#39;pwned&#39;&#34;&gt;" in body


def test_only_get_and_head(live: Live) -> None:
    assert live.get("/", method="POST")[0] == 405
    assert live.get("/api/overview", method="DELETE")[0] == 405
    assert live.get("/healthz", method="HEAD")[0] == 200


def test_vietnamese_by_default_english_on_request(live: Live) -> None:
    _, _, vi = live.get("/")
    _, _, en = live.get("/?lang=en")
    assert '<html lang="vi">' in vi and "Tổng quan" in vi and "Overview" not in vi
    assert '<html lang="en">' in en and "Overview" in en and "Tổng quan" not in en
    # the Vietnamese framework comes first, with its Vietnamese title and citation order
    assert vi.index("Luật 91/2025/QH15") < vi.index("ISO/IEC 27001")
    assert "Điều 4 Nghị định 356/2025/NĐ-CP" in vi


def test_numbers_and_times_in_vietnamese_formats(live: Live) -> None:
    system = json.loads(live.get("/api/system?name=he-thong-01")[2])
    newest = system["runs"][0]
    started = dt.datetime.fromisoformat(newest["started_at"].replace("Z", "+00:00"))
    local = started.astimezone(zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh"))
    assert local.utcoffset() == dt.timedelta(hours=7)
    _, _, vi = live.get("/system?name=he-thong-01")
    _, _, en = live.get("/system?name=he-thong-01&lang=en")
    assert local.strftime("%d/%m/%Y %H:%M") in vi
    assert local.strftime("%Y-%m-%d %H:%M") in en
    subjects = max((r["subjects"] or 0) for r in system["runs"])
    assert subjects >= 1000
    assert f"{subjects:,}".replace(",", ".") in vi and f"{subjects:,}" in en


def _grid_systems(body: str) -> list[str]:
    return re.findall(r'data-system="([^"]+)"', body)


def test_filters_change_what_is_shown(live: Live) -> None:
    _, _, everything = live.get("/")
    assert sorted(_grid_systems(everything)) == [f"he-thong-{i:02d}" for i in range(SYSTEMS)]
    owner = json.loads(live.get("/api/system?name=he-thong-01")[2])["system"]["owner"]
    _, _, by_owner = live.get("/?" + urlencode({"owner": owner}))
    assert _grid_systems(by_owner) == ["he-thong-01"]
    _, _, one = live.get("/?system=he-thong-02")
    assert _grid_systems(one) == ["he-thong-02"]
    api_all = json.loads(live.get("/api/overview")[2])
    api_crit = json.loads(live.get("/api/overview?severity=critical")[2])
    assert {r["severity"] for r in api_crit["top_rules"]} <= {"critical"}
    assert len({r["severity"] for r in api_all["top_rules"]}) > 1
    assert set(api_crit["series"][-1]["open"]) == {"critical"}
    api_iso = json.loads(live.get("/api/overview?framework=iso27001-2022")[2])
    assert [f["id"] for f in api_iso["frameworks"]] == ["iso27001-2022"]
    assert [f["id"] for f in api_all["frameworks"]] == ["vn-pdpl-2025", "iso27001-2022"]
    week = json.loads(live.get("/api/system?name=he-thong-00&period=7")[2])
    every = json.loads(live.get("/api/system?name=he-thong-00&period=0")[2])
    assert len(every["runs"]) == RUNS and 7 <= len(week["runs"]) <= 8


def test_overview_series_carries_systems_forward(live: Live) -> None:
    """The open-findings total of the newest day equals the sum over each system's
    newest run (no system dropped, none counted twice)."""
    api = json.loads(live.get("/api/overview?period=0")[2])
    last = api["series"][-1]["open"]
    grid = [s for g in api["grid"] for s in g["systems"]]
    for sev in ("critical", "high", "medium", "low", "info"):
        assert last[sev] == sum(s["open"][sev] for s in grid)
    short = json.loads(live.get("/api/overview?period=3")[2])
    assert short["series"][0]["open"] == api["series"][-4]["open"]


def test_requirement_page_says_since_when(live: Live) -> None:
    api = json.loads(live.get(
        "/api/requirement?framework=vn-pdpl-2025&id=D356-Art4-sensitive")[2])
    assert api["requirement"]["provision_vi"] == "Điều 4 Nghị định 356/2025/NĐ-CP"
    for row in api["systems"]:
        timeline = json.loads(live.get(f"/api/system?name={row['system']}&period=0")[2])
        req = next(r for r in timeline["requirements"]
                   if r["requirement"] == "D356-Art4-sensitive")
        assert req["status"] == row["status"]
        if row["status"] == "fail":
            assert req["since"] == row["failing_since"]
    assert live.get("/requirement?framework=x&id=y")[0] == 404


def test_finding_page_timeline_and_suppression(live: Live) -> None:
    # fp-N-004, -014, -024 are suppressed whenever present (seed: i % 10 == 4)
    found = [json.loads(api) for s in range(SYSTEMS) for i in (4, 14, 24)
             for status, _, api in [live.get(f"/api/finding?system=he-thong-{s:02d}"
                                             f"&fp=fp-{s}-{i:03d}")] if status == 200]
    assert found, "the seed has suppressed findings"
    finding = found[0]
    assert finding["suppressed"] and finding["suppression_expires"] == "2027-03-31"
    assert finding["timeline"] and finding["evidence"]["value"] == "••••(12)"
    _, _, body = live.get(f"/finding?system={finding['system']}&fp={finding['fingerprint']}")
    assert "31/03/2027" in body and "chấp nhận rủi ro tạm thời" in body


def test_downloads_serve_listed_files_only(live: Live) -> None:
    system = json.loads(live.get("/api/system?name=he-thong-00")[2])
    newest = system["runs"][0]
    assert newest["files"] == ["report.html", "report.json"]
    status, headers, body = live.get(f"/download?run={newest['id']}&file=report.json")
    assert status == 200 and "attachment" in headers["content-disposition"]
    assert json.loads(body) == {"masked": "••••(12)"}
    for name in ("../history.sqlite", "/etc/passwd", "report.md", "."):
        assert live.get(f"/download?run={newest['id']}&file={quote(name)}")[0] == 404
    older = system["runs"][1]
    assert older["files"] == []
    assert live.get(f"/download?run={older['id']}&file=report.json")[0] == 404


def test_unknown_things_are_404(live: Live) -> None:
    assert live.get("/system?name=nope")[0] == 404
    assert live.get("/api/system?name=nope")[0] == 404
    assert live.get("/api/finding?system=he-thong-00&fp=nope")[0] == 404


# ---- authentication ----------------------------------------------------------------

TOKEN = "t0ken-" + "x" * 20


@pytest.fixture(scope="module")
def guarded(seeded_store: Store) -> Live:
    users = {"lan": hash_password("mat-khau-rat-dai", b"0123456789abcdef")}
    yield from serve(seeded_store, Auth(token=TOKEN, users=users))


def _basic(user: str, password: str) -> dict[str, str]:
    raw = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


@pytest.mark.parametrize(("headers", "expected"), [
    ({}, 401),
    ({"Authorization": "Bearer wrong-token-of-some-length"}, 401),
    ({"Authorization": f"Bearer {TOKEN}"}, 200),
    (_basic("anyone", TOKEN), 200),
    (_basic("lan", "mat-khau-rat-dai"), 200),
    (_basic("lan", "mat-khau-sai"), 401),
    (_basic("minh", "mat-khau-rat-dai"), 401),
    ({"Authorization": "Basic !!!"}, 401),
])
def test_token_and_users(guarded: Live, headers: dict[str, str], expected: int) -> None:
    for path in ("/", "/api/overview", "/static/dashboard.js"):
        status, response_headers, _ = guarded.get(path, headers)
        assert status == expected, path
        if expected == 401:
            assert response_headers["www-authenticate"].startswith("Basic")
    assert guarded.get("/healthz")[0] == 200  # health checks need no credentials


def test_password_hashes() -> None:
    stored = hash_password("mot-mat-khau-dai", secrets.token_bytes(16))
    assert stored.startswith("scrypt$16384$8$1$") and "mot-mat-khau" not in stored
    assert verify_password("mot-mat-khau-dai", stored)
    assert not verify_password("mot-mat-khau-dai!", stored)
    assert not verify_password("x", "bcrypt$1$2$3$4$5")


@pytest.mark.parametrize(("host", "loopback"), [
    ("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True),
    ("localhost", True), ("0.0.0.0", False), ("::", False), ("192.168.1.10", False),
    ("dashboard.example", False)])
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert _is_loopback(host) is loopback


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::"])
def test_non_loopback_without_authentication_is_refused(
        host: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUDITOR_DASHBOARD_TOKEN", raising=False)
    code = main(["serve", "--store", f"sqlite:///{tmp_path / 's.sqlite'}", "--host", host])
    assert code == 2
    err = capsys.readouterr().err
    assert f"non-loopback address {host} without authentication" in err
    assert not (tmp_path / "s.sqlite").exists()  # refused before anything was opened


def test_bad_auth_configuration_is_a_clear_error(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUDITOR_DASHBOARD_TOKEN", "short")
    assert main(["serve", "--host", "0.0.0.0"]) == 2
    assert "at least 16 characters" in capsys.readouterr().err
    monkeypatch.delenv("AUDITOR_DASHBOARD_TOKEN")
    users = tmp_path / "users"
    users.write_text("# admins\nlan:plaintext-password\n", encoding="utf-8")
    assert main(["serve", "--host", "0.0.0.0", "--users", str(users)]) == 2
    assert f"{users}:2: expected 'name:scrypt$" in capsys.readouterr().err


# ---- a real scan with a canary, and PostgreSQL ----------------------------------------

def test_no_canary_on_any_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.history.test_run_command import CANARY, write_config
    store_url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    cfg = write_config(tmp_path, store_url)
    assert main(["run", "--config", str(cfg), "--as-of", "2026-11-25", "-j", "1"]) == 1
    assert CANARY in (tmp_path / "hr" / "app.yaml").read_text()
    with Store.open(store_url) as store:
        for live in serve(store):
            seen: list[str] = []
            system = json.loads(live.get("/api/system?name=hr-portal")[2])
            paths = ["/", "/?lang=en", "/api/overview", "/system?name=hr-portal",
                     "/api/system?name=hr-portal", "/system?name=public-web"]
            for f in system["open_findings"]:
                paths += [f"/finding?system=hr-portal&fp={f['fingerprint']}",
                          f"/api/finding?system=hr-portal&fp={f['fingerprint']}"]
            for r in system["requirements"]:
                paths.append("/requirement?" + urlencode(
                    {"framework": r["framework"], "id": r["requirement"]}))
            files = system["runs"][0]["files"]
            assert any(name.endswith(".json") for name in files)
            paths += [f"/download?run={system['runs'][0]['id']}&file={quote(n)}"
                      for n in files]
            for path in paths:
                status, _, body = live.get(path)
                assert status == 200, path
                seen.append(body)
            text = "\n".join(seen)
            assert "core.secret.password-assignment" in text  # the finding is shown
            assert CANARY not in text


def test_postgresql_store_shows_the_same_as_sqlite(tmp_path: Path) -> None:
    from tests.history.conftest import _pg_connect
    admin = _pg_connect()
    name = "auditor_dashboard_" + secrets.token_hex(4)
    admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[attr-defined]
    try:
        pg_url = f"postgresql://postgres@127.0.0.1:5432/{name}"
        answers = []
        for url in (f"sqlite:///{tmp_path / 'h.sqlite'}", pg_url):
            with Store.open(url) as store:
                seed(store, 3, 8)
                for live in serve(store):
                    answers.append([json.loads(live.get(p)[2]) for p in (
                        "/api/overview?period=0", "/api/system?name=he-thong-00&period=0",
                        "/api/requirement?framework=vn-pdpl-2025&id=D356-Art4-sensitive",
                        "/api/finding?system=he-thong-00&fp=fp-0-000")])
                    assert live.get("/")[0] == 200
        sqlite_answer, pg_answer = answers
        for a, b in zip(sqlite_answer, pg_answer, strict=True):
            assert _without_ids(a) == _without_ids(b)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[attr-defined]
        admin.close()  # type: ignore[attr-defined]


def _without_ids(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k not in ("id", "run")}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value
