"""Money for people: formatting integer minor units, and reading an amount someone typed."""
import re

from .services.errors import InvalidInput

SYMBOLS = {"INR": "₹", "EUR": "€", "USD": "$", "GBP": "£", "NGN": "₦"}


def format_money(amount: int | None, currency: str = "INR") -> str:
    amount = amount or 0
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(amount), 100)
    return f"{sign}{SYMBOLS.get(currency, currency + ' ')}{major:,}.{minor:02d}"


#: Thousands grouping, western (1,234,567) or Indian (12,34,567): the last group has three digits.
_GROUPED = re.compile(r"^[1-9]\d{0,2}(?:[,.]\d{2,3})*[,.]\d{3}$")


def parse_money(text, field: str = "amount", label: str = "Amount") -> int:
    """An amount typed in major units -> minor units: "12", "0.10", "0,10" (ten paise either way), "1,234.50",
    "1.234,50", Indian grouping "1,23,456". One separator followed by exactly three digits ("1,234") could be a
    thousands separator or a decimal point, so it is refused rather than guessed (per-field InvalidInput)."""
    raw = re.sub(r"\s+", "", str(text or ""))
    raw = raw.lstrip("".join(SYMBOLS.values()))
    if not raw:
        raise InvalidInput(f"{label} is required.", {"field": field})
    if not re.fullmatch(r"[\d.,]+", raw) or not raw[0].isdigit():
        raise InvalidInput(f"{label} must be an amount such as 18 or 18.50 (not negative).", {"field": field})
    separators = [c for c in raw if c in ".,"]
    whole, fraction = raw, ""
    if separators:
        last = max(raw.rfind("."), raw.rfind(","))
        tail = raw[last + 1:]
        if len(set(separators)) == 2 or (len(separators) == 1 and len(tail) in (1, 2)):
            whole, fraction = raw[:last], tail  # the last separator is the decimal point
        elif len(separators) == 1 and len(tail) == 3 and _GROUPED.match(raw):
            plain = raw.replace(",", "").replace(".", "")
            raise InvalidInput(f"{label} must be an amount such as 18 or 18.50: {raw} is ambiguous (thousands or "
                               f"decimals?); write {plain}.00, or at most two decimals.", {"field": field})
        elif len(separators) == 1:
            raise InvalidInput(f"{label} has at most two decimals.", {"field": field})
        if whole and any(c in ".," for c in whole) and (
                not _GROUPED.match(whole) or len(set(c for c in whole if c in ".,")) > 1):
            raise InvalidInput(f"{label} {raw} is not an amount we can read.", {"field": field})
        if not (1 <= len(fraction) <= 2 or fraction == "") or not fraction.isdigit() and fraction:
            raise InvalidInput(f"{label} has at most two decimals.", {"field": field})
    digits = re.sub(r"[.,]", "", whole)
    if not digits or len(digits) > 9:
        raise InvalidInput(f"{label} must be an amount such as 18 or 18.50 (not negative).", {"field": field})
    return int(digits) * 100 + int((fraction + "00")[:2])
