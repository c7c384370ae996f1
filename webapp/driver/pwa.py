"""The installable app shell: web manifest, service worker at the root scope, offline page."""
import hashlib
from pathlib import Path

from flask import current_app, render_template, url_for

from ..services.platform import push
from .blueprint import bp

#: Static files the service worker precaches; their content hash names its cache, so any change
#: installs a new worker that drops the old cache.
PRECACHE = ("css/app.css", "css/driver.css", "js/app.js", "js/confirm.js", "js/offline.js", "js/driver.js", "vendor/htmx-2.0.11.min.js",
            "icons/icon-192.png", "icons/icon-512.png", "icons/maskable-192.png")


def static_version() -> str:
    """A short hash of the precached static files (computed once per process)."""
    version = current_app.extensions.get("chargeway_static_version")
    if version is None:
        digest = hashlib.sha256()
        for name in PRECACHE:
            digest.update(Path(current_app.static_folder, name).read_bytes())
        version = current_app.extensions["chargeway_static_version"] = digest.hexdigest()[:12]
    return version


@bp.route("/manifest.webmanifest")
def manifest():
    """The web app manifest (name, icons, standalone display, theme colour)."""
    icons = [
        {"src": url_for("static", filename=f"icons/icon-{size}.png"), "sizes": f"{size}x{size}",
         "type": "image/png", "purpose": "any"} for size in (192, 512)
    ] + [
        {"src": url_for("static", filename=f"icons/maskable-{size}.png"), "sizes": f"{size}x{size}",
         "type": "image/png", "purpose": "maskable"} for size in (192, 512)
    ]
    body = {"name": "Chargeway", "short_name": "Chargeway", "description": "Find, book and pay for EV charging.",
            "id": "/", "start_url": "/?source=pwa", "scope": "/", "display": "standalone",
            "orientation": "portrait", "background_color": "#f5f7f6", "theme_color": "#0b7a4b", "icons": icons}
    response = current_app.response_class(current_app.json.dumps(body), mimetype="application/manifest+json")
    response.cache_control.max_age = 3600
    return response


@bp.route("/sw.js")
def service_worker():
    """The service worker, served from the root so its scope is the whole app; never cached by HTTP."""
    body = render_template("driver/sw.js", version=static_version(), vapid_key=push.public_key() if push.enabled() else "",
                           precache=[url_for("static", filename=name) for name in PRECACHE]
                           + [url_for("driver.offline"), url_for("driver.manifest")])
    response = current_app.response_class(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/offline")
def offline():
    """Shown by the service worker when a page cannot be fetched (precached at install)."""
    return render_template("driver/offline.html")
