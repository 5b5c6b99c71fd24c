"""Generate ``hard_tuning.txt`` and ``hard_heldout.txt``: the hard forms of issue 14.

Run from the repository root: ``python tests/pii/data/make_hard.py``. Both outputs are
committed; the generator is kept so the corpus can be reviewed and regenerated.

Hard forms: unaccented (ASCII-folded) names and addresses, ``key: value`` and form text,
JSON objects, values inside SQL literals and CSV cells, tax codes with the 3-digit branch
suffix, 9-digit CMND next to other 9-digit numbers (transaction ids, order numbers),
Vietnamese phones next to other digit runs, street-level addresses; plus decoys of the
same shapes (organisation names, lists of administrative units, service numbers).

**Split.** The two halves share the templates but not the values: given names, middle
names, streets and wards are split into two disjoint pools, and the halves use different
seeds, so a rule tuned on ``hard_tuning.txt`` is measured on names and streets it never
saw. ``tests/pii/test_hard_forms.py`` enforces the floors on the held-out half only;
``python -m tests.pii.hard_report`` prints the per-type table for both halves.

Label conventions are those of ``handwritten.txt``: PERSON is the full name without
honorifics; ADDRESS runs from the house number or street to the last administrative unit;
VN_TAX_CODE includes its branch suffix.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_corpus import Gen, L, strip_accents

GIVEN = ["An", "Bình", "Châu", "Dũng", "Hà", "Hải", "Hạnh", "Hùng", "Hương", "Khánh", "Lan",
         "Linh", "Long", "Mai", "Nam", "Nga", "Phong", "Phương", "Quân", "Sơn", "Tâm",
         "Thảo", "Trang", "Tuấn", "Vy", "Yến", "Hiếu", "Nhung", "Đạt", "Tú", "Hoa", "Huy",
         "Khoa", "Loan", "Minh", "Ngân", "Oanh", "Quỳnh", "Thắng", "Thủy", "Trí", "Uyên",
         "Việt", "Xuân", "Bảo", "Cường", "Diệp", "Giang", "Hiền", "Kiên", "Lộc", "My",
         "Nhân", "Phúc", "Quang", "Tài", "Thơ", "Toàn", "Vân", "Yên"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Ngọc", "Hữu", "Thanh", "Quốc", "Thu", "Gia", "Hoài",
          "Kim", "Bảo", "Xuân", "Anh", "Thùy", "Công", "Mạnh", "Phương", "Quang"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
            "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trương", "Lâm", "Mai",
            "Cao", "Tạ", "Hà", "Lưu", "Châu", "Tô", "Quách", "Trịnh", "Đoàn", "La"]
STREETS = ["Lê Lợi", "Nguyễn Huệ", "Trần Hưng Đạo", "Lý Thường Kiệt", "Điện Biên Phủ",
           "Phan Chu Trinh", "Nguyễn Trãi", "Láng Hạ", "Hoàng Diệu", "Lê Văn Sỹ",
           "Trần Duy Hưng", "Hoàng Quốc Việt", "Nguyễn Thị Minh Khai", "Võ Văn Tần",
           "Pasteur", "Bạch Đằng", "Quang Trung", "Lạc Long Quân", "Tôn Đức Thắng",
           "Phạm Văn Đồng", "Nguyễn Văn Cừ", "Kim Mã", "Xuân Thủy", "Cộng Hòa"]
WARDS = ["Bến Nghé", "Bến Thành", "Tân Định", "Đa Kao", "Cầu Ông Lãnh", "Hàng Bài",
         "Tràng Tiền", "Láng Thượng", "Dịch Vọng", "Thạc Gián", "Hải Châu", "Ninh Kiều",
         "Phú Nhuận", "Tân Sơn Nhì", "Ô Chợ Dừa", "Nghĩa Đô", "Mỹ An", "An Khánh",
         "Tân Phong", "Xuân Hòa"]
DISTRICTS = ["Quận 1", "Quận 3", "Quận 10", "quận Hoàn Kiếm", "quận Đống Đa", "quận Cầu Giấy",
             "quận Hải Châu", "huyện Củ Chi", "quận Ninh Kiều", "huyện Đông Anh"]
CITIES = ["TP Hồ Chí Minh", "Hà Nội", "TP. Hồ Chí Minh", "thành phố Đà Nẵng", "TP Cần Thơ",
          "tỉnh Nghệ An", "tỉnh Lâm Đồng", "TP.HCM", "Hải Phòng", "tỉnh Khánh Hòa"]
LANES = ["ngõ", "hẻm", "kiệt", "ngách"]


def _half(items: list[str], which: int) -> list[str]:
    return items[which::2]


class Hard(Gen):
    """Values from one half of the pools (``which`` 0 = tuning, 1 = held-out)."""

    def __init__(self, seed: int, which: int) -> None:
        super().__init__(seed)
        self.given = _half(GIVEN, which)
        self.middle = _half(MIDDLE, which)
        self.streets = _half(STREETS, which)
        self.wards = _half(WARDS, which)

    def vname(self, accents: bool) -> str:
        parts = [self.r.choice(SURNAMES)]
        if self.r.random() < 0.85:
            parts.append(self.r.choice(self.middle))
        parts.append(self.r.choice(self.given))
        if self.r.random() < 0.15:
            parts.append(self.r.choice(self.given))
        text = " ".join(parts)
        text = text if accents else strip_accents(text)
        return text.upper() if self.r.random() < 0.15 else text

    def street(self) -> str:
        n = self.r.randint(1, 399)
        kind = self.r.randint(0, 4)
        if kind == 0:
            return f"{n} {self.r.choice(self.streets)}"
        if kind == 1:
            return f"{n}/{self.r.randint(1, 60)} {self.r.choice(self.streets)}"
        if kind == 2:
            return f"số {n} {self.r.choice(LANES)} {self.r.randint(1, 200)} " \
                   f"{self.r.choice(self.streets)}"
        if kind == 3:
            return f"{n} đường {self.r.choice(self.streets)}"
        return f"Số {n} {self.r.choice(self.streets)}"

    def addr(self, accents: bool) -> str:
        street = self.street()
        form = self.r.randint(0, 3)
        if form == 0:
            text = f"{street}, phường {self.r.choice(self.wards)}, " \
                   f"{self.r.choice(DISTRICTS)}, {self.r.choice(CITIES)}"
        elif form == 1:
            text = f"{street}, Phường {self.r.choice(self.wards)}, {self.r.choice(CITIES)}"
        elif form == 2:
            text = f"{street}, P. {self.r.choice(self.wards)}, Q.{self.r.randint(1, 12)}, " \
                   f"{self.r.choice(['TP.HCM', 'TP HCM', 'Tp. Hồ Chí Minh'])}"
        else:
            text = f"{street}, {self.r.choice(DISTRICTS)}, {self.r.choice(CITIES)}"
        return text if accents else strip_accents(text)

    def cmnd(self) -> str:
        return f"{self.r.randint(1, 38):02d}" + self.digits(7)

    def branch_tax(self) -> str:
        return f"{self.tax()}-{self.r.randint(1, 999):03d}"


def positives(g: Hard) -> list[str]:
    out: list[str] = []
    r = g.r

    def acc() -> bool:
        return r.random() < 0.4

    for _ in range(50):  # key: value and form text
        n, p, c = g.vname(acc()), g.phone()[1], g.cccd()
        out.append(r.choice([
            f"Ho ten: {L('PERSON', n)}",
            f"ho_ten={L('PERSON', n)}; sdt={L('VN_PHONE', p)}",
            f"Họ và tên: {L('PERSON', n)} | CCCD: {L('VN_CCCD', c)}",
            f"Name: {L('PERSON', n)}, Phone: {L('VN_PHONE', p)}",
            f"Nguoi nhan: {L('PERSON', n)} - {L('VN_PHONE', p)}",
            f"Ten khach hang: {L('PERSON', n)}",
            f"full_name: {L('PERSON', n)}",
            f"Người liên hệ: {L('PERSON', n)}",
            f"Chu tai khoan: {L('PERSON', n)}",
            f"HO TEN NGUOI BENH: {L('PERSON', n)}",
        ]))
    for _ in range(30):  # JSON
        n, p, c = g.vname(acc()), g.phone()[1], g.cccd()
        out.append(r.choice([
            f'{{"ho_ten": "{L("PERSON", n)}", "sdt": "{L("VN_PHONE", p)}"}}',
            f'{{"name": "{L("PERSON", n)}", "cccd": "{L("VN_CCCD", c)}"}}',
            f'{{"customer": {{"fullName": "{L("PERSON", n)}", "phone": "{L("VN_PHONE", p)}"}}}}',
            f'{{"id": {r.randint(1, 9999)}, "hoTen": "{L("PERSON", n)}"}}',
        ]))
    for _ in range(45):  # SQL literals
        n, p, c, a = g.vname(acc()), g.phone()[0], g.cccd(), g.addr(acc())
        i = r.randint(1, 99999)
        out.append(r.choice([
            f"INSERT INTO khach_hang VALUES ({i}, '{L('PERSON', n)}', '{L('VN_PHONE', p)}', "
            f"'{L('VN_CCCD', c)}');",
            f"INSERT INTO `nhan_vien` (`id`,`ho_ten`,`dia_chi`) VALUES ({i},'{L('PERSON', n)}',"
            f"'{L('ADDRESS', a)}');",
            f"({i}, '{L('PERSON', n)}', '{L('ADDRESS', a)}', '{L('VN_PHONE', p)}'),",
            f"UPDATE customers SET full_name = '{L('PERSON', n)}' WHERE id = {i};",
            f"INSERT INTO benh_nhan (ho_ten, cmnd) VALUES ('{L('PERSON', n)}', "
            f"'{L('VN_CMND', g.cmnd())}');",
        ]))
    for _ in range(45):  # CSV cells
        n, p, c, a = g.vname(acc()), g.phone()[0], g.cccd(), g.addr(acc())
        i = r.randint(1, 99999)
        out.append(r.choice([
            f'{i},"{L("PERSON", n)}",{L("VN_PHONE", p)},{L("VN_CCCD", c)}',
            f'{i};{L("PERSON", n)};{L("VN_PHONE", p)};"{L("ADDRESS", a)}"',
            f'"{L("PERSON", n)}","{L("ADDRESS", a)}",{L("VN_PHONE", p)}',
            f'{i}\t{L("PERSON", n)}\t{L("VN_CCCD", c)}',
            f'{i}|{L("PERSON", n)}|{L("EMAIL_ADDRESS", g.email(n))}',
        ]))
    for _ in range(40):  # tax codes with a branch suffix
        t = g.branch_tax()
        out.append(r.choice([
            f"MST: {L('VN_TAX_CODE', t)}",
            f"ma so thue chi nhanh {L('VN_TAX_CODE', t)}",
            f"Mã số thuế đơn vị phụ thuộc: {L('VN_TAX_CODE', t)}",
            f"tax_code={L('VN_TAX_CODE', t)}",
            f"'{L('VN_TAX_CODE', t)}',",
            f"Chi nhánh Đà Nẵng - MST {L('VN_TAX_CODE', t)} - hóa đơn 0000123",
        ]))
    for _ in range(40):  # 9-digit CMND with context
        c = g.cmnd()
        out.append(r.choice([
            f"CMND: {L('VN_CMND', c)}",
            f"so cmnd {L('VN_CMND', c)} cap nam 2009",
            f"Số CMT {L('VN_CMND', c)}",
            f"chứng minh nhân dân số {L('VN_CMND', c)}",
            f"cmnd={L('VN_CMND', c)}",
            f'{{"cmnd": "{L("VN_CMND", c)}"}}',
        ]))
    for _ in range(50):  # phones in unusual forms and places
        nat, shown = g.phone()
        pretty = r.choice([f"({nat[:4]}) {nat[4:7]} {nat[7:]}", f"{nat[:4]}-{nat[4:7]}-{nat[7:]}",
                           f"+84 {nat[1:4]} {nat[4:7]} {nat[7:]}", f"(+84) {nat[1:]}", shown])
        out.append(r.choice([
            f"sdt {L('VN_PHONE', pretty)}",
            f"lh {L('VN_PHONE', pretty)} gap chi",
            f"Điện thoại: {L('VN_PHONE', pretty)}",
            f"tel:{L('VN_PHONE', nat)}",
            f"ĐT/Zalo: {L('VN_PHONE', pretty)}",
            f"{L('VN_PHONE', pretty)} (Zalo)",
            f"phone={L('VN_PHONE', nat)}&ref=fb",
            f"Gọi {L('VN_PHONE', pretty)} trước khi giao",
        ]))
    for _ in range(45):  # street-level addresses (with and without units)
        a = g.addr(acc())
        s = g.street()
        s = s if acc() else strip_accents(s)
        out.append(r.choice([
            f"Dia chi: {L('ADDRESS', a)}",
            f"dc: {L('ADDRESS', a)}",
            f"Giao toi {L('ADDRESS', a)}",
            f"Địa chỉ thường trú: {L('ADDRESS', a)}",
            f"address: {L('ADDRESS', a)}",
            f"Địa chỉ: {L('ADDRESS', s)}",
            f"dia_chi={L('ADDRESS', s)}",
        ]))
    for _ in range(35):  # unaccented names in prose
        n = g.vname(False)
        out.append(r.choice([
            f"khach hang {L('PERSON', n)} goi den phan nan",
            f"Anh {L('PERSON', n)} da chuyen khoan",
            f"benh nhan {L('PERSON', n)} tai kham ngay mai",
            f"Nhan vien {L('PERSON', n)} xu ly ticket",
            f"gui cho {L('PERSON', n)} nhe",
            f"em la {L('PERSON', n)}, lop 12A1",
        ]))
    return out


def negatives(g: Hard) -> list[str]:
    out: list[str] = []
    r = g.r
    for _ in range(40):  # 9-digit numbers that are not CMND
        d = g.digits(9)
        out.append(r.choice([
            f"Ma giao dich: {d}",
            f"transaction id {d}",
            f"txn_id={d}",
            f"Mã đơn hàng {d} đã xác nhận",
            f"order_id: {d}",
            f"INSERT INTO orders VALUES ({d}, 'PAID', 150000);",
            f"{r.randint(1, 999)},{d},DONE",
            f"So hoa don {d}",
            f"ref no {d}",
        ]))
    for _ in range(40):  # digit runs that are not phones
        out.append(r.choice([
            f"Tổng tiền: {r.randint(1, 99)}.{g.digits(3)}.{g.digits(3)} VND",
            f"amount={r.randint(10_000_000, 999_999_999)}",
            f"created_at={r.randint(1_600_000_000, 1_800_000_000)}",
            f"So tai khoan 0{g.digits(12)} tai Vietcombank",
            f"Mã vạch 893{g.digits(10)}",
            f"Ma van don SPXVN0{g.digits(11)}",
            f"order_no=DH09{g.digits(8)}",
            f"hotline 1900 {g.digits(4)}",
            f"tong dai 1800{g.digits(4)} (mien phi)",
            f"version 0.{r.randint(1, 9)}.{r.randint(10, 99)}",
            f"Số seri 09{g.digits(8)}-X",
        ]))
    for _ in range(35):  # organisations, places and lists of units
        s = r.choice(STREETS)
        ward = r.choice(WARDS)
        out.append(r.choice([
            f"Cong ty TNHH {strip_accents(r.choice(SURNAMES))} Phat",
            f"Truong THPT {strip_accents(s)}",
            f"Trường Tiểu học {s}",
            f"Benh vien {strip_accents(s)}",
            f"Danh sach phuong: {strip_accents(ward)}, {strip_accents(r.choice(WARDS))}",
            f"Phường {ward} có {r.randint(5, 40)} tổ dân phố",
            f"INSERT INTO don_vi_hanh_chinh VALUES ({r.randint(1, 999)}, 'Phường {ward}');",
            f"duong {strip_accents(s)} dang sua, tranh di qua",
            f"Tuyến phố {s} cấm xe tải từ 6h",
            f"{r.randint(1, 99)},\"Phòng khám Đa khoa {s}\",\"hoạt động\"",
            "Danh sách tỉnh: Hà Nội, Hải Phòng, Đà Nẵng, TP Hồ Chí Minh",
            "Chi nhánh miền Nam phụ trách TP HCM và Cần Thơ",
        ]))
    for _ in range(20):  # tax-shaped negatives
        bad = g.bad_tax()
        out.append(r.choice([f"MST: {bad}-001", f"mst {g.tax()}-000", f"Mã {bad}"]))
    return out


def unseen(g: Hard) -> list[str]:
    """Held-out only: phrasings no tuning line uses (written before the detector was
    run on them), so the held-out half also measures forms, not only values."""
    out: list[str] = []
    r = g.r
    for _ in range(60):
        n, p, c = g.vname(r.random() < 0.4), g.phone()[0], g.cccd()
        a, t, m = g.addr(r.random() < 0.4), g.branch_tax(), g.cmnd()
        out.append(r.choice([
            f"Khach: {L('PERSON', n)} / DT: {L('VN_PHONE', p)} / DC: {L('ADDRESS', a)}",
            f"<td>{L('PERSON', n)}</td><td>{L('VN_PHONE', p)}</td>",
            f"ten_kh='{L('PERSON', n)}' and sdt_kh='{L('VN_PHONE', p)}'",
            f"[{r.randint(1, 99)}] {L('PERSON', n)} - CCCD {L('VN_CCCD', c)}",
            f"so_cmnd: '{L('VN_CMND', m)}'",
            f"\"{r.randint(1, 999)}\",\"{L('PERSON', n)}\",\"{L('VN_TAX_CODE', t)}\"",
            f"Đơn vị: chi nhánh {r.randint(1, 9)}, mã số thuế {L('VN_TAX_CODE', t)}",
            f"Người mua hàng: {L('PERSON', n)}; Địa chỉ: {L('ADDRESS', a)}",
            f"nguoi dai dien: {L('PERSON', n)} (sdt {L('VN_PHONE', p)})",
            f"- Họ tên chủ hộ: {L('PERSON', n)}",
            f"COPY row: {r.randint(1, 999)}\t{L('PERSON', n)}\t{L('VN_PHONE', p)}",
            f"Noi o hien tai: {L('ADDRESS', a)}",
        ]))
    for _ in range(30):
        d = g.digits(9)
        out.append(r.choice([
            f"payment_ref: {d}",
            f"Số giao dịch {d} thành công",
            f"(\"{d}\", \"SUCCESS\", {r.randint(1, 9)}00000)",
            f"request {d} took {r.randint(1, 900)} ms",
            f"Lô hàng {d} nhập kho",
            f"Mã tra cứu hóa đơn: {d}",
            f"Trường Mầm non {r.choice(STREETS)} tuyển sinh",
            f"Bệnh viện {r.choice(STREETS)} khám miễn phí",
        ]))
    return out


def build(seed: int, which: int) -> list[str]:
    g = Hard(seed, which)
    lines = positives(g) + negatives(g) + (unseen(g) if which else [])
    g.r.shuffle(lines)
    return lines


def main() -> None:
    here = Path(__file__).resolve().parent
    for name, seed, which in (("hard_tuning.txt", 1401, 0), ("hard_heldout.txt", 1402, 1)):
        lines = build(seed, which)
        (here / name).write_text(
            f"# Generated by make_hard.py (seed {seed}, pool {which}); do not edit by hand.\n"
            + "\n".join(lines) + "\n", encoding="utf-8")
        print(f"{len(lines)} lines -> {name}")


if __name__ == "__main__":
    random.seed(0)
    main()
