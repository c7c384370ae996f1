"""Formatting integer minor units for people."""

SYMBOLS = {"INR": "₹", "EUR": "€", "USD": "$", "GBP": "£", "NGN": "₦"}


def format_money(amount: int | None, currency: str = "INR") -> str:
    amount = amount or 0
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(amount), 100)
    return f"{sign}{SYMBOLS.get(currency, currency + ' ')}{major:,}.{minor:02d}"
