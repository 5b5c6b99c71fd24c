"""Words and formats of the dashboard: Vietnamese by default, English on request.

Numbers in Vietnamese use ``.`` between thousands and ``,`` before decimals; dates are
``dd/mm/yyyy`` and every time is shown in Asia/Ho_Chi_Minh (UTC+7).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from auditor.dashboard.data import TZ

__all__ = ["LANGS", "Translator"]

LANGS = ("vi", "en")

_WORDS: dict[str, tuple[str, str]] = {
    "title": ("Bảng điều khiển tuân thủ", "Compliance dashboard"),
    "overview": ("Tổng quan", "Overview"),
    "system": ("Hệ thống", "System"),
    "systems": ("Hệ thống", "Systems"),
    "owner": ("Đơn vị chủ quản", "Owner"),
    "framework": ("Khung pháp lý", "Framework"),
    "frameworks": ("Mức tuân thủ theo khung pháp lý", "Compliance per framework"),
    "severity": ("Mức độ", "Severity"),
    "period": ("Thời gian", "Period"),
    "all": ("Tất cả", "All"),
    "days": ("ngày", "days"),
    "apply": ("Lọc", "Apply"),
    "compliance": ("Tuân thủ", "Compliance"),
    "pass": ("Đạt", "Pass"),
    "fail": ("Không đạt", "Fail"),
    "not_assessed": ("Chưa đánh giá", "Not assessed"),
    "manual": ("Cần xem xét thủ công", "Manual review"),
    "grid": ("Tình trạng hệ thống theo đơn vị", "Systems by owner"),
    "open_over_time": ("Phát hiện còn mở theo mức độ", "Open findings by severity"),
    "new_fixed": ("Phát hiện mới và đã khắc phục", "New and fixed findings"),
    "subjects_over_time": ("Số chủ thể dữ liệu bị lộ", "Data subjects exposed"),
    "top_requirements": ("Yêu cầu không đạt nhiều nhất", "Top failing requirements"),
    "top_rules": ("Quy tắc vi phạm nhiều nhất", "Top failing rules"),
    "oldest_critical": ("Phát hiện nghiêm trọng mở lâu nhất", "Oldest open critical findings"),
    "table_view": ("Xem dạng bảng", "Table view"),
    "day": ("Ngày", "Day"),
    "new": ("Mới", "New"),
    "fixed": ("Đã khắc phục", "Fixed"),
    "subjects": ("Chủ thể dữ liệu", "Data subjects"),
    "requirement": ("Yêu cầu", "Requirement"),
    "rule": ("Quy tắc", "Rule"),
    "findings": ("Phát hiện", "Findings"),
    "finding": ("Phát hiện", "Finding"),
    "first_seen": ("Phát hiện lần đầu", "First seen"),
    "last_seen": ("Lần cuối thấy", "Last seen"),
    "location": ("Vị trí", "Location"),
    "runs": ("Các lần quét", "Runs"),
    "run": ("Lần quét", "Run"),
    "started": ("Bắt đầu", "Started"),
    "duration": ("Thời lượng (giây)", "Duration (s)"),
    "exit_code": ("Mã thoát", "Exit code"),
    "downloads": ("Tải về", "Downloads"),
    "trend": ("Xu hướng", "Trend"),
    "open_findings": ("Phát hiện còn mở", "Open findings"),
    "requirements_over_time": ("Trạng thái yêu cầu theo thời gian",
                               "Requirement statuses over time"),
    "req_counts": ("Số yêu cầu đạt / không đạt", "Requirements passed / failed"),
    "status": ("Trạng thái", "Status"),
    "since": ("Từ", "Since"),
    "failing_since": ("Không đạt từ", "Failing since"),
    "failed_runs": ("Số lần không đạt", "Failed runs"),
    "provision": ("Căn cứ", "Provision"),
    "timeline": ("Diễn biến qua các lần quét", "Timeline across runs"),
    "evidence": ("Bằng chứng (đã che)", "Evidence (masked)"),
    "remediation": ("Khắc phục", "Remediation"),
    "suppression": ("Chấp nhận rủi ro", "Suppression"),
    "expires": ("Hết hạn", "Expires"),
    "reason": ("Lý do", "Reason"),
    "approved_by": ("Người phê duyệt", "Approved by"),
    "none": ("Không có", "None"),
    "message": ("Mô tả", "Message"),
    "level": ("Cấp độ", "Level"),
    "last_run": ("Lần quét gần nhất", "Last run"),
    "failed_requirements": ("Yêu cầu không đạt", "Failed requirements"),
    "state": ("Trạng thái", "State"),
    "critical": ("Nghiêm trọng", "Critical"),
    "high": ("Cao", "High"),
    "medium": ("Trung bình", "Medium"),
    "low": ("Thấp", "Low"),
    "info": ("Thông tin", "Info"),
    "open": ("Còn mở", "Open"),
    "reopened": ("Mở lại", "Reopened"),
    "unassessed": ("Không đánh giá được", "Unassessed"),
    "red": ("Đỏ: có lỗi nghiêm trọng/cao hoặc yêu cầu không đạt",
            "Red: critical/high findings or failed requirements"),
    "amber": ("Vàng: còn phát hiện mức trung bình/thấp hoặc quét chưa trọn",
              "Amber: medium/low findings or an incomplete scan"),
    "green": ("Xanh: không có phát hiện còn mở", "Green: no open findings"),
    "generated": ("Bản chụp tạo lúc", "Snapshot taken at"),
    "language": ("English", "Tiếng Việt"),
    "no_data": ("Chưa có dữ liệu", "No data"),
    "time_note": ("Giờ Việt Nam (UTC+7)", "Times in Asia/Ho_Chi_Minh (UTC+7)"),
    "systems_failing": ("Số hệ thống không đạt", "Systems failing"),
    "count": ("Số lượng", "Count"),
    "suppressed": ("Đã chấp nhận", "Suppressed"),
    "time_to_fix": ("Thời gian khắc phục (ngày, trung vị)", "Time to fix (days, median)"),
}


class Translator:
    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else "vi"
        self._i = 0 if self.lang == "vi" else 1

    def __call__(self, key: str) -> str:
        pair = _WORDS.get(key)
        return pair[self._i] if pair else key

    def num(self, value: Any, digits: int = 0) -> str:
        if value is None:
            return "–"
        text = f"{float(value):,.{digits}f}" if digits else f"{int(value):,}"
        if self.lang == "vi":
            text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
        return text

    def pct(self, value: float | None) -> str:
        return "–" if value is None else self.num(value, 1) + "%"

    def when(self, iso: str | None, *, date_only: bool = False) -> str:
        """An ISO UTC time (``...Z``) or date, in Asia/Ho_Chi_Minh."""
        if not iso:
            return "–"
        if len(iso) == 10:
            d = dt.date.fromisoformat(iso)
            return d.strftime("%d/%m/%Y") if self.lang == "vi" else d.isoformat()
        value = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        local = value.astimezone(TZ)
        if self.lang == "vi":
            return local.strftime("%d/%m/%Y" if date_only else "%d/%m/%Y %H:%M")
        return local.strftime("%Y-%m-%d" if date_only else "%Y-%m-%d %H:%M")
