"""A labelled column corpus for the database and SQL dump scanners (issue 14).

Tables of a Vietnamese public-service / commerce estate, generated deterministically
(seeded per table): customers, citizens, employees, patients, fingerprints, orders, bank
accounts, location traces, spreadsheet imports with meaningless column names (``c1``,
``field_7``, ``Column3``, ``data``, ``extra``), integrations storing credentials, and decoys:
administrative units, clinics and schools, products, reference lists, ids, amounts, dates
that are not birth dates, statuses. Every column carries its **labels** — the PII types and
sensitive categories (DESIGN.md names) a correct scanner reports for it, ``CREDENTIAL``
for a credential store, or nothing for a decoy — and optionally **forbidden** labels
(blood group is not HEALTH, a portrait is not BIOMETRIC, a BHYT number is not HEALTH).

Tables are split into a ``tuning`` and a ``held-out`` half; the held-out tables were
written before the scanners were run on them and have their own names and shapes.

``load_postgres(conn)``, ``load_mysql(conn)``, ``write_dump(path, dialect)`` put the same
tables into a real server or a dump; :func:`score` turns a scan into per-label recall and
the list of decoys flagged. ``python -m tests.scanners.column_corpus`` scans every backend
available and prints the per-category table.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.pii.data.make_corpus import Gen, strip_accents

__all__ = ["FRESH", "HELD_OUT", "TABLES", "TUNING", "Col", "Score", "Table", "load_mysql",
           "load_postgres", "score", "write_dump"]

TODAY = dt.date(2026, 1, 1)
ROWS = 25
CATEGORIES = ("HEALTH", "BIOMETRIC", "GENETIC", "RELIGION", "ETHNICITY", "POLITICAL_OPINION",
              "SEXUAL_ORIENTATION", "CRIMINAL_RECORD", "FINANCIAL_ACCOUNT", "LOCATION_TRACE")

Value = Any
Maker = Callable[["Values", int], Value]


@dataclass(frozen=True)
class Col:
    """One column: name, generic type, value maker, expected labels."""

    name: str
    kind: str  # text | int | float | date | timestamp | bytes | json
    make: Maker
    labels: frozenset[str] = frozenset()
    forbidden: frozenset[str] = frozenset()
    #: a column that is personal without any reportable type (gender, blood group): it
    #: is neither a positive nor a decoy, only its forbidden labels are checked
    neutral: bool = False
    #: the schema's comment on the column (COMMENT ON COLUMN / COMMENT '...')
    comment: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    half: str  # tuning | held-out
    columns: tuple[Col, ...]

    def rows(self) -> list[list[Value]]:
        values = Values(zlib.crc32(self.name.encode()))
        out = []
        for i in range(ROWS):
            values.row = {}
            out.append([c.make(values, i) for c in self.columns])
        return out


def C(name: str, kind: str, make: Maker, *labels: str, forbidden: Iterable[str] = (),  # noqa: N802
      neutral: bool = False, comment: str = "") -> Col:
    return Col(name, kind, make, frozenset(labels), frozenset(forbidden), neutral, comment)


# ---- values ------------------------------------------------------------------------------
_ETHNIC = ["Kinh"] * 17 + ["Tày", "Thái", "Mường", "Khmer", "Hoa", "Nùng", "H'Mông", "Dao",
                           "Ê Đê", "Chăm", "Gia Rai"]
_RELIGION = ["Không"] * 6 + ["Phật giáo", "Phật giáo", "Công giáo", "Tin Lành", "Cao Đài",
                             "Hòa Hảo"]
_DIAG = ["Viêm phổi cấp", "Tăng huyết áp độ 2", "Đái tháo đường type 2", "Viêm dạ dày",
         "Sốt xuất huyết Dengue", "Gãy xương cẳng tay trái", "Hen suyễn", "Rối loạn lo âu",
         "Suy thận mạn giai đoạn 3", "Viêm gan B mạn"]
_ICD = ["J18.9", "I10", "E11.9", "K29.7", "A97.0", "S52.5", "J45.9", "F41.1", "N18.3",
        "B18.1"]
_LAB = ["Glucose máu 7.8 mmol/L - tăng, nghi đái tháo đường", "HbA1c 8.1% - đái tháo đường",
        "Xét nghiệm HIV âm tính", "Công thức máu bình thường, theo dõi viêm",
        "Men gan tăng, viêm gan B", "X-quang: viêm phổi thùy dưới phải"]
_CRIME = ["Không có án tích", "Chưa có án tích", "Có án tích: án treo 2 năm (2015)",
          "Không có án tích", "Đã xóa án tích", "Không có án tích"]
_ORIENT = ["Dị tính"] * 6 + ["Đồng tính", "Song tính", "Không tiết lộ"]
_BLOOD = ["A+", "B+", "O+", "AB+", "O-", "A-"]
_ORG_CLINICS = ["Phòng khám Đa khoa {}", "Phòng khám Nhi {}", "Bệnh viện Quận {}",
                "Trạm Y tế Phường {}", "Phòng khám Răng Hàm Mặt {}"]
_SCHOOLS = ["Trường THPT {}", "Trường THCS {}", "Trường Tiểu học {}", "Trường Mầm non {}"]
_WARDS = ["Bến Nghé", "Bến Thành", "Tân Định", "Đa Kao", "Hàng Bài", "Tràng Tiền",
          "Láng Thượng", "Dịch Vọng", "Hải Châu", "Ninh Kiều", "Phú Nhuận", "Nghĩa Đô"]
_STREETS = ["Lê Lợi", "Nguyễn Huệ", "Trần Hưng Đạo", "Lý Thường Kiệt", "Hai Bà Trưng",
            "Phan Chu Trinh", "Nguyễn Trãi", "Láng Hạ", "Hoàng Diệu", "Pasteur"]
_PROVINCES = ["Hà Nội", "TP Hồ Chí Minh", "Đà Nẵng", "Hải Phòng", "Cần Thơ", "Nghệ An",
              "Lâm Đồng", "Khánh Hòa", "Quảng Ninh", "Bình Dương"]
_PRODUCTS = ["Sữa tươi Vinamilk 1L", "Gạo ST25 5kg", "Nước mắm Phú Quốc", "Cà phê G7",
             "Bánh quy Cosy", "Dầu ăn Neptune 1L", "Mì Hảo Hảo", "Trà Lipton"]
_DEPTS = ["Phòng Kế toán", "Phòng Nhân sự", "Phòng Kinh doanh", "Phòng IT", "Ban Giám đốc"]
_STATUS = ["active", "pending", "closed", "suspended"]
_VN_STATUS = ["Đã giao", "Đang giao", "Chờ xác nhận", "Đã hủy"]


class Values(Gen):
    """Value makers for one table (seeded), with per-row shared draws (``row``)."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.row: dict[str, Any] = {}

    def shared(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self.row:
            self.row[key] = make()
        return self.row[key]

    def person(self, accents: bool = True) -> str:
        return self.shared(f"person{accents}", lambda: self.name(accents=accents))

    def ph(self) -> str:
        return self.phone()[0]

    def date_between(self, start: int, end: int) -> dt.date:
        first = dt.date(start, 1, 1).toordinal()
        last = dt.date(end, 12, 31).toordinal()
        return dt.date.fromordinal(self.r.randint(first, min(last, TODAY.toordinal() - 1)))

    def birth(self) -> dt.date:
        return self.date_between(1945, 2006)

    def ts(self) -> dt.datetime:
        day = self.date_between(2023, 2025)
        return dt.datetime(day.year, day.month, day.day, self.r.randint(0, 23),
                           self.r.randint(0, 59), self.r.randint(1, 59))

    def street_address(self, accents: bool = True) -> str:
        text = (f"{self.r.randint(1, 300)} {self.r.choice(_STREETS)}, phường "
                f"{self.r.choice(_WARDS)}, {self.r.choice(_PROVINCES)}")
        return text if accents else strip_accents(text)

    def cmnd(self) -> str:
        return f"{self.r.randint(1, 38):02d}" + self.digits(7)

    def org(self, forms: Sequence[str]) -> str:
        return self.r.choice(forms).format(self.r.choice(_STREETS))

    def jpeg(self) -> bytes:
        return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(self.r.getrandbits(8)
                                                            for _ in range(200))

    def iso_finger(self) -> bytes:
        return b"FMR\x00 20\x00" + bytes(self.r.getrandbits(8) for _ in range(300))

    def conn(self) -> str:
        pw = "Pw" + self.digits(4) + self.r.choice("!@#$") + "kT" + self.digits(3)
        return self.r.choice([
            f"postgresql://app_user:{pw}@db{self.r.randint(1, 9)}.internal:5432/crm",
            f"mysql://report:{pw}@10.0.{self.r.randint(1, 9)}.{self.r.randint(2, 250)}:3306/bi",
            f"Server=sql{self.r.randint(1, 9)};Database=erp;User Id=sa;Password={pw};",
            f"redis://:{pw}@cache.internal:6379/0",
        ])

    def token(self) -> str:
        alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        body = "".join(self.r.choice(alnum) for _ in range(36))
        return self.r.choice([f"ghp_{body}", f"sk_live_{body[:28]}", f"xoxb-{self.digits(11)}-"
                              f"{self.digits(12)}-{body[:24]}", f"glpat-{body[:20]}"])

    def tx9(self) -> str:
        return str(self.r.randint(100_000_000, 999_999_999))

    def lat(self) -> float:
        return round(10.70 + self.r.random() * 0.15, 6)

    def lng(self) -> float:
        return round(106.60 + self.r.random() * 0.15, 6)


def _unique(forms: Sequence[str], i: int) -> str:
    """The i-th organisation of a list (each row a different one, as in a real list)."""
    return forms[i % len(forms)].format(_STREETS[(i // len(forms)) % len(_STREETS)])


def _dotted(phone: str) -> str:
    return f"{phone[:4]}.{phone[4:7]}.{phone[7:]}"


def _pick(items: Sequence[Any]) -> Maker:
    return lambda v, i: v.r.choice(items)


# ---- the tables ---------------------------------------------------------------------------
def _id(name: str = "id") -> Col:
    return C(name, "int", lambda v, i: i + 1)


TUNING: tuple[Table, ...] = (
    Table("khach_hang", "tuning", (
        _id(),
        C("ho_ten", "text", lambda v, i: v.person(), "PERSON"),
        C("ngay_sinh", "date", lambda v, i: v.birth(), "DATE_OF_BIRTH"),
        C("so_dien_thoai", "text", lambda v, i: v.ph(), "VN_PHONE"),
        C("email", "text", lambda v, i: v.email(v.person()), "EMAIL_ADDRESS"),
        C("dia_chi", "text", lambda v, i: v.street_address(), "ADDRESS"),
        C("so_cccd", "text", lambda v, i: v.cccd(), "VN_CCCD"),
        C("gioi_tinh", "text", _pick(["Nam", "Nữ"]), neutral=True),
        C("diem_tich_luy", "int", lambda v, i: v.r.randint(0, 5000)),
        C("trang_thai", "text", _pick(_STATUS)),
        C("created_at", "timestamp", lambda v, i: v.ts()),
    )),
    Table("cong_dan", "tuning", (
        _id(),
        C("ho_va_ten", "text", lambda v, i: v.person(), "PERSON"),
        C("dan_toc", "text", _pick(_ETHNIC), "ETHNICITY"),
        C("ton_giao", "text", _pick(_RELIGION), "RELIGION"),
        C("que_quan", "text", lambda v, i: v.street_address(), "ADDRESS"),
        C("so_cmnd", "text", lambda v, i: v.cmnd(), "VN_CMND"),
        C("ho_chieu", "text", lambda v, i: v.passport(), "VN_PASSPORT"),
        C("nhom_mau", "text", _pick(_BLOOD), forbidden=["HEALTH"], neutral=True),
        C("anh_chan_dung", "bytes", lambda v, i: v.jpeg(), forbidden=["BIOMETRIC"],
          neutral=True),
        C("ngay_cap", "date", lambda v, i: v.date_between(2016, 2024)),
    )),
    Table("health_records", "tuning", (
        _id(),
        C("benh_nhan_id", "int", lambda v, i: v.r.randint(1, 9999)),
        C("facility_name", "text", lambda v, i: v.org(_ORG_CLINICS)),
        C("quality_score", "float", lambda v, i: round(v.r.random() * 100, 2)),
        C("device_id", "text", lambda v, i: f"DEV-{v.digits(6)}"),
        C("so_ho_so", "text", lambda v, i: f"HS-2024-{v.digits(6)}"),
        C("chan_doan", "text", _pick(_DIAG), "HEALTH"),
        C("icd10", "text", _pick(_ICD), "HEALTH"),
        C("ma_the_bhyt", "text", lambda v, i: v.bhyt(), "VN_HEALTH_INSURANCE",
          forbidden=["HEALTH"]),
        C("ngay_kham", "date", lambda v, i: v.date_between(2023, 2025)),
        C("bac_si_dieu_tri", "text", lambda v, i: v.name(), "PERSON"),
    )),
    Table("van_tay", "tuning", (
        _id(),
        C("cong_dan_id", "int", lambda v, i: v.r.randint(1, 9999)),
        C("mau_van_tay", "bytes", lambda v, i: v.iso_finger(), "BIOMETRIC"),
        C("quality_score", "int", lambda v, i: v.r.randint(40, 100)),
        C("device_serial", "text", lambda v, i: f"ZK{v.digits(10)}"),
        C("captured_at", "timestamp", lambda v, i: v.ts()),
        C("finger_index", "int", lambda v, i: v.r.randint(1, 10)),
    )),
    Table("import_2024", "tuning", (
        C("c1", "text", lambda v, i: v.person(accents=v.r.random() < 0.5), "PERSON"),
        C("c2", "text", lambda v, i: v.birth().strftime("%d/%m/%Y"), "DATE_OF_BIRTH"),
        C("c3", "text", lambda v, i: v.ph(), "VN_PHONE"),
        C("c4", "text", lambda v, i: v.cccd(), "VN_CCCD"),
        C("c5", "text", lambda v, i: v.date_between(2018, 2025).strftime("%d/%m/%Y")),
        C("c6", "text", lambda v, i: v.email(v.person()), "EMAIL_ADDRESS"),
        C("c7", "text", lambda v, i: str(v.r.randint(50, 9000) * 1000)),
        C("c8", "text", _pick(_VN_STATUS)),
        C("c9", "text", _pick(_ETHNIC), "ETHNICITY"),
        C("c10", "text", lambda v, i: v.street_address(), "ADDRESS"),
    )),
    Table("ket_noi", "tuning", (
        _id(),
        C("ten", "text", _pick(["CRM", "Kế toán", "Kho", "Báo cáo", "Zalo OA"])),
        C("connection_string", "text", lambda v, i: v.conn(), "CREDENTIAL"),
        C("api_token", "text", lambda v, i: v.token(), "CREDENTIAL"),
        C("base_url", "text", lambda v, i: f"https://api{v.r.randint(1, 9)}.example.vn/v2"),
        C("created_at", "timestamp", lambda v, i: v.ts()),
    )),
    Table("dm_tinh", "tuning", (
        C("ma_tinh", "text", lambda v, i: f"{i + 1:02d}"),
        C("ten_tinh", "text", lambda v, i: _PROVINCES[i % len(_PROVINCES)] + (
            f" {i // len(_PROVINCES)}" if i >= len(_PROVINCES) else "")),
        C("dan_toc_chinh", "text", lambda v, i: _ETHNIC[i % len(_ETHNIC)]),
    )),
    Table("phong_kham", "tuning", (
        _id(),
        C("ten", "text", lambda v, i: _unique(_ORG_CLINICS, i)),
        C("dia_chi", "text", lambda v, i: v.street_address()),
        C("so_dien_thoai", "text", lambda v, i: v.ph()),
        C("email", "text", lambda v, i: f"lienhe{i}@phongkham.vn"),
        C("vi_do", "float", lambda v, i: v.lat()),
        C("kinh_do", "float", lambda v, i: v.lng()),
        C("giam_doc", "text", lambda v, i: v.name(), "PERSON"),
        C("ghi_chu", "text", lambda v, i: f"Bác sĩ {v.name()} trực thứ {v.r.randint(2, 7)}",
          "PERSON"),
    )),
    Table("nhan_vien", "tuning", (
        _id("ma_nv"),
        C("ho_ten", "text", lambda v, i: v.person(), "PERSON"),
        C("ma_so_thue", "text", lambda v, i: v.tax(), "VN_TAX_CODE"),
        C("so_bhxh", "text", lambda v, i: v.bhxh(), "VN_SOCIAL_INSURANCE"),
        C("phong_ban", "text", _pick(_DEPTS)),
        C("ngay_vao_lam", "date", lambda v, i: v.date_between(2005, 2025)),
        C("dang_vien", "text", _pick(["Đảng viên", "Quần chúng", "Đảng viên"]),
          "POLITICAL_OPINION"),
        C("an_tich", "text", _pick(_CRIME), "CRIMINAL_RECORD"),
        C("so_tai_khoan", "text", lambda v, i: "0" + v.digits(12), "FINANCIAL_ACCOUNT"),
        # a phone stored as an integer loses its trunk 0: only the name tells
        C("dien_thoai_so", "int", lambda v, i: int(v.ph()), "VN_PHONE"),
        C("so_cccd_cu", "int", lambda v, i: int(v.cccd()), "VN_CCCD"),
    )),
    Table("lich_su_vi_tri", "tuning", (
        _id(),
        C("user_id", "int", lambda v, i: v.r.randint(1, 500)),
        C("latitude", "float", lambda v, i: v.lat(), "LOCATION_TRACE"),
        C("longitude", "float", lambda v, i: v.lng(), "LOCATION_TRACE"),
        C("recorded_at", "timestamp", lambda v, i: v.ts()),
        C("speed_kmh", "float", lambda v, i: round(v.r.random() * 60, 1)),
    )),
    Table("san_pham", "tuning", (
        _id(),
        C("ten", "text", _pick(_PRODUCTS)),
        C("sku", "text", lambda v, i: f"SP-{v.digits(5)}"),
        C("gia", "int", lambda v, i: v.r.randint(5, 500) * 1000),
        C("ma_vach", "text", lambda v, i: "893" + v.digits(10)),
        C("mo_ta", "text", lambda v, i: f"{v.r.choice(_PRODUCTS)} chính hãng, giao nhanh"),
        C("ngay_nhap", "date", lambda v, i: v.date_between(2024, 2025)),
    )),
    Table("don_hang", "tuning", (
        C("ma_don", "text", lambda v, i: f"DH{v.digits(10)}"),
        C("ten_nguoi_nhan", "text", lambda v, i: v.person(), "PERSON"),
        C("sdt_nguoi_nhan", "text", lambda v, i: v.phone()[1], "VN_PHONE"),
        C("dia_chi_giao", "text", lambda v, i: v.street_address(), "ADDRESS"),
        C("tong_tien", "int", lambda v, i: v.r.randint(50, 5000) * 1000),
        C("trang_thai", "text", _pick(_VN_STATUS)),
        C("ma_giao_dich", "text", lambda v, i: v.tx9()),
        C("phone_model", "text", _pick(["iPhone 15 Pro", "Samsung A54", "Oppo Reno 11"])),
    )),
    Table("access_log", "tuning", (
        _id(),
        C("ip_address", "text", lambda v, i: f"113.{v.r.randint(160, 190)}."
          f"{v.r.randint(0, 255)}.{v.r.randint(1, 254)}", "IP_ADDRESS"),
        C("user_agent", "text", _pick(["Mozilla/5.0 (Windows NT 10.0)", "okhttp/4.9.3"])),
        C("path", "text", _pick(["/api/v1/orders", "/login", "/healthz"])),
        C("status", "int", _pick([200, 200, 302, 404, 500])),
        C("created_at", "timestamp", lambda v, i: v.ts()),
    )),
    Table("phuong_tien", "tuning", (
        _id(),
        C("bien_so", "text", lambda v, i: v.plate(), "VN_LICENSE_PLATE"),
        C("chu_xe", "text", lambda v, i: v.name(), "PERSON"),
        C("so_khung", "text", lambda v, i: "RLH" + v.digits(14)),
        C("mau_xe", "text", _pick(["Đỏ", "Đen", "Trắng", "Xanh"])),
        C("email_template", "text", _pick(["TPL_WELCOME", "TPL_RENEW", "TPL_FINE"])),
    )),
    Table("users_app", "tuning", (
        _id(),
        C("username", "text", lambda v, i: f"user{v.digits(5)}"),
        C("display_name", "text", lambda v, i: v.person(), "PERSON"),
        C("phone_number", "text", lambda v, i: v.ph(), "VN_PHONE"),
        C("email", "text", lambda v, i: v.email(v.person()), "EMAIL_ADDRESS"),
        C("last_login_ip", "text", lambda v, i: f"14.{v.r.randint(160, 250)}."
          f"{v.r.randint(0, 255)}.{v.r.randint(1, 254)}", "IP_ADDRESS"),
        C("last_login_at", "timestamp", lambda v, i: v.ts()),
        C("avatar_url", "text", lambda v, i: f"https://cdn.example.vn/a/{v.digits(6)}.png"),
        C("locale", "text", _pick(["vi-VN", "en-US"])),
    )),
    Table("ho_gia_dinh", "tuning", (
        _id(),
        C("chu_ho", "text", lambda v, i: v.person(), "PERSON"),
        C("so_ho_khau", "text", lambda v, i: f"HK-{v.digits(7)}"),
        C("dia_chi_thuong_tru", "text", lambda v, i: v.street_address(), "ADDRESS"),
        C("so_thanh_vien", "int", lambda v, i: v.r.randint(1, 8)),
        C("ma_xa", "text", lambda v, i: f"{v.r.randint(10000, 32000)}"),
        C("ngay_dang_ky", "date", lambda v, i: v.date_between(2015, 2025)),
    )),
    Table("ticket", "tuning", (
        _id(),
        C("tieu_de", "text", _pick(["Lỗi đăng nhập", "Không nhận được OTP", "Đổi địa chỉ giao"])),
        C("noi_dung", "text", lambda v, i: f"Khách hàng {v.person()} báo lỗi, gọi lại "
          f"{v.ph()}", "PERSON", "VN_PHONE"),
        C("muc_do", "text", _pick(["cao", "trung bình", "thấp"])),
        C("assigned_team", "text", _pick(["CSKH", "IT", "Kho vận"])),
        C("created", "timestamp", lambda v, i: v.ts()),
    )),
    Table("hop_dong", "tuning", (
        C("so_hop_dong", "text", lambda v, i: f"HĐ-2024/{v.digits(4)}"),
        C("ben_a", "text", _pick(["Công ty TNHH Thương mại Sao Việt",
                                  "Công ty CP Dịch vụ An Phát"])),
        C("ben_b_ho_ten", "text", lambda v, i: v.person(), "PERSON"),
        C("ben_b_cccd", "text", lambda v, i: v.cccd(), "VN_CCCD"),
        C("gia_tri", "int", lambda v, i: v.r.randint(10, 900) * 1_000_000),
        C("ngay_ky", "date", lambda v, i: v.date_between(2022, 2025)),
    )),
    Table("bang_ke_thue", "tuning", (
        C("t1", "text", lambda v, i: f"{v.tax()}-{v.r.randint(1, 30):03d}", "VN_TAX_CODE"),
        C("t2", "text", lambda v, i: v.person(), "PERSON"),
        C("t3", "text", lambda v, i: str(v.r.randint(1, 900) * 10000)),
        C("t4", "text", _pick(["Q1/2025", "Q2/2025", "Q3/2025"])),
    )),
    Table("sessions", "tuning", (
        C("session_token", "text", lambda v, i: "".join(v.r.choice(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
            for _ in range(40)), "CREDENTIAL"),
        C("user_id", "int", lambda v, i: v.r.randint(1, 999)),
        C("expires_at", "timestamp", lambda v, i: v.ts()),
        C("ip", "text", lambda v, i: f"27.{v.r.randint(64, 79)}.{v.r.randint(0, 255)}."
          f"{v.r.randint(1, 254)}", "IP_ADDRESS"),
        C("user_agent", "text", _pick(["Mozilla/5.0 (iPhone)", "Zalo/23.1"])),
    )),
)

HELD_OUT: tuple[Table, ...] = (
    Table("customers", "held-out", (
        _id("customer_id"),
        C("fullName", "text", lambda v, i: v.person(accents=False), "PERSON"),
        C("birthDate", "text", lambda v, i: v.birth().isoformat(), "DATE_OF_BIRTH"),
        C("mobile", "text", lambda v, i: v.phone()[1], "VN_PHONE"),
        C("contactEmail", "text", lambda v, i: v.email(v.person()), "EMAIL_ADDRESS"),
        C("homeAddress", "text", lambda v, i: v.street_address(accents=False), "ADDRESS"),
        C("nationalId", "text", lambda v, i: v.cccd(), "VN_CCCD"),
        C("loyaltyTier", "text", _pick(["silver", "gold", "platinum"])),
        C("addressType", "text", _pick(["home", "work", "other"])),
        C("updatedAt", "timestamp", lambda v, i: v.ts()),
    )),
    Table("benh_nhan_kham", "held-out", (
        _id(),
        C("ten_benh_nhan", "text", lambda v, i: v.person(), "PERSON"),
        C("ngay_sinh", "text", lambda v, i: v.birth().strftime("%d/%m/%Y"), "DATE_OF_BIRTH"),
        C("ten_co_so", "text", lambda v, i: v.org(_ORG_CLINICS)),
        C("ket_qua_xet_nghiem", "text", _pick(_LAB), "HEALTH"),
        C("ma_icd", "text", _pick(_ICD), "HEALTH"),
        C("nhom_mau", "text", _pick(_BLOOD), forbidden=["HEALTH"], neutral=True),
        C("so_the_bhyt", "text", lambda v, i: v.bhyt(), "VN_HEALTH_INSURANCE",
          forbidden=["HEALTH"]),
        C("diem_danh_gia", "int", lambda v, i: v.r.randint(1, 5)),
        C("ngay_tai_kham", "date", lambda v, i: v.date_between(2025, 2025)),
        C("may_xet_nghiem", "text", lambda v, i: f"Cobas-{v.digits(4)}"),
    )),
    Table("sinh_trac_hoc", "held-out", (
        _id(),
        C("face_template", "bytes", lambda v, i: bytes(v.r.getrandbits(8) for _ in range(128)),
          "BIOMETRIC"),
        C("mong_mat", "bytes", lambda v, i: b"IIR\x00" + bytes(v.r.getrandbits(8)
                                                               for _ in range(100)),
          "BIOMETRIC"),
        C("chat_luong_anh", "float", lambda v, i: round(v.r.random(), 3)),
        C("thiet_bi", "text", lambda v, i: f"CAM-{v.digits(5)}"),
        C("anh_the", "bytes", lambda v, i: v.jpeg(), forbidden=["BIOMETRIC"], neutral=True),
    )),
    Table("Sheet1", "held-out", (
        C("Column1", "text", lambda v, i: v.person(), "PERSON"),
        C("Column2", "date", lambda v, i: v.birth(), "DATE_OF_BIRTH"),
        C("Column3", "text", lambda v, i: "+84 " + v.ph()[1:], "VN_PHONE"),
        C("Column4", "text", _pick(_RELIGION), "RELIGION"),
        C("Column5", "text", _pick(_ICD), "HEALTH"),
        C("Column6", "timestamp", lambda v, i: v.ts()),
        C("Column7", "date", lambda v, i: v.date_between(2020, 2025)),
        C("Column8", "text", lambda v, i: v.cccd(), "VN_CCCD"),
    )),
    Table("form_submissions", "held-out", (
        _id(),
        C("field_1", "text", lambda v, i: v.person(accents=False), "PERSON"),
        C("field_2", "text", lambda v, i: v.birth().strftime("%Y-%m-%d"), "DATE_OF_BIRTH"),
        C("field_3", "text", lambda v, i: v.email(v.person()), "EMAIL_ADDRESS"),
        C("field_4", "text", _pick(_ORIENT), "SEXUAL_ORIENTATION"),
        C("field_5", "text", lambda v, i: v.tx9()),
        C("field_6", "text", lambda v, i: str(v.r.randint(1, 5))),
        C("field_7", "text", lambda v, i: v.ph(), "VN_PHONE"),
        C("data", "json", lambda v, i: {"ho_ten": v.person(), "sdt": v.ph()},
          "PERSON", "VN_PHONE"),
        C("extra", "text", lambda v, i: f"Liên hệ: {v.person()} - {v.ph()}",
          "PERSON", "VN_PHONE"),
        C("submitted_at", "timestamp", lambda v, i: v.ts()),
    )),
    Table("integrations", "held-out", (
        _id(),
        C("name", "text", _pick(["billing", "sms gateway", "warehouse"])),
        C("dsn", "text", lambda v, i: v.conn(), "CREDENTIAL"),
        C("webhook_url", "text", lambda v, i: f"https://bot:{v.digits(6)}Zq!x@hooks.example.vn/"
          f"in/{v.digits(4)}", "CREDENTIAL"),
        C("access_key", "text", lambda v, i: v.token(), "CREDENTIAL"),
        C("callback_url", "text", lambda v, i: f"https://shop.example.vn/cb/{v.digits(5)}"),
        C("settings", "json", lambda v, i: {"host": "smtp.example.vn", "port": 587,
                                            "password": "Mx" + v.digits(6) + "#q"},
          "CREDENTIAL"),
    )),
    Table("don_vi_hanh_chinh", "held-out", (
        C("ma", "text", lambda v, i: f"{26734 + i}"),
        C("ten", "text", lambda v, i: f"Phường {_WARDS[i % len(_WARDS)]}"),
        C("cap", "text", _pick(["Phường", "Xã", "Đặc khu"])),
        C("ten_tinh", "text", lambda v, i: v.r.choice(_PROVINCES)),
    )),
    Table("truong_hoc", "held-out", (
        _id(),
        C("ten_truong", "text", lambda v, i: _unique(_SCHOOLS, i)),
        C("dia_chi", "text", lambda v, i: v.street_address()),
        C("dien_thoai", "text", lambda v, i: v.ph()),
        C("email", "text", lambda v, i: f"c3.truong{i}@hcm.edu.vn"),
        C("hieu_truong", "text", lambda v, i: v.name(), "PERSON"),
        C("so_hoc_sinh", "int", lambda v, i: v.r.randint(300, 2500)),
    )),
    Table("hoc_sinh", "held-out", (
        _id(),
        C("ho_ten_hs", "text", lambda v, i: v.person(), "PERSON"),
        C("c_ns", "date", lambda v, i: v.date_between(2009, 2019), "DATE_OF_BIRTH"),
        C("lop", "text", _pick(["6A1", "7B2", "9A3", "10C1", "12A2"])),
        C("ten_truong", "text", lambda v, i: v.org(_SCHOOLS)),
        C("ngay_nhap_hoc", "date", lambda v, i: v.date_between(2021, 2025)),
        C("sdt_phu_huynh", "text", lambda v, i: v.ph(), "VN_PHONE"),
    )),
    Table("bank_accounts", "held-out", (
        _id(),
        C("account_holder", "text", lambda v, i: v.person(accents=False), "PERSON"),
        C("account_number", "text", lambda v, i: v.digits(13), "FINANCIAL_ACCOUNT"),
        C("card_no", "text", lambda v, i: v.card(), "CREDIT_CARD", "FINANCIAL_ACCOUNT"),
        C("balance_vnd", "int", lambda v, i: v.r.randint(0, 10**9)),
        C("txn_ref", "text", lambda v, i: v.tx9()),
        C("opened_on", "date", lambda v, i: v.date_between(2010, 2025)),
    )),
    Table("gps_tracks", "held-out", (
        _id(),
        C("driver_id", "int", lambda v, i: v.r.randint(1, 80)),
        C("lat", "float", lambda v, i: v.lat(), "LOCATION_TRACE"),
        C("lng", "float", lambda v, i: v.lng(), "LOCATION_TRACE"),
        C("ts", "timestamp", lambda v, i: v.ts()),
        C("heading", "int", lambda v, i: v.r.randint(0, 359)),
    )),
    Table("survey_2025", "held-out", (
        _id(),
        C("q1", "text", _pick(_ETHNIC), "ETHNICITY"),
        C("q2", "text", _pick(_CRIME), "CRIMINAL_RECORD"),
        C("q3", "text", _pick(["Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng"])),
        C("q4", "int", lambda v, i: v.r.randint(1, 10)),
        C("q5", "text", _pick(["Có", "Không"])),
        C("respondent_note", "text", lambda v, i: f"Người trả lời: {v.name()}", "PERSON"),
    )),
    Table("lookup_religion", "held-out", (
        C("code", "text", lambda v, i: f"R{i:02d}"),
        C("label", "text", lambda v, i: f"{['Phật giáo', 'Công giáo', 'Tin Lành', 'Cao Đài', 'Hòa Hảo', 'Hồi giáo'][i % 6]} {i}"),  # noqa: E501
    )),
    Table("gene_tests", "held-out", (
        _id(),
        C("sample_code", "text", lambda v, i: f"GS-{v.digits(6)}"),
        C("dna_sequence", "text", lambda v, i: "".join(v.r.choice("ACGT") for _ in range(60)),
          "GENETIC"),
        C("lab_name", "text", lambda v, i: v.org(["Viện Di truyền {}", "Trung tâm Gen {}"])),
        C("received_at", "timestamp", lambda v, i: v.ts()),
    )),
)

HELD_OUT = (*HELD_OUT, *(
    Table("patients_en", "held-out", (
        _id("patient_id"),
        C("patient_name", "text", lambda v, i: v.person(accents=False), "PERSON"),
        C("dob", "date", lambda v, i: v.birth(), "DATE_OF_BIRTH"),
        C("diagnosis", "text", _pick(_DIAG), "HEALTH"),
        C("allergies", "text", _pick(["Dị ứng penicillin", "Dị ứng hải sản", "Không"]),
          "HEALTH"),
        C("blood_group", "text", _pick(_BLOOD), forbidden=["HEALTH"], neutral=True),
        C("insurance_card", "text", lambda v, i: v.bhyt(), "VN_HEALTH_INSURANCE",
          forbidden=["HEALTH"]),
        C("ward_name", "text", _pick(["Khoa Nội", "Khoa Ngoại", "Khoa Nhi"])),
        C("attending_doctor", "text", lambda v, i: v.name(), "PERSON"),
        C("admitted_at", "timestamp", lambda v, i: v.ts()),
    )),
    Table("employees_en", "held-out", (
        _id("employee_id"),
        C("employee_name", "text", lambda v, i: v.person(), "PERSON"),
        C("tax_id", "text", lambda v, i: v.tax(), "VN_TAX_CODE"),
        C("social_insurance_no", "text", lambda v, i: v.bhxh(), "VN_SOCIAL_INSURANCE"),
        C("department", "text", _pick(_DEPTS)),
        C("hire_date", "date", lambda v, i: v.date_between(1995, 2025)),
        C("religion", "text", _pick(_RELIGION), "RELIGION"),
        C("ethnicity", "text", _pick(_ETHNIC), "ETHNICITY"),
        C("criminal_record", "text", _pick(_CRIME), "CRIMINAL_RECORD"),
        C("party_member", "text", _pick(["yes", "no", "no"]), "POLITICAL_OPINION"),
    )),
    Table("crm_notes", "held-out", (
        _id(),
        C("note_text", "text", lambda v, i: f"Đã gọi cho chị {v.person()} xác nhận đơn",
          "PERSON"),
        C("channel", "text", _pick(["phone", "zalo", "email"])),
        C("agent", "text", lambda v, i: v.name(), "PERSON"),
        C("created", "timestamp", lambda v, i: v.ts()),
    )),
    Table("provinces", "held-out", (
        C("code", "text", lambda v, i: f"{i + 1:02d}"),
        C("name", "text", lambda v, i: f"{_PROVINCES[i % len(_PROVINCES)]} {i}"),
        C("region", "text", _pick(["Miền Bắc", "Miền Trung", "Miền Nam"])),
        C("population", "int", lambda v, i: v.r.randint(500_000, 9_000_000)),
    )),
    Table("companies", "held-out", (
        _id(),
        C("company_name", "text", lambda v, i: f"Công ty TNHH {_STREETS[i % 10]} {i}"),
        C("tax_code", "text", lambda v, i: v.tax()),
        C("address", "text", lambda v, i: v.street_address()),
        C("hotline", "text", lambda v, i: v.ph()),
        C("legal_representative", "text", lambda v, i: v.name(), "PERSON"),
    )),
    Table("shipments", "held-out", (
        C("col_a", "text", lambda v, i: v.person(accents=False), "PERSON"),
        C("col_b", "text", lambda v, i: v.ph(), "VN_PHONE"),
        C("col_c", "text", lambda v, i: f"SPXVN0{v.digits(11)}"),
        C("col_d", "float", lambda v, i: round(v.r.random() * 20, 2)),
        C("col_e", "text", lambda v, i: v.street_address(accents=False), "ADDRESS"),
    )),
    Table("api_clients", "held-out", (
        C("client_id", "text", lambda v, i: f"app-{v.digits(6)}"),
        C("client_secret", "text", lambda v, i: "".join(v.r.choice(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
            for _ in range(32)), "CREDENTIAL"),
        C("redirect_uri", "text", lambda v, i: f"https://app{i}.example.vn/callback"),
        C("owner_email", "text", lambda v, i: v.email(v.name()), "EMAIL_ADDRESS"),
    )),
))
#: held-out tables written after the first held-out run had been used to fix the scanners:
#: their first run is the honest held-out figure of the final code (see docs/databases.md)
FRESH: tuple[Table, ...] = (
    Table("tbl_khachhang_old", "held-out", (
        C("HOTEN", "text", lambda v, i: v.person(), "PERSON"),
        C("NGAYSINH", "text", lambda v, i: f"{v.birth().isoformat()} 00:00:00",
          "DATE_OF_BIRTH"),
        C("DIENTHOAI", "text", lambda v, i: _dotted(v.ph()), "VN_PHONE"),
        C("SOCMND", "text", lambda v, i: v.cmnd(), "VN_CMND"),
        C("DIACHI", "text", lambda v, i: v.street_address(), "ADDRESS"),
        C("GHICHU", "text", _pick(["Khách VIP", "Nợ cũ", "Giao buổi sáng", ""])),
        C("NGAYTAO", "timestamp", lambda v, i: v.ts()),
    )),
    Table("visits", "held-out", (
        C("patient_ref", "int", lambda v, i: v.r.randint(1000, 9999)),
        C("clinic_name", "text", lambda v, i: v.org(_ORG_CLINICS)),
        C("symptoms", "text", _pick(["Sốt 39 độ, ho khan", "Đau bụng, tiêu chảy",
                                      "Khó thở, tức ngực", "Đau đầu, chóng mặt"]), "HEALTH"),
        C("visit_date", "date", lambda v, i: v.date_between(2024, 2025)),
        C("fee", "int", lambda v, i: v.r.randint(1, 20) * 50_000),
        C("doctor_note", "text", _pick(["Chẩn đoán viêm họng cấp, kê kháng sinh 5 ngày",
                                         "Theo dõi tăng huyết áp, tái khám sau 1 tháng",
                                         "Viêm da tiếp xúc, bôi thuốc",
                                         "Rối loạn tiêu hóa, uống men vi sinh"]), "HEALTH"),
    )),
    Table("export_xlsx", "held-out", (
        C("A", "text", lambda v, i: v.person(), "PERSON"),
        C("B", "text", lambda v, i: v.cccd(), "VN_CCCD"),
        C("C", "text", lambda v, i: v.birth().strftime("%d-%m-%Y"), "DATE_OF_BIRTH"),
        C("D", "text", _pick(["Nam", "Nữ"]), neutral=True),
        C("E", "text", _pick(_ETHNIC), "ETHNICITY"),
        C("F", "text", lambda v, i: v.email(v.person()), "EMAIL_ADDRESS"),
        C("G", "text", lambda v, i: f"{v.r.randint(1, 99)}.{v.digits(3)}.000"),
        C("H", "text", lambda v, i: v.date_between(2025, 2025).strftime("%d-%m-%Y")),
    )),
    Table("wards_2025", "held-out", (
        C("ma_xa", "text", lambda v, i: f"{27000 + i}"),
        C("ten_xa", "text", lambda v, i: f"Xã {_STREETS[i % 10]} {i}"),
        C("tinh_moi", "text", lambda v, i: v.r.choice(_PROVINCES)),
        C("dien_tich", "float", lambda v, i: round(v.r.random() * 90, 2)),
        C("dan_so", "int", lambda v, i: v.r.randint(5000, 90000)),
    )),
    Table("devices", "held-out", (
        C("imei", "text", lambda v, i: "35" + v.digits(13)),
        C("owner_phone", "text", lambda v, i: v.ph(), "VN_PHONE"),
        C("firmware", "text", _pick(["v2.3.1", "v2.4.0", "v3.0.2"])),
        C("last_seen", "timestamp", lambda v, i: v.ts()),
        C("last_lat", "float", lambda v, i: v.lat(), "LOCATION_TRACE"),
        C("last_lng", "float", lambda v, i: v.lng(), "LOCATION_TRACE"),
    )),
    Table("app_config", "held-out", (
        C("config_key", "text", lambda v, i: ["site.title", "smtp.port", "payment.api_key",
                                               "smtp.password", "ui.theme"][i % 5]),
        C("config_value", "text", lambda v, i: ["Cửa hàng An Phát", "587", v.token(),
                                                 "postgresql://mailer:Qw" + v.digits(5)
                                                 + "!@smtp.internal:5432/mail",
                                                 "dark"][i % 5], "CREDENTIAL"),
        C("updated_by", "text", _pick(["admin", "deploy-bot"])),
    )),
    Table("members_club", "held-out", (
        _id("member_no"),
        C("member_name", "text", lambda v, i: v.person(), "PERSON"),
        C("ton_giao_thanh_vien", "text", _pick(_RELIGION), "RELIGION"),
        C("join_date", "date", lambda v, i: v.date_between(2015, 2025)),
        C("sexual_orientation", "text", _pick(_ORIENT), "SEXUAL_ORIENTATION"),
        C("membership_level", "text", _pick(["bronze", "silver", "gold"])),
    )),
)
#: columns whose comment, not their name, says what they hold (written after FRESH)
COMMENTED: tuple[Table, ...] = (
    Table("khai_bao_y_te", "held-out", (
        _id(),
        C("c1", "text", _pick(["Bình thường", "Đang theo dõi", "Khỏe"]), "HEALTH",
          comment="Tình trạng sức khỏe khi khai báo"),
        C("c2", "date", lambda v, i: v.birth(), "DATE_OF_BIRTH", comment="Ngày sinh"),
        C("c3", "text", _pick(["Có", "Không", "Không"]), "POLITICAL_OPINION",
          comment="Là đảng viên (Có/Không)"),
        C("c4", "text", _pick(["Đã gọi", "Chưa gọi"]), comment="Ghi chú nội bộ"),
        C("c5", "text", _pick(_BLOOD), forbidden=["HEALTH"], neutral=True,
          comment="Nhóm máu"),
        C("c6", "text", lambda v, i: v.person(), "PERSON", comment="Họ tên người khai"),
    )),
)
HELD_OUT = (*HELD_OUT, *FRESH, *COMMENTED)
TABLES: tuple[Table, ...] = (*TUNING, *HELD_OUT)


# ---- loading ------------------------------------------------------------------------------
_PG_TYPES = {"text": "text", "int": "bigint", "float": "double precision", "date": "date",
             "timestamp": "timestamp", "bytes": "bytea", "json": "jsonb"}
_MY_TYPES = {"text": "varchar(512)", "int": "bigint", "float": "double", "date": "date",
             "timestamp": "datetime", "bytes": "blob", "json": "longtext"}


def _db_value(value: Value, kind: str) -> Value:
    return json.dumps(value, ensure_ascii=False) if kind == "json" else value


def load_postgres(conn: Any, tables: Sequence[Table] = TABLES) -> None:
    """Create and fill the tables in a PostgreSQL database (psycopg, autocommit)."""
    for table in tables:
        cols = ", ".join(f'"{c.name}" {_PG_TYPES[c.kind]}' for c in table.columns)
        conn.execute(f'CREATE TABLE "{table.name}" ({cols})')
        for c in table.columns:
            if c.comment:
                conn.execute(f'COMMENT ON COLUMN "{table.name}"."{c.name}" IS '
                             f"'{c.comment}'")
        marks = ", ".join("%s" for _ in table.columns)
        with conn.cursor() as cur:
            cur.executemany(f'INSERT INTO "{table.name}" VALUES ({marks})',
                            [[_db_value(v, c.kind) for v, c in zip(row, table.columns,
                                                                   strict=True)]
                             for row in table.rows()])


def load_mysql(conn: Any, tables: Sequence[Table] = TABLES) -> None:
    """Create and fill the tables in a MySQL/MariaDB database (PyMySQL, autocommit)."""
    with conn.cursor() as cur:
        for table in tables:
            cols = ", ".join(f"`{c.name}` {_MY_TYPES[c.kind]}" + (
                f" COMMENT '{c.comment}'" if c.comment else "") for c in table.columns)
            cur.execute(f"CREATE TABLE `{table.name}` ({cols}) CHARACTER SET utf8mb4")
            marks = ", ".join("%s" for _ in table.columns)
            cur.executemany(f"INSERT INTO `{table.name}` VALUES ({marks})",
                            [[_db_value(v, c.kind) for v, c in zip(row, table.columns,
                                                                   strict=True)]
                             for row in table.rows()])


def _sql_literal(value: Value, kind: str, dialect: str) -> str:
    if value is None:
        return "NULL"
    if kind in ("int", "float"):
        return str(value)
    if kind == "bytes":
        return f"'\\x{value.hex()}'" if dialect == "postgresql" else f"0x{value.hex()}"
    if kind == "json":
        value = json.dumps(value, ensure_ascii=False)
    text = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else str(value)
    text = text.replace("'", "''")
    if dialect == "mysql":
        text = text.replace("\\", "\\\\")
    return f"'{text}'"


def write_dump(path: Path, dialect: str, tables: Sequence[Table] = TABLES) -> Path:
    """A plain SQL dump of the tables, ``postgresql`` (pg_dump --inserts style) or
    ``mysql`` (mysqldump style, extended inserts)."""
    q = '"' if dialect == "postgresql" else "`"
    types = _PG_TYPES if dialect == "postgresql" else _MY_TYPES
    lines = ["-- PostgreSQL database dump" if dialect == "postgresql"
             else "-- MySQL dump 10.13  Distrib 8.0", ""]
    for table in tables:
        name = f"public.{q}{table.name}{q}" if dialect == "postgresql" else \
            f"{q}{table.name}{q}"
        cols = ",\n".join(f"    {q}{c.name}{q} {types[c.kind]}" + (
            f" COMMENT '{c.comment}'" if c.comment and dialect == "mysql" else "")
            for c in table.columns)
        lines.append(f"CREATE TABLE {name} (\n{cols}\n);")
        if dialect == "postgresql":
            lines.extend(f"COMMENT ON COLUMN {name}.{q}{c.name}{q} IS '{c.comment}';"
                         for c in table.columns if c.comment)
        rows = [
            "(" + ", ".join(_sql_literal(v, c.kind, dialect)
                            for v, c in zip(row, table.columns, strict=True)) + ")"
            for row in table.rows()]
        if dialect == "postgresql":
            lines.extend(f"INSERT INTO {name} VALUES {r};" for r in rows)
        else:
            lines.append(f"INSERT INTO {name} VALUES " + ",".join(rows) + ";")
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---- scoring ------------------------------------------------------------------------------
@dataclass
class Score:
    """Per-label recall and the decoys flagged, over one scan of the corpus."""

    found: Counter[str] = field(default_factory=Counter)
    gold: Counter[str] = field(default_factory=Counter)
    missed: list[tuple[str, str, str]] = field(default_factory=list)
    decoys_flagged: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    wrong_categories: list[tuple[str, str, str]] = field(default_factory=list)
    columns: int = 0
    decoys: int = 0

    def recall(self, label: str | None = None) -> float:
        if label is None:
            gold, found = sum(self.gold.values()), sum(self.found.values())
        else:
            gold, found = self.gold[label], self.found[label]
        return found / gold if gold else 1.0

    def table(self) -> str:
        rows = [f"{'label':<22}{'columns':>8}{'found':>7}{'recall':>8}"]
        for label in sorted(self.gold):
            rows.append(f"{label:<22}{self.gold[label]:>8}{self.found[label]:>7}"
                        f"{self.recall(label):>8.3f}")
        rows.append(f"{'all labels':<22}{sum(self.gold.values()):>8}"
                    f"{sum(self.found.values()):>7}{self.recall():>8.3f}")
        rows.append(f"columns {self.columns}, decoys {self.decoys}, decoys flagged "
                    f"{len(self.decoys_flagged)}, wrong categories {len(self.wrong_categories)}")
        return "\n".join(rows)


def predictions(observations: Iterable[Any]) -> dict[tuple[str, str], set[str]]:
    """(bare table name, column) -> labels reported (entities, categories, CREDENTIAL)."""
    out: dict[tuple[str, str], set[str]] = {}
    for obs in observations:
        if obs.kind not in ("pii.column", "db.credential_column"):
            continue
        table = (obs.location.table or "").split(".", 1)[-1]
        key = (table, obs.location.column or "")
        labels = out.setdefault(key, set())
        if obs.kind == "db.credential_column":
            labels.add("CREDENTIAL")
        else:
            labels.update(obs.entities)
            labels.update(obs.attributes.get("categories") or [])
    return out


def score(observations: Iterable[Any], tables: Sequence[Table] = TABLES) -> Score:
    """Compare a scan's observations with the labels of ``tables``."""
    found = predictions(observations)
    result = Score()
    for table in tables:
        for col in table.columns:
            result.columns += 1
            predicted = found.get((table.name, col.name), set())
            for label in sorted(predicted & col.forbidden):
                result.wrong_categories.append((table.name, col.name, label))
            for label in sorted((predicted & set(CATEGORIES)) - col.labels - col.forbidden):
                result.wrong_categories.append((table.name, col.name, label))
            if col.neutral:
                continue
            if not col.labels:
                result.decoys += 1
                if predicted:
                    result.decoys_flagged.append((table.name, col.name,
                                                  tuple(sorted(predicted))))
                continue
            for label in sorted(col.labels):
                result.gold[label] += 1
                if label in predicted:
                    result.found[label] += 1
                else:
                    result.missed.append((table.name, col.name, label))
    return result


# ---- the report script --------------------------------------------------------------------
def _scan_all(tables: Sequence[Table]) -> dict[str, Any]:
    import tempfile

    from auditor.scanners.database import DatabaseScanner
    from auditor.scanners.database.sqldump import SqlDumpScanner

    from tests.scanners.dbsupport import my_scratch, pg_scratch, real_pii, run

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for dialect in ("postgresql", "mysql"):
            dump = write_dump(Path(tmp) / f"corpus_{dialect}.sql", dialect, tables)
            out[f"dump ({dialect})"] = run(SqlDumpScanner(real_pii()), str(dump),
                                           is_file=True).observations
    try:
        with pg_scratch() as (url, conn):
            load_postgres(conn, tables)
            out["postgresql"] = run(DatabaseScanner(real_pii()), url).observations
    except BaseException as exc:
        print(f"postgresql skipped: {type(exc).__name__}", file=sys.stderr)
    try:
        with my_scratch() as (url, conn):
            load_mysql(conn, tables)
            out["mariadb"] = run(DatabaseScanner(real_pii()), url).observations
    except BaseException as exc:
        print(f"mariadb skipped: {type(exc).__name__}", file=sys.stderr)
    return out


def main(argv: Sequence[str] = ()) -> int:
    halves = {"tuning": TUNING, "held-out": HELD_OUT, "fresh": FRESH,
              "commented": COMMENTED}
    wanted = list(argv) or ["tuning", "held-out"]
    for half in wanted:
        tables = halves[half]
        ncols = sum(len(t.columns) for t in tables)
        print(f"== {half}: {len(tables)} tables, {ncols} columns")
        for backend, observations in _scan_all(tables).items():
            result = score(observations, tables)
            print(f"-- {backend}")
            print(result.table())
            for item in result.missed:
                print("   missed", item)
            for flagged in result.decoys_flagged:
                print("   decoy flagged", flagged)
            for wrong in result.wrong_categories:
                print("   wrong category", wrong)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
