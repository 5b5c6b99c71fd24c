"""HTML report: self-contained (nothing loaded from anywhere), escaped, every user-facing
text translated, the content an inspector needs present."""

from __future__ import annotations

import html
import io
import re

import pytest
import yaml
from auditor.reports.html import HtmlReporter
from auditor.reports.messages import LANGUAGES, i18n_dir, load_messages

from auditor.results import ScanResult
from tests.reports.sample import HOSTILE, sample_result


def render(result: ScanResult) -> str:
    """As the CLI renders: with the installed packs' texts in the result's language."""
    from auditor.pipeline.output import render_options
    from auditor.policy.loading import load_packs

    buf = io.StringIO()
    HtmlReporter().render(result, buf, render_options(load_packs([]), result.lang))
    return buf.getvalue()


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def test_translation_files_have_the_same_keys() -> None:
    keys = {lang: set(yaml.safe_load((i18n_dir() / f"{lang}.yaml").read_text("utf-8")))
            for lang in LANGUAGES}
    assert keys["en"] == keys["vi"]
    placeholders = {
        lang: {k: sorted(re.findall(r"{(\w+)}", load_messages(lang)[k])) for k in keys[lang]}
        for lang in LANGUAGES}
    assert placeholders["en"] == placeholders["vi"]


def test_template_uses_only_known_keys() -> None:
    template = (i18n_dir().parent / "templates" / "report.html.j2").read_text("utf-8")
    used = set(re.findall(r"(?<!\w)t\('(\w+)'\s*[,)]", template))
    assert used <= set(load_messages("en"))
    assert len(used) > 40


@pytest.mark.parametrize("lang", LANGUAGES)
def test_self_contained_no_external_resources(lang: str) -> None:
    page = render(sample_result(lang))
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page)
    assert not re.search(r"\bsrc\s*=", page)
    assert "@import" not in page and "url(" not in page
    assert "default-src 'none'" in page
    # the only URLs are the SVG namespace and reference texts, never fetched
    urls = set(re.findall(r"https?://[^\s\"'<]+", page))
    assert urls <= {"http://www.w3.org/2000/svg",
                    "https://cwe.mitre.org/data/definitions/312.html"}


def test_script_is_allowed_by_its_hash_only() -> None:
    import base64
    import hashlib
    page = render(sample_result())
    script = re.search(r"<script>(.*?)</script>", page, re.S)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in page
    assert page.count("<script") == 1


def test_scan_values_are_escaped() -> None:
    page = render(sample_result())
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;quotes&#34;" in page


def test_vietnamese_report_has_no_english_interface_text() -> None:
    en, vi = load_messages("en"), load_messages("vi")
    text = visible_text(render(sample_result("vi")))
    leaked = [en[k] for k in en if en[k] != vi[k] and "{" not in en[k] and len(en[k]) > 3
              and re.search(rf"(?<!\w){re.escape(en[k])}(?!\w)", text)]
    assert leaked == []
    for phrase in ("Tóm tắt dành cho lãnh đạo", "Không đạt", "Kiểm tra thủ công",
                   "Chưa đánh giá", "Dữ liệu cá nhân được bảo vệ", "Xem xét quy trình xử lý sự cố.",
                   "Nghiêm trọng", "Có hiệu lực từ 01/01/2026",
                   "Đánh giá tại ngày: 25/11/2026",
                   "Đã miễn trừ: rotated, test account (phê duyệt bởi Tran Thi B, hết hạn "
                   "31/01/2027)", "hết hạn ngày 31/01/2026"):
        assert phrase in text
    assert 'lang="vi"' in render(sample_result("vi"))
    assert "Chưa xác nhận số điều." in text and "Article number unconfirmed." not in text


