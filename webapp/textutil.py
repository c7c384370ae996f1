"""Text helpers: strings from chargers made storable (PostgreSQL refuses NUL, UTF-8 unpaired surrogates)."""

REPLACEMENT = "\ufffd"


def clean_text(text: str) -> str:
    """`text` with each NUL and unpaired surrogate replaced by U+FFFD; anything else kept."""
    if "\x00" in text:
        text = text.replace("\x00", REPLACEMENT)
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return "".join(REPLACEMENT if "\ud800" <= ch <= "\udfff" else ch for ch in text)


def clip(text: str | None, length: int) -> str | None:
    """`text` cleaned and cut to at most `length` characters (None stays None)."""
    return None if text is None else clean_text(text[:length])
