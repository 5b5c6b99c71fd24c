"""A dependency-free PNG bar chart (zlib + struct) for documents that cannot hold SVG
(DOCX). Bars only; the labels and numbers go in the caption or a table next to it, so no
font is needed and the output is byte-for-byte deterministic."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

__all__ = ["bar_chart_png"]


def _rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def bar_chart_png(values: Sequence[tuple[int, str]], *, width: int = 480,
                  bar_height: int = 22, gap: int = 10) -> bytes:
    """Horizontal bars, one per ``(value, "#rrggbb")``, scaled to the largest value, on a
    white background with a light axis line."""
    height = gap + len(values) * (bar_height + gap)
    top = max((v for v, _ in values), default=0) or 1
    usable = width - 20
    rows = []
    for y in range(height):
        row = bytearray(b"\xff\xff\xff" * width)
        for x in range(8, 10):  # the axis
            row[x * 3:x * 3 + 3] = bytes((156, 163, 175))
        index, offset = divmod(y - gap, bar_height + gap)
        if y >= gap and 0 <= index < len(values) and offset < bar_height:
            value, color = values[index]
            length = round(usable * value / top) if value else 0
            pixel = bytes(_rgb(color))
            row[10 * 3:(10 + length) * 3] = pixel * length
        rows.append(b"\x00" + bytes(row))
    raw = b"".join(rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b""))