def test_english_report_content() -> None:
    text = visible_text(render(sample_result("en")))
    for phrase in ("Executive summary", "Law 91/2025/QH15, Art. 23",
                   "Review the incident procedure.",
                   "0012••••••45", "public.citizens.cccd", "10.0.0.5:51000->10.0.0.9:443 #7",
                   "Suppressed: rotated, test account (approved by Tran Thi B, expires 2027-01-31)",
                   "Known before (baseline): present in baseline run r0",
                   "broken.pcap: truncated packet record at byte 4096",
                   "sup.yaml:3: expired on 2026-01-31 (core.config.*); 2 finding(s) no longer "
                   "suppressed",
                   "Automated coverage: 3 of 5 requirements assessed (60%)",
                   "suppressions.yaml: 1 finding(s) suppressed",
                   "previous.json (run r0): 1 finding(s) known before"):
        assert phrase in text, phrase


def test_subjects_per_requirement_and_total() -> None:
    page = render(sample_result())
    row = re.search(r'<tr class="requirement status-fail" data-status="fail" '
                    r'data-outcome="fail">\s*'
                    r'<td class="mono">L91-protection-measures</td>(.*?)</tr>', page, re.S)
    assert row is not None
    cells = [re.sub(r"<[^>]+>", "", c)
             for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]
    assert cells[3:5] == ["2", "1234"]  # findings, data subjects (largest affected set)
    assert re.search(r'<span class="num">1234</span><span class="label">Data subjects', page)


def test_severity_counts_exclude_suppressed() -> None:
    page = render(sample_result())
    counts = dict(re.findall(r'data-severity="(\w+)">.*?class="severity-count">(\d+)<',
                             page, re.S))
    assert counts == {"critical": "0", "high": "2", "medium": "1", "low": "0", "info": "0"}


def test_deterministic_and_explains_matches() -> None:
    page = render(sample_result())
    assert page == render(sample_result())
    assert "rule core.pii.cleartext-column matched observation kind pii.column" in page
    assert "Lý do khớp quy tắc" in render(sample_result("vi"))


def test_empty_result_renders() -> None:
    import dataclasses
    empty = dataclasses.replace(sample_result(), findings=(), compliance=(), frameworks=(),
                                extra={}, targets=())
    text = visible_text(render(empty))
    assert "No findings." in text and "No framework was assessed in this run." in text
    assert "The automated checks found no unsuppressed finding. This is not a statement of " \
        "conformity" in text
    assert "CI gate (--fail-on low): exit code 0." in text


@pytest.mark.parametrize(("text", "lang", "shown"), [
    ("2026-11-25", "vi", "25/11/2026"), ("2026-11-25", "en", "2026-11-25"),
    ("2026-11-25T08:00:00+00:00", "vi", "25/11/2026"), ("soon", "vi", "soon"),
    (None, "vi", ""),
])
def test_display_date(text: str | None, lang: str, shown: str) -> None:
    from auditor.reports.html import display_date
    assert display_date(text, lang) == shown


def test_builtin_rule_titles_translated_and_none_stale() -> None:
    from auditor.reports.messages import rule_texts

    from auditor.pipeline.output import render_options
    from auditor.policy.loading import load_packs

    packs = load_packs([])
    rules = {r.id: r for p in packs for r in p.rules}
    texts = rule_texts(render_options(packs, "vi"))
    missing = sorted(set(rules) - set(texts))
    assert missing == [], f"add Vietnamese texts to rules/core/i18n/rules.vi.yaml: {missing}"
    assert all(t.title and t.remediation for t in texts.values())
    assert all(texts[i].title != r.title for i, r in rules.items())
    assert rule_texts(render_options(packs, "en")) == {}


def test_vietnamese_rule_title_in_report() -> None:
    import dataclasses
    result = sample_result("vi")
    findings = tuple(dataclasses.replace(f, rule_id="core.db.pii-cleartext")
                     if f.rule_id == "core.pii.cleartext-column" else f for f in result.findings)
    text = visible_text(render(dataclasses.replace(result, findings=findings)))
    flat = " ".join(text.split())
    assert "Dữ liệu cá nhân lưu ở dạng rõ core.db.pii-cleartext" in flat
    assert "Biện pháp khắc phục: Mã hóa hoặc giả danh hóa các mã định danh" in flat
