"""Production refuses secrets that are short, repetitive or low in entropy, and a QR key equal to SECRET_KEY."""
import secrets

import pytest

from webapp import create_app

from .test_production import RealProd

GOOD = "CDYuwc-6J5_U6HAECzEVJ7z7mRGf39tUrC0W11TZYm47iFYF"
GOOD_QR = "sf0F-aRSdMu7zMrW-jHzOUe3Kjxtbtr2hpWJaiuB5-DvbITY"


@pytest.mark.parametrize("name", ["SECRET_KEY", "QR_SIGNING_KEY"])
@pytest.mark.parametrize("value, why", [
    ("Kq3-zP9_wX", "at least 32"),                                     # short
    ("a" * 48, "repeats"),                                             # one character
    ("Xy7-" * 12, "repeats"),                                          # a repeated block
    ("abcdefghijklmnopqrstuvwxyz0123456789ABCD", "run"),               # an alphabet run
    ("qwertyuiopasdfghjklzxcvbnmqwertyuiopasdf", "repeats|run|entropy"),  # the keyboard, twice
    ("cluster-" + "k" * 40, "entropy"),                                # mostly one character
    ("1010011010110010101001011010011010100101101001", "entropy"),    # two symbols
    # 32 hex digits carry 128 bits at most (a fixed id: pytest-xdist workers must collect the same names)
    pytest.param("0123456789abcdef" + secrets.token_hex(8), "entropy|run", id="0123456789abcdef+random-hex"),
    ("change-me-" + GOOD, "default"),
])
def test_production_refuses_weak_secrets(name, value, why):
    prod = type("Prod", (RealProd,), {name: value})
    with pytest.raises(RuntimeError, match=f"{name} .*({why})"):
        create_app(prod)


def test_production_refuses_the_same_key_for_sessions_and_qr_codes():
    prod = type("Prod", (RealProd,), {"SECRET_KEY": GOOD, "QR_SIGNING_KEY": GOOD})
    with pytest.raises(RuntimeError, match="QR_SIGNING_KEY must differ from SECRET_KEY"):
        create_app(prod)


@pytest.mark.parametrize("make", [lambda: secrets.token_urlsafe(32), lambda: secrets.token_hex(32),
                                  lambda: secrets.token_urlsafe(64)])
def test_production_accepts_generated_secrets(make):
    for _ in range(20):  # what the README tells operators to run, many times over
        prod = type("Prod", (RealProd,), {"SECRET_KEY": make(), "QR_SIGNING_KEY": make()})
        assert create_app(prod).config["PRODUCTION"]
