// Push on this device (templates/driver/notifications/preferences.html). Nothing is asked on load: the
// browser's permission prompt comes only when the driver presses "Turn on push on this device". The server
// answers a stored subscription with a renewal token, which the service worker keeps to re-subscribe on
// `pushsubscriptionchange` (templates/driver/sw.js).
(function () {
  if (window.chargewayPush) { window.chargewayPush.refresh(); return; }
  var RENEW_CACHE = "push-renew", RENEW_KEY = "/push/renew-token";

  function box() { return document.getElementById("push"); }
  function say(text) { var el = box() && box().querySelector("[data-push-state]"); if (el) { el.textContent = text; } }
  function show(enable, disable) {
    var b = box(); if (!b) { return; }
    b.querySelector("[data-push-enable]").hidden = !enable;
    b.querySelector("[data-push-disable]").hidden = !disable;
  }
  function keyBytes(base64url) {
    var pad = "=".repeat((4 - base64url.length % 4) % 4);
    var raw = atob((base64url + pad).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }
  function b64(buffer) {
    return btoa(String.fromCharCode.apply(null, new Uint8Array(buffer))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function supported() { return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window; }

  function refresh() {
    if (!box()) { return; }
    if (!supported()) { say("This browser cannot receive push notifications."); show(false, false); return; }
    if (Notification.permission === "denied") {
      say("Notifications are blocked for this site. Allow them in the browser's site settings, then reload.");
      show(false, false); return;
    }
    navigator.serviceWorker.ready.then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
      if (sub) { say("Push is on for this device."); show(false, true); } else { show(true, false); }
    });
  }

  function save(sub) {
    var json = sub.toJSON();
    var meta = document.querySelector('meta[name="csrf-token"]');
    return fetch(box().dataset.subscribeUrl, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": meta ? meta.content : ""},
      body: JSON.stringify({endpoint: json.endpoint, p256dh: json.keys.p256dh, auth: json.keys.auth})
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) { throw new Error(body.error ? body.error.message : "The server did not store it."); }
        return caches.open(RENEW_CACHE).then(function (cache) { return cache.put(RENEW_KEY, new Response(body.renew_token)); });
      });
    });
  }

  function enable() {
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { refresh(); throw new Error("You did not allow notifications."); }
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      return reg.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: keyBytes(box().dataset.vapidKey)});
    }).then(save).then(function () {
      window.location.reload();  // the device list shows this device now
    }).catch(function (err) { say("Push could not be turned on: " + err.message); });
  }

  function disable() {
    navigator.serviceWorker.ready.then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (sub) {
      return sub ? sub.unsubscribe() : true;
    }).then(function () {
      say("Push is off for this device. Remove it from the list below so the server forgets it too.");
      show(true, false);
    });
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-push-enable]")) { enable(); }
    if (event.target.closest("[data-push-disable]")) { disable(); }
  });
  window.chargewayPush = {refresh: refresh, b64: b64};
  refresh();
})();
