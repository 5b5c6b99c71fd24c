"""Column classification on realistic columns: names (Vietnamese, English, misleading),
values (structured, sparse in free text, decoys), subjects, masking."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import uuid

import pytest

from auditor.pii import PiiDetector, classify_column, name_signal

KEY = b"test-key"
R = random.Random(356)


def phones(n: int) -> list[str]:
    return [f"09{R.randint(10, 99)}{R.randint(100000, 999999)}" for _ in range(n)]


def cccds(n: int) -> list[str]:
    return [f"0{R.choice(['01', '79', '48', '31'])}{R.choice('0123')}"
            f"{R.randint(0, 24) if R.random() < 0.5 else R.randint(50, 99):02d}"
            f"{R.randint(0, 999999):06d}" for _ in range(n)]


NOTES = ["khách hẹn giao buổi chiều", "đã gọi, không nghe máy", "giao lại lần 2", "OK",
         "khách đổi size áo", "hàng dễ vỡ, nhẹ tay", "thanh toán khi nhận hàng"]


@pytest.mark.parametrize(("column", "table", "values", "expected"), [
    ("so_dien_thoai", "khach_hang", phones(40), (("VN_PHONE",), True)),
    ("SoDienThoai", None, phones(40), (("VN_PHONE",), True)),
    ("sodienthoai", None, phones(40), (("VN_PHONE",), True)),
    ("customer_phone", "orders", phones(40), (("VN_PHONE",), True)),
    # misleading names: values decide
    ("col_17", None, cccds(40), (("VN_CCCD",), False)),
    ("ghi_chu", "don_hang",
     [R.choice(NOTES) for _ in range(95)] + [f"khách dặn gọi {p} trước khi giao"
                                             for p in phones(5)], (("VN_PHONE",), False)),
    # decoys stay negative
    ("ma_ho_so", "ho_so", [f"{R.randint(10**11, 10**12 - 1)}" for _ in range(200)], ((), False)),
    ("ma_ho_so", "ho_so", [f"2025{R.randint(0, 10**8 - 1):08d}" for _ in range(200)], ((), False)),
    ("request_id", "logs", [str(uuid.UUID(int=R.getrandbits(128))) for _ in range(50)],
     ((), False)),
    ("ten_san_pham", "san_pham", ["Áo thun nam", "Quần jean", "Giày thể thao"] * 10, ((), False)),
    ("name", "products", ["Laptop Pro 14", "USB-C cable", "Bàn phím cơ"] * 10, ((), False)),
    # weak names count in people tables
    ("ten", "khach_hang", ["Nguyễn Văn An", "Trần Thị Bình", "Lê Hoàng Nam"] * 10,
     (("PERSON",), True)),
    ("ho_ten", None, ["NGUYEN VAN AN", "TRAN THI BINH", "LE HOANG NAM"] * 10, (("PERSON",), True)),
    # integer columns lose the leading zero: the name tells
    ("so_cccd", None, [c.lstrip("0") for c in cccds(40)], (("VN_CCCD",), True)),
    ("so_dien_thoai", None, [p.lstrip("0") for p in phones(40)], (("VN_PHONE",), True)),
    ("so_tien", None, [p.lstrip("0") for p in phones(40)], ((), False)),
    # run-together names pass their entity's context word (SOCMND -> cmnd)
    ("SOCMND", None, [f"{R.randint(1, 38):02d}{R.randint(0, 10**7 - 1):07d}" for _ in range(30)],
     (("VN_CMND",), True)),
    # a pupil table's name is not birth context for its dates
    ("ngay_nhap_hoc", "hoc_sinh", [f"0{R.randint(1, 9)}/09/202{R.randint(1, 5)}"
                                   for _ in range(30)], ((), False)),
])
def test_entities(detector: PiiDetector, column: str, table: str | None, values: list[str],
                  expected: tuple[tuple[str, ...], bool]) -> None:
    entities, by_name = expected
    verdict = classify_column(detector, column, values, table=table, hash_key=KEY)
    assert verdict.entities == entities
    assert verdict.by_name is by_name
    assert verdict.sample_size == len(values)


def test_hashed_and_encrypted_values_are_not_cleartext(detector: PiiDetector) -> None:
    bcrypt = [f"$2b$12${base64.b64encode(R.randbytes(40)).decode()[:53]}" for _ in range(30)]
    v = classify_column(detector, "mat_khau", bcrypt, table="nguoi_dung", hash_key=KEY)
    assert (v.entities, v.name_entities, v.by_name, v.opaque_ratio) == ((), ("PASSWORD",),
                                                                         True, 1.0)
    cipher = [base64.b64encode(R.randbytes(32)).decode() for _ in range(30)]
    v = classify_column(detector, "so_cccd", cipher, hash_key=KEY)
    assert v.entities == () and v.name_entities == ("VN_CCCD",) and v.opaque_ratio >= 0.9
    sha = [hashlib.sha256(p.encode()).hexdigest() for p in phones(30)]
    assert classify_column(detector, "sdt_hash", sha, hash_key=KEY).entities == ()


def test_plaintext_passwords_by_name(detector: PiiDetector) -> None:
    v = classify_column(detector, "matkhau", ["123456", "hunter2", "Matkhau@2025"] * 5,
                        hash_key=KEY)
    assert v.entities == ("PASSWORD",) and v.opaque_ratio == 0.0


@pytest.mark.parametrize(("column", "table", "categories"), [
    ("dan_toc", "nhan_vien", ("ETHNICITY",)),
    ("tonGiao", None, ("RELIGION",)),
    ("chan_doan", "benh_an", ("HEALTH",)),
    ("nhom_mau", None, ()),                    # blood group: personal, not sensitive
    ("van_tay", None, ("BIOMETRIC",)),
    ("face_embedding", "users", ("BIOMETRIC",)),
    ("an_tich", None, ("CRIMINAL_RECORD",)),
    # NOTE: coordinates are a trace only next to a time and a subject: decided with the
    # whole table in view (scanners/database/tablecontext.py), not from the name.
    ("toa_do", "lich_su_di_chuyen", ()),
    ("lich_su_vi_tri", None, ("LOCATION_TRACE",)),
    ("ghi_chu", "benh_an", ()),                # per column, never from the table name
    ("facility_name", "health_records", ()),
    ("quality_score", "fingerprints", ()),
    ("device_id", "van_tay", ()),
    ("biometric_type", "users", ()),
    ("anh_chan_dung", None, ()),               # a portrait is not biometric data
    ("face_template", None, ("BIOMETRIC",)),
    ("so_luong", "kho", ()),                   # quantity, not salary
    ("the_bhyt", None, ()),                    # BHYT number: basic personal data
])
def test_sensitive_categories_from_names(column: str, table: str | None,
                                         categories: tuple[str, ...]) -> None:
    assert name_signal(column, table).categories == categories


def test_categories_reach_the_verdict(detector: PiiDetector) -> None:
    v = classify_column(detector, "ton_giao", ["Phật giáo", "Công giáo", "Không"] * 4,
                        table="nhan_vien", hash_key=KEY)
    assert v.categories == ("RELIGION",) and v.by_name and v.confidence > 0


def test_subjects_hit_ratio_and_masked_examples(detector: PiiDetector) -> None:
    distinct = phones(10)
    values = [distinct[i % 10] for i in range(50)] + [None, "", "  "] + ["không có"] * 50
    v = classify_column(detector, "sdt", values, table="khach_hang", hash_key=KEY)
    assert v.sample_size == 100 and v.hit_ratio == 0.5 and v.distinct_subjects == 10
    assert v.entities == ("VN_PHONE",)
    assert len(v.examples) == 3 and all("•" in e for e in v.examples)
    attrs = v.to_attributes()
    json.dumps(attrs)
    text = json.dumps(attrs) + repr(v)
    assert not any(p in text for p in distinct)


def test_canary_never_leaks(detector: PiiDetector) -> None:
    canary_phone, canary_id = "0967812345", "079099123456"
    values = [f"liên hệ {canary_phone}, CCCD {canary_id}"] * 3
    v = classify_column(detector, "ghi_chu", values, hash_key=KEY)
    dump = json.dumps(v.to_attributes(), ensure_ascii=False) + repr(v)
    assert v.entities == ("VN_CCCD", "VN_PHONE")
    for secret in (canary_phone, canary_id, canary_phone[2:8], canary_id[3:9]):
        assert secret not in dump


def test_empty_sample_uses_the_name(detector: PiiDetector) -> None:
    v = classify_column(detector, "email", [None, ""], hash_key=KEY)
    assert (v.entities, v.sample_size, v.hit_ratio, v.by_name) == (("EMAIL_ADDRESS",), 0, 0.0,
                                                                    True)


@pytest.mark.parametrize(("column", "table", "entities"), [
    ("ho_ten", None, ("PERSON",)), ("hoTen", None, ("PERSON",)), ("HoVaTen", None, ("PERSON",)),
    ("hoten", None, ("PERSON",)), ("Họ tên", None, ("PERSON",)), ("full_name", None, ("PERSON",)),
    ("ten_khach_hang", None, ("PERSON",)), ("customerName", None, ("PERSON",)),
    ("ngay_sinh", None, ("DATE_OF_BIRTH",)), ("NgaySinh", None, ("DATE_OF_BIRTH",)),
    ("dob", None, ("DATE_OF_BIRTH",)),
    ("dia_chi_thuong_tru", None, ("ADDRESS",)), ("que_quan", None, ("ADDRESS",)),
    ("tam_tru", None, ("ADDRESS",)), ("địa chỉ", None, ("ADDRESS",)),
    ("so_cccd", None, ("VN_CCCD",)), ("CCCD", None, ("VN_CCCD",)), ("can_cuoc", None, ("VN_CCCD",)),
    ("so_dinh_danh", None, ("VN_CCCD",)), ("cmnd", None, ("VN_CMND",)),
    ("ho_chieu", None, ("VN_PASSPORT",)), ("passport_no", None, ("VN_PASSPORT",)),
    ("mst", None, ("VN_TAX_CODE",)), ("ma_so_thue", None, ("VN_TAX_CODE",)),
    ("so_bhxh", None, ("VN_SOCIAL_INSURANCE",)), ("the_bhyt", None, ("VN_HEALTH_INSURANCE",)),
    ("sdt", None, ("VN_PHONE",)), ("so_dien_thoai", None, ("VN_PHONE",)),
    ("dien_thoai", None, ("VN_PHONE",)), ("sodienthoai", None, ("VN_PHONE",)),
    ("mobilePhone", None, ("VN_PHONE",)), ("email", None, ("EMAIL_ADDRESS",)),
    ("stk", None, ("IBAN_CODE",)), ("tai_khoan", "khach_hang", ("IBAN_CODE",)),
    ("mat_khau", None, ("PASSWORD",)), ("password_hash", None, ("PASSWORD",)),
    ("bien_so_xe", None, ("VN_LICENSE_PLATE",)), ("client_ip", None, ("IP_ADDRESS",)),
    # not personal data by name
    ("content", None, ()), ("ten_san_pham", None, ()), ("product_name", None, ()),
    ("tenant_id", None, ()), ("name", "products", ()), ("created_at", None, ()),
    ("so_luong", None, ()), ("hostname", None, ()), ("zip", None, ()),
    ("tai_khoan", "giao_dich_kho", ()),
])
def test_name_signal_entities(column: str, table: str | None, entities: tuple[str, ...]) -> None:
    assert name_signal(column, table).entities == entities


def test_subjects_are_counted_by_identifier_not_by_text(detector: PiiDetector) -> None:
    values = ["gọi 0912 345 678 trước 5h", "khách 0912345678 hẹn lại", "SĐT 0912.345.678",
              "liên hệ 0987654321", "0987 654 321 (zalo)"]
    v = classify_column(detector, "ghi_chu", values, hash_key=KEY)
    assert v.entities == ("VN_PHONE",) and v.distinct_subjects == 2


def test_personal_by_name_without_entity_type(detector: PiiDetector) -> None:
    v = classify_column(detector, "gioi_tinh", ["Nam", "Nữ"] * 5, table="khach_hang",
                        hash_key=KEY)
    assert (v.entities, v.categories, v.by_name, v.confidence) == ((), (), True, 0.5)
