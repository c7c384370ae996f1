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

// Once the page is being left (a form the person submitted, or a boosted link or form: cancel, pay, stop), a
// poll must not act on what it hears meanwhile: its HX-Redirect would start a second navigation that replaces
// the one the person asked for and loses its message ("Booking cancelled", "Payment authorised"). So polls in
// flight are aborted and new ones not sent until the new page is in; a boosted request's own answer goes on
// as usual. (A poll's answer cannot be stopped once it arrives at an element a boosted swap removed: htmx
// fires its events on that element, and a detached element's events reach no listener here.)
var leaving = false;
function isPoll(elt) {
  var trigger = elt && elt.getAttribute && elt.getAttribute("hx-trigger");
  return !!trigger && trigger.indexOf("every") !== -1;
}
function stopPolls() {
  leaving = true;
  document.querySelectorAll("[hx-trigger*='every']").forEach(function (elt) { htmx.trigger(elt, "htmx:abort"); });
}
document.addEventListener("submit", function (event) {
  if (!event.defaultPrevented && !event.target.hasAttribute("hx-post") && !event.target.hasAttribute("hx-get")) {
    stopPolls();  // a plain or boosted form: the page is being left
  }
});
window.addEventListener("pageshow", function () { leaving = false; });
document.addEventListener("htmx:beforeRequest", function (event) {
  if (isPoll(event.detail.elt)) {
    if (leaving) event.preventDefault();
  } else if (event.detail.boosted) {
    stopPolls();  // a boosted link: the page is being left too
  }
});
document.addEventListener("htmx:afterRequest", function (event) {
  if (event.detail.boosted) leaving = false;  // the new page is in (or the navigation failed): its polls may run
});
document.addEventListener("htmx:beforeOnLoad", function (event) {
  if (leaving && isPoll(event.detail.elt)) event.preventDefault();  // answered before its abort reached it
});
