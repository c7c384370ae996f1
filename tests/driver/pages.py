"""Reading the driver pages in tests."""
import re
from html import unescape


def station_cards(html: str) -> list[dict]:
    """Station cards of the finder, in page order."""
    cards = []
    for block in re.findall(r'<article class="card station"(.*?)</article>', html, re.S):
        cards.append({
            "id": int(re.search(r'data-station="(\d+)"', block).group(1)),
            "name": unescape(re.search(r'<h2><a [^>]*>(.*?)</a>', block).group(1)),
            "open": re.search(r'data-open="(true|false)"', block).group(1) == "true",
            "available": int(re.search(r'data-available="(\d+)"', block).group(1)),
            "distance": (m.group(1) if (m := re.search(r'class="distance">([^<]+)<', block)) else None),
        })
    return cards


def text(html: str) -> str:
    """Visible text, whitespace collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def fragment_headers(target: str) -> dict:
    return {"HX-Request": "true", "HX-Target": target}
