"""Draws the PWA icons without any imaging library: `python -m tests.driver.icon_art` rewrites them.

A white lightning bolt on Chargeway green; "any" icons have rounded corners, "maskable" ones are full
bleed with the bolt inside the 80 % safe zone. test_pwa.py checks the committed files match this drawing.
"""
import math
import struct
import zlib
from pathlib import Path

ICON_DIR = Path(__file__).resolve().parents[2] / "webapp" / "static" / "icons"
GREEN = (0x0B, 0x7A, 0x4B)
BOLT = [(0.57, 0.08), (0.25, 0.55), (0.47, 0.55), (0.40, 0.92), (0.76, 0.42), (0.54, 0.42), (0.63, 0.08)]
SUB = 4  # sub-rows per pixel row (anti-aliasing)


def _coverage(polygon: list[tuple[float, float]], size: int) -> list[float]:
    """Fraction of each pixel inside `polygon` (pixel coordinates), by scanlines with SUB rows per pixel."""
    cover = [0.0] * (size * size)
    edges = list(zip(polygon, polygon[1:] + polygon[:1]))
    for sub_row in range(size * SUB):
        y = (sub_row + 0.5) / SUB
        xs = sorted(x0 + (y - y0) * (x1 - x0) / (y1 - y0) for (x0, y0), (x1, y1) in edges
                    if (y0 <= y < y1) or (y1 <= y < y0))
        row = int(y) * size
        for a, b in zip(xs[::2], xs[1::2]):
            a, b = max(0.0, a), min(float(size), b)
            for px in range(int(a), min(size, int(math.ceil(b)))):
                cover[row + px] += (min(b, px + 1) - max(a, px)) / SUB
    return cover


def _rounded_square(size: int, radius: float) -> list[tuple[float, float]]:
    points = []
    for cx, cy, start in ((size - radius, radius, -90), (size - radius, size - radius, 0),
                          (radius, size - radius, 90), (radius, radius, 180)):
        for step in range(13):
            angle = math.radians(start + step * 7.5)
            points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def draw(size: int, maskable: bool) -> bytes:
    """The icon as PNG bytes (RGBA, deterministic)."""
    background = [1.0] * (size * size) if maskable else _coverage(_rounded_square(size, size * 0.2), size)
    scale, offset = (0.6, 0.2) if maskable else (0.8, 0.1)
    bolt = _coverage([((offset + x * scale) * size, (offset + y * scale) * size) for x, y in BOLT], size)
    raw = bytearray()
    for y in range(size):
        raw.append(0)  # filter: none
        for x in range(size):
            b, a = min(1.0, bolt[y * size + x]), min(1.0, background[y * size + x])
            raw.extend(round(c + (255 - c) * b) for c in GREEN)
            raw.append(round(255 * a))
    return _png(size, size, bytes(raw))


def _png(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


ICONS = {f"icon-{s}.png": (s, False) for s in (192, 512)} | {f"maskable-{s}.png": (s, True) for s in (192, 512)}


def main() -> None:
    ICON_DIR.mkdir(parents=True, exist_ok=True)
    for name, (size, maskable) in ICONS.items():
        (ICON_DIR / name).write_bytes(draw(size, maskable))
        print("wrote", ICON_DIR / name)


if __name__ == "__main__":
    main()
