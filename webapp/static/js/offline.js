// Offline, honestly: a banner while the network is down (the browser's online/offline events and failed htmx
// requests), live figures marked stale beside their "Last updated" time, a link that cannot load opens the
// offline page (a real navigation, which the service worker answers), and polled parts refresh on reconnect
// (their hx-trigger includes "online from:window").
(function () {
  var banner = null;

  function ensureBanner() {
    banner = document.getElementById("offline-banner");
    if (!banner) {
      banner = document.createElement("div");
      banner.id = "offline-banner";
      banner.className = "offline-banner";
      banner.setAttribute("role", "status");
      banner.hidden = true;
      banner.textContent = "You are offline. What you see was true at its \"Last updated\" time; " +
        "it refreshes by itself when you are back online.";
      document.body.append(banner);
    }
    return banner;
  }

  function setOffline(offline) {
    var b = ensureBanner();
    b.hidden = !offline;
    document.documentElement.classList.toggle("is-offline", offline);
    document.querySelectorAll("[data-updated]").forEach(function (el) { el.classList.toggle("stale", offline); });
  }

  function offlineFailure(detail) {
    var xhr = detail && detail.xhr;
    return !xhr || xhr.status === 0 || (xhr.status === 503 && xhr.getResponseHeader("X-Chargeway-Offline") === "1");
  }

  function openForReal(detail) {  // a boosted GET that could not load: navigate, so the offline page shows
    var config = detail.requestConfig || {};
    if (detail.boosted && (config.verb || "get").toLowerCase() === "get" && detail.pathInfo) {
      window.location.assign(detail.pathInfo.requestPath);
    }
  }

  window.addEventListener("offline", function () { setOffline(true); });
  window.addEventListener("online", function () { setOffline(false); });
  document.addEventListener("htmx:sendError", function (event) { setOffline(true); openForReal(event.detail); });
  document.addEventListener("htmx:responseError", function (event) {
    if (offlineFailure(event.detail)) { setOffline(true); openForReal(event.detail); }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful && navigator.onLine) { setOffline(false); }
  });
  document.addEventListener("htmx:afterSettle", function () {  // a fresh fragment: mark it if still offline
    if (!navigator.onLine) { setOffline(true); }
  });
  document.addEventListener("DOMContentLoaded", function () { setOffline(!navigator.onLine); });
})();
