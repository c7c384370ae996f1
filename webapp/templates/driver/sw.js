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

// Web Push (services/platform/push.py, delivery.py): the payload is JSON {title, body, url, tag, timestamp,
// action}; the notification's action (and a tap on it) opens the page it is about.
const PUSH_KEY = "{{ vapid_key }}";
const RENEW_CACHE = "push-renew";
const RENEW_KEY = "/push/renew-token";

self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (err) { data = {body: event.data ? event.data.text() : ""}; }
  event.waitUntil(self.registration.showNotification(data.title || "Chargeway", {
    body: data.body || "", tag: data.tag, timestamp: data.timestamp, data: {url: data.url || "/notifications"},
    icon: "{{ url_for('static', filename='icons/icon-192.png') }}", badge: "{{ url_for('static', filename='icons/icon-192.png') }}",
    actions: [{action: "open", title: data.action || "Open"}]
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/notifications", self.location.origin);
  if (target.origin !== self.location.origin) { return; }
  event.waitUntil(self.clients.matchAll({type: "window", includeUncontrolled: true}).then((windows) => {
    for (const client of windows) {
      if (new URL(client.url).pathname === target.pathname && "focus" in client) { return client.focus(); }
    }
    for (const client of windows) {
      if ("navigate" in client) { return client.navigate(target.href).then((c) => c && c.focus()); }
    }
    return self.clients.openWindow(target.href);
  }));
});

// The browser replaced (or expired) our subscription: subscribe again and tell the server, proving with the
// renewal token stored when the driver turned push on that the new subscription belongs to the same account.
self.addEventListener("pushsubscriptionchange", (event) => {
  if (!PUSH_KEY) { return; }
  const raw = atob((PUSH_KEY + "=".repeat((4 - PUSH_KEY.length % 4) % 4)).replace(/-/g, "+").replace(/_/g, "/"));
  const key = Uint8Array.from(raw, (c) => c.charCodeAt(0));
  event.waitUntil(caches.open(RENEW_CACHE).then((cache) => cache.match(RENEW_KEY).then((hit) => {
    if (!hit) { return null; }
    return hit.text().then((token) => (event.newSubscription ? Promise.resolve(event.newSubscription)
      : self.registration.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: key}))
      .then((sub) => {
        const json = sub.toJSON();
        return fetch("{{ url_for('driver.renew_push_device') }}", {
          method: "POST", headers: {"Content-Type": "application/json"}, credentials: "omit",
          body: JSON.stringify({token: token, endpoint: json.endpoint, p256dh: json.keys.p256dh, auth: json.keys.auth})
        });
      })
      .then((response) => (response.ok ? response.json().then((body) => cache.put(RENEW_KEY, new Response(body.renew_token))) : null)));
  })));
});
