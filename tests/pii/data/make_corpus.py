"""Generate ``generated.txt``: labelled lines from templates (deterministic, seed 91).

Run from the repository root: ``python tests/pii/data/make_corpus.py``. The output is
committed; the generator is kept so the corpus can be reviewed and regenerated.

Label syntax (shared with ``handwritten.txt``): ``[[TYPE:text]]`` marks an entity; the
markup is removed to get the input line. Values are computed from the format rules in
VN-IDENTIFIERS.md (valid ones for positives; broken province codes, future birth years
and wrong check digits for the hard negatives), independently of the detector.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from pathlib import Path

import phonenumbers

_CODES = (
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 "
    "035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 "
    "070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096")
PROVINCES = tuple(_CODES.split(" "))
BAD_PROVINCES = ["003", "005", "007", "009", "013", "016", "018", "021", "023", "028", "029",
                 "032", "039", "041", "043", "047", "050", "053", "057", "061", "063", "065",
                 "069", "071", "073", "076", "078", "081", "085", "088", "090", "097", "098",
                 "099", "100", "150", "201", "305", "450", "777", "901"]
MOBILE = ["32", "33", "34", "35", "36", "37", "38", "39", "52", "56", "58", "59", "70", "76",
          "77", "78", "79", "81", "82", "83", "84", "85", "86", "87", "88", "89", "90", "91",
          "92", "93", "94", "96", "97", "98", "99"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
            "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trương", "Lâm", "Mai"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Ngọc", "Hữu", "Thanh", "Quốc", "Thu", "Gia", "Hoài"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Hà", "Hải", "Hạnh", "Hùng", "Hương", "Khánh", "Lan",
         "Linh", "Long", "Mai", "Nam", "Nga", "Phong", "Phương", "Quân", "Sơn", "Tâm",
         "Thảo", "Trang", "Tuấn", "Vy", "Yến", "Hiếu", "Nhung", "Đạt", "Tú"]
STREETS = ["Lê Lợi", "Nguyễn Huệ", "Trần Hưng Đạo", "Hai Bà Trưng", "Lý Thường Kiệt",
           "Điện Biên Phủ", "Cách Mạng Tháng Tám", "Phan Chu Trinh", "Nguyễn Trãi", "Láng Hạ"]
WARDS = ["Bến Nghé", "Bến Thành", "Tân Định", "Đa Kao", "Cầu Ông Lãnh", "Hàng Bài",
         "Tràng Tiền", "Láng Thượng", "Dịch Vọng", "Thạc Gián", "Hải Châu", "Ninh Kiều"]
NEW_WARDS = ["Sài Gòn", "Bến Thành", "Hoàn Kiếm", "Ba Đình", "Hải Châu", "Cầu Giấy"]
DISTRICTS = ["Quận 1", "Quận 3", "quận Hoàn Kiếm", "quận Đống Đa", "quận Cầu Giấy",
             "quận Hải Châu", "huyện Củ Chi", "quận Ninh Kiều"]
CITIES = ["TP Hồ Chí Minh", "Hà Nội", "TP. Hồ Chí Minh", "thành phố Đà Nẵng",
          "TP Cần Thơ", "tỉnh Nghệ An", "tỉnh Lâm Đồng"]
DOMAINS = ["gmail.com", "yahoo.com.vn", "fpt.vn", "vnpt.vn", "example.vn", "company.com.vn"]
IBAN_BANKS = [("DE", 18), ("GB", 18), ("FR", 23), ("NL", 14)]


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
    for d in "0123456789":
        total = 0
        for i, ch in enumerate(reversed(body + d)):
            x = int(ch)
            if i % 2:
                x = x * 2 - 9 if x > 4 else x * 2
            total += x
        if total % 10 == 0:
            return body + d
    raise AssertionError


def tax_check(nine: str) -> int:
    total = sum(int(d) * w for d, w in zip(nine, (31, 29, 23, 19, 17, 13, 7, 5, 3),
                                           strict=True))
    return 10 - total % 11


class Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def digits(self, n: int) -> str:
        return "".join(self.r.choice("0123456789") for _ in range(n))

    def cccd(self) -> str:
        year = self.r.randint(1935, 2024)
        century = 0 if year < 2000 else 2
        g = century + self.r.randint(0, 1)
        return self.r.choice(PROVINCES) + str(g) + f"{year % 100:02d}" + self.digits(6)

    def bad_cccd(self) -> str:
        if self.r.random() < 0.5:
            return self.r.choice(BAD_PROVINCES) + str(self.r.randint(0, 3)) + self.digits(8)
        # future birth year (2000s century digit, year after 2026) or a 2100s digit
        if self.r.random() < 0.5:
            return self.r.choice(PROVINCES) + str(self.r.randint(2, 3)) + \
                str(self.r.randint(27, 99)) + self.digits(6)
        return self.r.choice(PROVINCES) + str(self.r.randint(4, 9)) + self.digits(8)

    def phone(self) -> tuple[str, str]:
        # NOTE: libphonenumber is the reference for validity (VN-IDENTIFIERS.md); some
        # prefixes are only partly allocated (089x, 099x), so draw until it agrees.
        while True:
            prefix = self.r.choice(MOBILE)
            rest = self.digits(7)
            national = "0" + prefix + rest
            if phonenumbers.is_valid_number(phonenumbers.parse(national, "VN")):
                break
        form = self.r.randint(0, 5)
        if form == 0:
            return national, national
        if form == 1:
            return national, f"{national[:4]} {national[4:7]} {national[7:]}"
        if form == 2:
            return national, f"{national[:4]}.{national[4:7]}.{national[7:]}"
        if form == 3:
            return national, f"+84 {prefix}{rest[0]}-{rest[1:4]}-{rest[4:]}"
        if form == 4:
            return national, "84" + prefix + rest
        return national, f"+84{prefix}{rest}"

    def tax(self) -> str:
        while True:
            nine = f"{self.r.randint(1, 96):02d}" + self.digits(7)
            check = tax_check(nine)
            if check != 10 and nine[2:] != "0000000":
                return nine + str(check)

    def bad_tax(self) -> str:
        good = self.tax()
        wrong = (int(good[9]) + self.r.randint(1, 9)) % 10
        return good[:9] + str(wrong)

    def bhxh(self) -> str:
        return f"{self.r.choice(PROVINCES)[1:]}" + self.digits(8)

    def bhyt(self) -> str:
        group = self.r.choice(["DN", "HC", "GD", "TE", "HS", "SV", "HT", "CH", "XK", "BT"])
        return group + str(self.r.randint(1, 5)) + self.r.choice(PROVINCES)[1:] + self.bhxh()

    def passport(self) -> str:
        return self.r.choice("BCNP") + self.digits(7)

    def plate(self) -> str:
        area = self.r.randint(11, 99)
        if self.r.random() < 0.5:
            return f"{area}{self.r.choice('ABCDEFGHKLMNPSTUVX')}-{self.digits(3)}.{self.digits(2)}"
        if self.r.random() < 0.5:
            return f"{area}{self.r.choice('ABCDEFGHK')}-{self.digits(5)}"
        return f"{area}-{self.r.choice('BCDEFGHK')}{self.r.randint(1, 9)} " \
            f"{self.digits(3)}.{self.digits(2)}"

    def name(self, accents: bool = True) -> str:
        parts = [self.r.choice(SURNAMES)]
        if self.r.random() < 0.8:
            parts.append(self.r.choice(MIDDLE))
        parts.append(self.r.choice(GIVEN))
        text = " ".join(parts)
        return strip_accents(text) if not accents else text

    def address(self) -> str:
        street = f"{self.r.randint(1, 300)} {self.r.choice(STREETS)}"
        if self.r.random() < 0.5:
            return (f"{street}, phường {self.r.choice(WARDS)}, {self.r.choice(DISTRICTS)}, "
                    f"{self.r.choice(CITIES)}")
        return f"{street}, phường {self.r.choice(NEW_WARDS)}, {self.r.choice(CITIES)}"

    def dob(self) -> str:
        y, m, d = self.r.randint(1940, 2010), self.r.randint(1, 12), self.r.randint(1, 28)
        return self.r.choice([f"{d:02d}/{m:02d}/{y}", f"{y}-{m:02d}-{d:02d}", f"{d}/{m}/{y}",
                              f"{d:02d}-{m:02d}-{y}"])

    def email(self, name: str) -> str:
        base = strip_accents(name).lower().split()
        local = self.r.choice([".".join(base[::-1][:2]), "".join(base), base[-1] + str(
            self.r.randint(1, 99))])
        return f"{local}@{self.r.choice(DOMAINS)}"

    def card(self) -> str:
        kind = self.r.randint(0, 2)
        if kind == 0:
            num = luhn_complete("4", 16, self.r)
        elif kind == 1:
            num = luhn_complete("5" + str(self.r.randint(1, 5)), 16, self.r)
        else:
            num = luhn_complete("9704" + self.r.choice(["36", "18", "15", "05", "07", "22"]),
                                16, self.r)
        if self.r.random() < 0.5:
            return " ".join(num[i:i + 4] for i in range(0, 16, 4))
        return num

    def iban(self) -> str:
        country, n = self.r.choice(IBAN_BANKS)
        bban = self.digits(n) if country != "GB" else "NWBK" + self.digits(14)
        if country == "NL":
            bban = "ABNA" + self.digits(10)
        rearranged = bban + country + "00"
        numeric = "".join(str(int(c, 36)) for c in rearranged)
        check = 98 - int(numeric) % 97
        return f"{country}{check:02d}{bban}"


def strip_accents(text: str) -> str:
    out = unicodedata.normalize("NFD", text).replace("đ", "d").replace("Đ", "D")
    out = out.replace("\u0111", "d").replace("\u0110", "D")
    return "".join(c for c in out if not unicodedata.combining(c))


def L(t: str, v: str) -> str:  # noqa: N802 - label helper
    return f"[[{t}:{v}]]"


def positives(g: Gen) -> list[str]:
    lines: list[str] = []
    for _ in range(45):
        c = g.cccd()
        lines.append(g.r.choice([
            f"Số CCCD: {L('VN_CCCD', c)}",
            f"Căn cước công dân {L('VN_CCCD', c)} cấp ngày 10/08/2021 tại Cục CSQLHC",
            f"khach hang cung cap cccd {L('VN_CCCD', c)} de xac minh",
            f"ID: {L('VN_CCCD', c)}",
            f"Người nộp hồ sơ, số định danh {L('VN_CCCD', c)}.",
            f"CCCD:{L('VN_CCCD', c)}",
            f"Citizen ID {L('VN_CCCD', c)} verified",
            f"{L('VN_CCCD', c)}",
        ]))
    for _ in range(25):
        c = g.digits(9)
        lines.append(g.r.choice([
            f"CMND số {L('VN_CMND', c)} do CA Hà Nội cấp",
            f"Số CMND: {L('VN_CMND', c)}",
            f"chung minh nhan dan {L('VN_CMND', c)}",
            f"CMT {L('VN_CMND', c)} (cũ)",
        ]))
    for _ in range(25):
        p = g.passport()
        lines.append(g.r.choice([
            f"Hộ chiếu số {L('VN_PASSPORT', p)}",
            f"Passport No: {L('VN_PASSPORT', p)}",
            f"so ho chieu {L('VN_PASSPORT', p)} het han 2030",
        ]))
    for _ in range(35):
        t = g.tax()
        if g.r.random() < 0.3:
            t = t + "-" + f"{g.r.randint(1, 999):03d}"
        lines.append(g.r.choice([
            f"Mã số thuế: {L('VN_TAX_CODE', t)}",
            f"MST {L('VN_TAX_CODE', t)}",
            f"Công ty TNHH ABC, MST: {L('VN_TAX_CODE', t)}, hóa đơn số 0001234",
            f"tax code {L('VN_TAX_CODE', t)}",
            f"ma so thue ca nhan {L('VN_TAX_CODE', t)}",
        ]))
    for _ in range(25):
        b = g.bhxh()
        lines.append(g.r.choice([
            f"Mã số BHXH: {L('VN_SOCIAL_INSURANCE', b)}",
            f"so BHXH {L('VN_SOCIAL_INSURANCE', b)}",
            f"Sổ bảo hiểm xã hội {L('VN_SOCIAL_INSURANCE', b)}",
            f"social insurance number {L('VN_SOCIAL_INSURANCE', b)}",
        ]))
    for _ in range(25):
        b = g.bhyt()
        lines.append(g.r.choice([
            f"Thẻ BHYT {L('VN_HEALTH_INSURANCE', b)} còn hạn",
            f"ma the bhyt: {L('VN_HEALTH_INSURANCE', b)}",
            f"{L('VN_HEALTH_INSURANCE', b)}",
            f"Bệnh nhân có thẻ bảo hiểm y tế {L('VN_HEALTH_INSURANCE', b)}",
        ]))
    for _ in range(50):
        _, shown = g.phone()
        lines.append(g.r.choice([
            f"SĐT: {L('VN_PHONE', shown)}",
            f"Liên hệ {L('VN_PHONE', shown)} (Zalo)",
            f"goi cho toi theo so {L('VN_PHONE', shown)} nhe",
            f"Hotline {L('VN_PHONE', shown)}",
            f"call me at {L('VN_PHONE', shown)}",
            f"{L('VN_PHONE', shown)}",
            f"khách để lại số {L('VN_PHONE', shown)} nhờ gọi lại",
        ]))
    for _ in range(25):
        p = g.plate()
        lines.append(g.r.choice([
            f"Biển số xe {L('VN_LICENSE_PLATE', p)}",
            f"xe {L('VN_LICENSE_PLATE', p)} vi phạm tốc độ",
            f"BKS: {L('VN_LICENSE_PLATE', p)}",
            f"vehicle plate {L('VN_LICENSE_PLATE', p)}",
        ]))
    for _ in range(40):
        n = g.name(accents=g.r.random() < 0.75)
        e = g.email(n)
        lines.append(g.r.choice([
            f"Email: {L('EMAIL_ADDRESS', e)}",
            f"Khách hàng {L('PERSON', n)}, email {L('EMAIL_ADDRESS', e)}",
            f"gửi hóa đơn tới {L('EMAIL_ADDRESS', e)} giúp em",
            f"contact: {L('EMAIL_ADDRESS', e)}",
        ]))
    for _ in range(40):
        c = g.card()
        lines.append(g.r.choice([
            f"Số thẻ: {L('CREDIT_CARD', c)}",
            f"card {L('CREDIT_CARD', c)} exp 12/28",
            f"thanh toán bằng thẻ {L('CREDIT_CARD', c)}",
            f"{L('CREDIT_CARD', c)}",
        ]))
    for _ in range(30):
        i = g.iban()
        lines.append(g.r.choice([
            f"IBAN: {L('IBAN_CODE', i)}",
            f"chuyển khoản quốc tế tới {L('IBAN_CODE', i)}",
            f"beneficiary account {L('IBAN_CODE', i)}",
        ]))
    for _ in range(30):
        n = g.name(accents=g.r.random() < 0.7)
        lines.append(g.r.choice([
            f"Họ tên: {L('PERSON', n)}",
            f"Ông {L('PERSON', n)} đã thanh toán",
            f"Người nhận: {L('PERSON', n)}, SĐT {L('VN_PHONE', g.phone()[1])}",
            f"Khách hàng {L('PERSON', n)} khiếu nại về đơn hàng",
            f"Bệnh nhân {L('PERSON', n.upper())} nhập viện",
        ]))
    for _ in range(30):
        a = g.address()
        a = strip_accents(a) if g.r.random() < 0.2 else a
        lines.append(g.r.choice([
            f"Địa chỉ: {L('ADDRESS', a)}",
            f"Thường trú tại {L('ADDRESS', a)}",
            f"giao hàng đến {L('ADDRESS', a)}",
        ]))
    for _ in range(30):
        d = g.dob()
        lines.append(g.r.choice([
            f"Ngày sinh: {L('DATE_OF_BIRTH', d)}",
            f"sinh ngày {L('DATE_OF_BIRTH', d)} tại Hà Nội",
            f"DOB {L('DATE_OF_BIRTH', d)}",
            f"ngay sinh {L('DATE_OF_BIRTH', d)}",
        ]))
    return lines


def negatives(g: Gen) -> list[str]:
    lines: list[str] = []
    for _ in range(40):
        lines.append(g.r.choice([
            f"Mã đơn hàng {g.bad_cccd()} đã giao",
            f"ref {g.bad_cccd()}",
            f"số hồ sơ {g.bad_cccd()}",
            f"{g.bad_cccd()}",
        ]))
    for _ in range(20):
        lines.append(g.r.choice([f"MST {g.bad_tax()}", f"mã số thuế: {g.bad_tax()}"]))
    for _ in range(30):
        ts = f"2026-{g.r.randint(1, 12):02d}-{g.r.randint(1, 28):02d}"
        lines.append(g.r.choice([
            f"{ts} 12:{g.r.randint(10, 59)}:{g.r.randint(10, 59)} INFO request done in "
            f"{g.r.randint(5, 900)} ms",
            f"{ts}T08:{g.r.randint(10, 59)}:00Z job {g.digits(6)} finished",
            f"order #{g.digits(8)} created at {ts.replace('-', '')}{g.digits(6)}",
            f"trace_id={uuid.UUID(int=g.r.getrandbits(128))}",
            f"sha256 {g.r.getrandbits(256):064x}",
            f"commit {g.r.getrandbits(160):040x}",
            f"Tổng tiền: {g.r.randint(100, 9999)}.{g.digits(3)}.000 đ",
            f"invoice INV-{g.digits(10)}-{g.digits(2)}",
            f"session {uuid.UUID(int=g.r.getrandbits(128)).hex}",
            f"epoch {g.r.randint(1_600_000_000_000, 1_800_000_000_000)}",
            f"Mã vận đơn: VN{g.digits(9)}VN",
            f"SKU AB-{g.digits(5)} còn {g.r.randint(1, 99)} sản phẩm",
        ]))
    # Invalid numbers *with* the right context words must stay negative too.
    for _ in range(20):
        lines.append(g.r.choice([f"Số CCCD: {g.bad_cccd()}", f"cccd {g.bad_cccd()} (sai)",
                                 f"Căn cước công dân {g.bad_cccd()}"]))
    for _ in range(10):
        lines.append(g.r.choice([f"Thẻ BHYT {g.bhyt()[:2]}{g.r.randint(6, 9)}"
                                 f"{g.bhyt()[3:]}", f"MST: {g.bad_tax()}-001"]))
    for _ in range(30):
        lines.append(g.r.choice([
            "Đơn hàng đã được giao thành công, cảm ơn quý khách.",
            "Hệ thống bảo trì từ 22h đến 23h tối nay.",
            "The quick brown fox jumps over the lazy dog.",
            "Vui lòng kiểm tra lại thông tin trước khi xác nhận.",
            "Báo cáo doanh thu quý 3 tăng 12% so với cùng kỳ.",
            "Le Monde a publié un article sur Hà Nội.",
            "Du lịch Hạ Long và Phú Quốc mùa hè này.",
            "Server restarted after kernel upgrade to 6.8.0-45",
            "Sản phẩm mới ra mắt tại Hà Nội và TP Hồ Chí Minh.",
            "Giá vàng hôm nay tăng 200.000 đồng/lượng.",
            "Cuộc họp dời sang 15/12, phòng 302.",
            "bảo hiểm xã hội là chính sách lớn của nhà nước",
            "Download version 2.4.1 from the release page",
            "Tỷ lệ lạm phát 3,5% trong năm 2025.",
        ]))
    return lines


def main() -> None:
    g = Gen(91)
    lines = positives(g) + negatives(g)
    g.r.shuffle(lines)
    # A few NFD-encoded lines: the detector must normalise them.
    lines = [unicodedata.normalize("NFD", ln) if i % 17 == 0 else ln
             for i, ln in enumerate(lines)]
    out = Path(__file__).with_name("generated.txt")
    out.write_text("# Generated by make_corpus.py (seed 91); do not edit by hand.\n"
                   + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} lines -> {out}")


if __name__ == "__main__":
    main()
