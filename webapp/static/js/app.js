// Send the CSRF token with every htmx request.
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) { event.detail.headers["X-CSRFToken"] = meta.content; }
});
// Countdowns: <time data-countdown="ISO">; text shows m:ss left and the element gets .expired at zero.
function tickCountdowns() {
  document.querySelectorAll("[data-countdown]").forEach(function (el) {
    var left = Math.max(0, Math.floor((Date.parse(el.dataset.countdown) - Date.now()) / 1000));
    el.textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
    el.classList.toggle("expired", left === 0);
  });
  document.querySelectorAll("[data-ago]").forEach(function (el) {
    var s = Math.max(0, Math.floor((Date.now() - Date.parse(el.dataset.ago)) / 1000));
    el.textContent = s < 120 ? s + " s ago" : s < 7200 ? Math.floor(s / 60) + " min ago" : Math.floor(s / 3600) + " h ago";
  });
}
setInterval(tickCountdowns, 1000);
document.addEventListener("DOMContentLoaded", tickCountdowns);
document.addEventListener("htmx:afterSettle", tickCountdowns);
// A boosted link or form that gets a 4xx page (a refused booking, an unknown place, a bad QR code) shows
// that page with its message, as a normal navigation would; htmx's default is to drop 4xx responses.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr.status;
  if (event.detail.boosted && status >= 400 && status < 500) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
// data-confirm and hx-confirm: static/js/confirm.js asks in a <dialog>.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) { window.print(); }
});

// Once the page is being left by a form the person submitted (cancel, pay, stop), a poll answered meanwhile
// must not act on it: its HX-Redirect would start a second navigation that replaces the one the person asked
// for and loses its message ("Booking cancelled", "Payment authorised"). Only polling elements are held back;
// a boosted form's own request goes on as usual.
var leavingBySubmit = false;
document.addEventListener("submit", function (event) {
  if (!event.defaultPrevented && !event.target.hasAttribute("hx-post") && !event.target.hasAttribute("hx-get")) {
    leavingBySubmit = true;
  }
});
window.addEventListener("pageshow", function () { leavingBySubmit = false; });
document.addEventListener("htmx:beforeOnLoad", function (event) {
  var elt = event.detail.elt;
  var trigger = elt && elt.getAttribute("hx-trigger");
  if (!trigger || trigger.indexOf("every") === -1) return;
  // A poll of a page a boosted form has since replaced (its element is gone) is not acted on either.
  if (leavingBySubmit || !document.body.contains(elt)) event.preventDefault();
});
