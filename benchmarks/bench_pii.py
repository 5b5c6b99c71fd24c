"""PII detection: auditor's detector vs plain Presidio, same corpus, same run.

The labelled corpus (``tests/pii/data``: hand-written + generated lines, Vietnamese and
English, with hard negatives) is mixed with clean lines (logs with timestamps and ids,
Vietnamese and English prose, URLs, prices, hashes, UUIDs) so that about 1 line in 10
holds personal data, as in real tables and logs. Both engines see the same lines:

- **presidio**: ``AnalyzerEngine`` with Presidio's default (predefined) recognizers and the
  same offline blank spaCy NLP engine (Presidio's own default would download a model);
- **auditor**: ``auditor.pii.PiiDetector`` with its defaults (``detect_many``), and the
  same lines through the ``auditor detect`` command handler (reading bytes, writing JSON
  Lines).

Printed: lines/s for both, the ratio, and micro-F1 (exact span and type) over all
predictions — a prediction of a type outside the labelled set (US_SSN, DATE_TIME, URL...)
counts as a false positive — plus F1 on the types both engines support. Presidio's
PHONE_NUMBER is credited as VN_PHONE when libphonenumber says the number is Vietnamese.

``--dense``: a stream where nearly every line holds personal data (a citizen register
exported to CSV, a log of form submissions): the labelled lines with personal data of the
*tuning* halves (``handwritten.txt``, ``generated.txt``, ``hard_tuning.txt``; the held-out
half stays unseen) drawn with replacement, plus generated rows (CSV, JSON, form, log and
English form lines) whose values are gold spans taken from those lines, and 5 % clean
lines / hard negatives. ``--lines`` sets its length (default 30,000).

Both wall time (``time.perf_counter``) and CPU time (``time.process_time``) are printed: on
a loaded machine the CPU-time ratio is the trustworthy figure (wall time includes the time
other processes held the cores).

``--stages``: instead of the comparison, auditor's CPU time per stage (prefilter, each
recognizer, context words, negative context, overlaps) on the chosen stream.

Usage: ``python benchmarks/bench_pii.py [--scale N] [--seed S] [--dense [--lines N]]
[--stages]``
(scale 1 ≈ 7,800 lines; fractions such as ``--scale 0.1`` for a quick run).
``main(argv) -> int``.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditor.pii import ALL_TYPES, PiiDetector  # noqa: E402
from auditor.pii.evaluation import Labelled, Scores, parse_labelled, score  # noqa: E402

__all__ = ["build_stream", "main"]

SHARED_TYPES = ("EMAIL_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "VN_PHONE",
                "PHONE_NUMBER")

_PROSE = (
    "Đơn hàng của bạn đang được chuẩn bị và sẽ sớm được giao.",
    "Chương trình khuyến mãi áp dụng đến hết tháng này cho mọi khách hàng.",
    "Hệ thống sẽ bảo trì định kỳ vào cuối tuần, mong quý khách thông cảm.",
    "Sản phẩm được bảo hành chính hãng trong vòng mười hai tháng.",
    "Báo cáo tài chính quý ba cho thấy doanh thu tăng trưởng ổn định.",
    "Cuộc họp giao ban được dời sang chiều thứ năm tại phòng họp lớn.",
    "Vui lòng kiểm tra lại thông tin trước khi bấm nút xác nhận.",
    "The deployment finished successfully and all health checks passed.",
    "Please review the attached document and send your comments by Friday.",
    "Our support team will get back to you as soon as possible.",
    "Quarterly revenue grew steadily thanks to strong demand in the region.",
    "Thời tiết hôm nay nắng nhẹ, nhiệt độ khoảng ba mươi độ.",
    "Khách phản hồi sản phẩm đúng mô tả, đóng gói cẩn thận.",
    "Nhân viên kho đã kiểm đếm xong hàng tồn cuối ngày.",
)


def _clean_line(r: random.Random) -> str:
    kind = r.randrange(10)
    ts = f"2026-{r.randint(1, 12):02d}-{r.randint(1, 28):02d} {r.randint(0, 23):02d}:" \
         f"{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"
    if kind < 3:
        return r.choice(_PROSE)
    if kind == 3:
        return f"{ts} INFO worker-{r.randint(1, 8)} processed {r.randint(1, 9999)} rows " \
               f"in {r.randint(1, 999)} ms"
    if kind == 4:
        return f"{ts} DEBUG request_id={uuid.UUID(int=r.getrandbits(128))} status=200"
    if kind == 5:
        return f"GET /api/v1/orders/{r.randint(1000, 99999)}?page={r.randint(1, 50)} HTTP/1.1"
    if kind == 6:
        return f"Giá: {r.randint(10, 999)}.{r.randint(0, 999):03d} đ, số lượng {r.randint(1, 20)}"
    if kind == 7:
        return f"commit {r.getrandbits(160):040x} merged by ci"
    if kind == 8:
        return f"https://shop.example.vn/san-pham/{r.randint(1, 99999)}-ao-thun-nam"
    return f"{r.choice(_PROSE)} {r.choice(_PROSE)}"


def build_stream(scale: float, seed: int = 7) -> list[Labelled]:
    """Corpus lines ``scale`` times (a fraction takes the first lines), plus nine clean
    lines per corpus line, shuffled."""
    data = ROOT / "tests" / "pii" / "data"
    corpus: list[Labelled] = []
    for name in ("handwritten.txt", "generated.txt"):
        corpus.extend(parse_labelled((data / name).read_text("utf-8").splitlines()))
    r = random.Random(seed)
    whole, part = int(scale), scale - int(scale)
    lines = corpus * whole + corpus[:max(0, round(part * len(corpus)))]
    lines = lines or corpus[:1]
    lines += [Labelled(_clean_line(r), ()) for _ in range(9 * len(lines))]
    r.shuffle(lines)
    return lines


_DENSE_TEMPLATES = (
    "{id},{PERSON},{VN_PHONE},{EMAIL_ADDRESS}",
    "{id};\"{PERSON}\";{VN_CCCD};{VN_PHONE}",
    '{{"id": {id}, "ho_ten": "{PERSON}", "sdt": "{VN_PHONE}", "email": "{EMAIL_ADDRESS}"}}',
    "{ts} INFO form submitted name=\"{PERSON}\" phone={VN_PHONE} email={EMAIL_ADDRESS}",
    "{ts} WARN duplicate registration cccd={VN_CCCD} phone={VN_PHONE}",
    "Họ tên: {PERSON}, SĐT: {VN_PHONE}, địa chỉ: {ADDRESS}",
    "Name: {PERSON} | Phone: {VN_PHONE} | Email: {EMAIL_ADDRESS}",
    "Khách hàng {PERSON} (CCCD {VN_CCCD}) đăng ký dịch vụ, liên hệ {EMAIL_ADDRESS}",
    "{id}\t{PERSON}\t{ADDRESS}\t{VN_PHONE}",
)
_FIELD = re.compile(r"\{([A-Za-z_]+)\}")


def _dense_row(r: random.Random, pools: dict[str, list[str]]) -> Labelled:
    template = r.choice(_DENSE_TEMPLATES).replace("{{", "\0").replace("}}", "\1")
    parts: list[str] = []
    gold: list[tuple[str, int, int]] = []
    pos = length = 0
    for m in _FIELD.finditer(template):
        before = template[pos:m.start()].replace("\0", "{").replace("\1", "}")
        parts.append(before)
        length += len(before)
        key = m.group(1)
        if key == "id":
            value = str(r.randint(1, 999999))
        elif key == "ts":
            value = f"2026-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T" \
                    f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}Z"
        else:
            value = r.choice(pools[key])
            gold.append((key, length, length + len(value)))
        parts.append(value)
        length += len(value)
        pos = m.end()
    parts.append(template[pos:].replace("\0", "{").replace("\1", "}"))
    return Labelled("".join(parts), tuple(gold))


def build_dense_stream(n: int, seed: int = 7) -> list[Labelled]:
    """``n`` lines, ≥ 90 % with personal data: tuning-half corpus lines with personal
    data, generated rows built from their gold values, 5 % clean lines and corpus lines
    without personal data (hard negatives)."""
    data = ROOT / "tests" / "pii" / "data"
    corpus: list[Labelled] = []
    for name in ("handwritten.txt", "generated.txt", "hard_tuning.txt"):
        corpus.extend(parse_labelled((data / name).read_text("utf-8").splitlines()))
    positive = [item for item in corpus if item.gold]
    negative = [item for item in corpus if not item.gold]
    pools: dict[str, list[str]] = {}
    for item in positive:
        for etype, start, end in item.gold:
            value = item.text[start:end]
            if "\t" not in value and '"' not in value and ";" not in value:
                pools.setdefault(etype, []).append(value)
    for etype, values in pools.items():
        pools[etype] = sorted(set(values))
    r = random.Random(seed)
    lines: list[Labelled] = []
    for i in range(n):
        roll = r.random()
        if roll < 0.05:
            lines.append(r.choice(negative) if i % 2 else Labelled(_clean_line(r), ()))
        elif roll < 0.55:
            lines.append(r.choice(positive))
        else:
            lines.append(_dense_row(r, pools))
    return lines


def _presidio_engine() -> object:
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

    from auditor.pii.engine import OfflineSpacyNlpEngine

    nlp = OfflineSpacyNlpEngine()
    nlp.load()
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp)
    return AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=["en"])


def _presidio_type(text: str, etype: str) -> str:
    import phonenumbers

    if etype == "PHONE_NUMBER":
        try:
            number = phonenumbers.parse(text, "VN")
        except phonenumbers.NumberParseException:
            return etype
        return "VN_PHONE" if phonenumbers.region_code_for_number(number) == "VN" else etype
    if etype == "LOCATION":
        return "ADDRESS"
    return etype if etype in ALL_TYPES else f"OTHER:{etype}"


def _report(name: str, seconds: float, cpu: float, n: int, s: Scores) -> None:
    shared = s.f1(SHARED_TYPES)
    print(f"{name:9} {n / seconds:10.0f} lines/s wall ({seconds:6.2f} s), "
          f"{n / cpu:8.0f} lines/s CPU ({cpu:6.2f} s)  F1 all={s.f1():.3f}  "
          f"F1 shared types={shared:.3f}")


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = _clock()
    return wall - start[0], max(cpu - start[1], 1e-9)


def _stages(texts: list[str]) -> int:
    """CPU time per stage of the detector over ``texts`` (each stage wrapped by a timer;
    the wrappers add a little to the total)."""
    from auditor.pii import detector as detector_module
    from auditor.pii import scan

    detector = PiiDetector()
    for text in texts[:50]:
        detector.detect(text)
    spent: dict[str, float] = {}
    clock = time.process_time

    def timed(owner: object, attr: str, key: str) -> None:
        inner = getattr(owner, attr)

        def wrapper(*args: object, **kwargs: object) -> object:
            t0 = clock()
            try:
                return inner(*args, **kwargs)
            finally:
                spent[key] = spent.get(key, 0.0) + clock() - t0

        setattr(owner, attr, wrapper)

    engine = detector._analyzer
    for recognizer in engine._recognizers:
        timed(recognizer, "analyze", f"recognizer {recognizer.name}")
    timed(engine, "_enhance", "context words")
    timed(detector._prefilter, "candidates", "prefilter")
    timed(detector, "_drop_negative", "negative context")
    timed(detector_module, "_resolve", "overlap resolution")
    timed(scan, "remove_contained", "same-type duplicates")
    t0 = clock()
    for text in texts:
        detector.detect(text)
    total = clock() - t0
    print(f"auditor: {1e6 * total / len(texts):.1f} µs CPU per line over {len(texts)} lines")
    for key, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        if seconds / total >= 0.001:
            print(f"  {key:42} {1e6 * seconds / len(texts):7.1f} µs  "
                  f"{100 * seconds / total:5.1f} %")
    print(f"  {'rest (detect(), NFC, wrappers)':42} "
          f"{1e6 * (total - sum(spent.values())) / len(texts):7.1f} µs")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="corpus repetitions, fractions allowed (default 1)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dense", action="store_true",
                        help="dense stream: >= 90%% of lines hold personal data")
    parser.add_argument("--lines", type=int, default=30000,
                        help="lines of the dense stream (default 30000)")
    parser.add_argument("--no-presidio", action="store_true",
                        help="skip plain Presidio (quick runs while profiling)")
    parser.add_argument("--stages", action="store_true",
                        help="print auditor's CPU time per stage (prefilter, each "
                             "recognizer, context, overlaps) instead of the comparison")
    # NOTE: nox passes the same extra arguments to every benchmark; ignore foreign ones.
    args, _unknown = parser.parse_known_args(argv)
    if args.dense:
        stream = build_dense_stream(max(10, args.lines), args.seed)
    else:
        stream = build_stream(max(0.01, args.scale), args.seed)
    texts = [item.text for item in stream]
    with_pd = sum(1 for i in stream if i.gold)
    print(f"{len(texts)} lines, {with_pd} with personal data ({100 * with_pd / len(texts):.1f} %)")

    if args.stages:
        return _stages(texts)

    import presidio_analyzer  # noqa: F401 - import once, outside both start-up timings

    import auditor.pii.engine  # noqa: F401

    t0 = time.perf_counter()
    detector = PiiDetector()
    detector.detect("warm-up 0912345678 an@example.vn")
    startup = time.perf_counter() - t0
    # NOTE: both engines load some data on first use (phone metadata, regexes); warm both
    # up on the same corpus lines, outside the timings.
    warm = [item.text for item in build_stream(0.05, args.seed + 1)][:40]
    for text in warm:
        detector.detect(text)
    t0c = _clock()
    ours = [[(e.type, e.start, e.end) for e in found] for found in detector.detect_many(texts)]
    ours_s, ours_cpu = _since(t0c)

    # The same lines through the ``auditor detect`` command handler (JSON Lines out).
    import io

    from auditor.cli.commands.detect import run as detect_command

    data = ("\n".join(texts) + "\n").encode("utf-8")
    out = io.StringIO()
    t0c = _clock()
    detect_command(argparse.Namespace(file="-", types=None, threshold=0.5, context=[],
                                      hits_only=False, jobs=1),
                   stdin=io.BytesIO(data), stdout=out)
    command_s, command_cpu = _since(t0c)
    ours_scores = score(stream, ours)
    if args.no_presidio:
        print(f"start-up after imports: auditor {startup:.2f} s")
        _report("auditor", ours_s, ours_cpu, len(texts), ours_scores)
        print(f"{'  (auditor detect command, JSON Lines out)':44} "
              f"{len(texts) / command_s:.0f} lines/s wall, {len(texts) / command_cpu:.0f} CPU")
        return 0

    t0 = time.perf_counter()
    engine = _presidio_engine()
    engine.analyze(text="warm-up 0912345678 an@example.vn", language="en")  # type: ignore[attr-defined]
    presidio_startup = time.perf_counter() - t0
    for text in warm:
        engine.analyze(text=text, language="en")  # type: ignore[attr-defined]
    t0c = _clock()
    theirs = []
    for text in texts:
        found = engine.analyze(text=text, language="en")  # type: ignore[attr-defined]
        theirs.append([(_presidio_type(text[r.start:r.end], r.entity_type), r.start, r.end)
                       for r in found])
    theirs_s, theirs_cpu = _since(t0c)

    theirs_scores = score(stream, theirs)
    print(f"start-up after imports: auditor {startup:.2f} s, presidio {presidio_startup:.2f} s")
    _report("auditor", ours_s, ours_cpu, len(texts), ours_scores)
    print(f"{'  (auditor detect command, JSON Lines out)':44} "
          f"{len(texts) / command_s:.0f} lines/s wall, {len(texts) / command_cpu:.0f} CPU")
    _report("presidio", theirs_s, theirs_cpu, len(texts), theirs_scores)
    print(f"throughput ratio auditor/presidio: CPU time {theirs_cpu / ours_cpu:.1f}x "
          f"(the trustworthy figure on a loaded machine), wall time {theirs_s / ours_s:.1f}x")
    worst = sorted(theirs_scores.fp.items(), key=lambda kv: -kv[1])[:5]
    print("presidio's most frequent false positives:", ", ".join(f"{k}={v}" for k, v in worst))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
