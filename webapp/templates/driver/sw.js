// Chargeway service worker {{ version }}.
// Versioned static files: cache-first. Pages and htmx fragments: network-first, never served stale
// (live booking state must be current); when the network fails a page gets the offline page.
const STATIC_CACHE = "chargeway-static-{{ version }}";
const OFFLINE_URL = "{{ url_for('driver.offline') }}";
const PRECACHE = {{ precache|tojson }};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC_CACHE).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("chargeway-") && k !== STATIC_CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/ocpp/")) {
    return;
  }
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(
      caches.open(STATIC_CACHE).then((cache) => cache.match(request).then((hit) => hit || fetch(request).then((response) => {
        if (response.ok) { cache.put(request, response.clone()); }
        return response;
      })))
    );
    return;
  }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE_URL)));
    return;
  }
  if (request.headers.get("HX-Request")) {
    // A fragment: network only; a failure leaves the last good content on screen and polling goes on.
    // The header tells offline.js this was the network, not the server (it shows the banner; a boosted link
    // then navigates for real, and the branch above answers that with the offline page).
    event.respondWith(fetch(request).catch(() => new Response("", {status: 503, statusText: "Offline",
                                                                   headers: {"X-Chargeway-Offline": "1"}})));
  }
});
