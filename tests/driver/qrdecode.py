"""Turn a qrcode SvgPathImage back into pixels and read it with zxing-cpp, as a phone camera would."""
import re

import zxingcpp

SCALE = 6


def decode_svg(svg: str) -> str:
    """The text of the QR code drawn by `svg` (one 1x1 square per dark module)."""
    size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))
    modules = {(int(x), int(y)) for x, y in re.findall(r"M(\d+),(\d+)H", svg)}
    assert modules, "no modules in the SVG"
    width = size * SCALE
    pixels = bytearray(b"\xff" * width * width)
    for x, y in modules:
        for dy in range(SCALE):
            start = (y * SCALE + dy) * width + x * SCALE
            pixels[start:start + SCALE] = b"\x00" * SCALE
    result = zxingcpp.read_barcode(memoryview(bytes(pixels)).cast("B", (width, width)))
    assert result is not None and result.valid, "zxing-cpp could not read the QR code"
    return result.text
