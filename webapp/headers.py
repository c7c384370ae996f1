"""Security headers on every response: one after-request hook (see the README's Security section).

A hook rather than Flask-Talisman: we need five fixed headers and no nonces (every script and style is a
file under /static), and Talisman's HTTPS redirect and session-cookie rewriting would fight the proxy in
front of production and the settings we already have.
"""
from flask import Flask

# Only our own files: htmx is vendored, no inline script, handler or style anywhere (tests/security checks
# every template). data: images are the QR codes and icons browsers inline.
CSP = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))


def register(app: Flask) -> None:
    """Add the headers to every response the app sends (pages, fragments, JSON, static files, errors)."""
    hsts = app.config.get("HSTS_SECONDS", 0) if app.config.get("PRODUCTION") else 0

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if hsts:
            headers.setdefault("Strict-Transport-Security", f"max-age={hsts}; includeSubDomains")
        return response
