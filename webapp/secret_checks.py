"""What production refuses as a secret: short, default-looking, repetitive or low-entropy keys."""
import math
from collections import Counter

MIN_LENGTH = 32
MIN_BITS = 128  # estimated from the characters' spread (length x Shannon entropy per character)
REPEAT = 8  # a random key of 32+ characters practically never holds the same 8 characters twice
DEFAULT_PREFIXES = ("dev", "change", "test", "secret", "example", "default", "password")


def estimated_bits(value: str) -> float:
    """Length times the Shannon entropy of the key's own characters: an upper bound on what it carries."""
    counts, n = Counter(value), len(value)
    return n * -sum(c / n * math.log2(c / n) for c in counts.values())


def _repeats(value: str) -> bool:
    seen = set()
    for i in range(len(value) - REPEAT + 1):
        part = value[i:i + REPEAT]
        if part in seen:
            return True
        seen.add(part)
    return False


def _run(value: str) -> bool:
    """A third or more of neighbouring characters are next to each other in the code table (abc, 123, zyx)."""
    steps = [abs(ord(b) - ord(a)) == 1 for a, b in zip(value, value[1:])]
    return bool(steps) and sum(steps) * 3 >= len(steps)


def weaknesses(value: str | None) -> list[str]:
    """Why `value` is not a production secret (empty when it is fine)."""
    if not value:
        return ["it is not set"]
    found = []
    if len(value) < MIN_LENGTH:
        found.append(f"it needs at least {MIN_LENGTH} characters (it has {len(value)})")
    if value.lower().startswith(DEFAULT_PREFIXES):
        found.append("it looks like a default or example value")
    if _repeats(value):
        found.append(f"it repeats a part of itself ({REPEAT} characters or more)")
    if _run(value):
        found.append("it is mostly a run of neighbouring characters")
    bits = estimated_bits(value)
    if bits < MIN_BITS:
        found.append(f"its estimated entropy is {bits:.0f} bits (at least {MIN_BITS} needed)")
    return found
