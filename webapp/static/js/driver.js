// Driver pages: the service worker, "use my location", and the payment details label.
if ("serviceWorker" in navigator) {
  window.addEventListener("load", function () {
    navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function (err) { console.warn("Service worker:", err); });
  });
}

document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-locate]");
  if (!button) { return; }
  var form = button.form, status = document.getElementById("location-status");
  function refused(message) {
    if (status) { status.textContent = message + " Type a place, or press Show all."; }
    var place = document.getElementById("place");
    if (place) { place.focus(); }
  }
  if (!("geolocation" in navigator)) { refused("This browser cannot share your location."); return; }
  if (status) { status.textContent = "Finding your location…"; }
  navigator.geolocation.getCurrentPosition(function (pos) {
    form.querySelector("#lat").value = pos.coords.latitude.toFixed(5);
    form.querySelector("#lon").value = pos.coords.longitude.toFixed(5);
    form.querySelector("#place").value = "";
    form.requestSubmit();
  }, function (err) {
    refused(err.code === 1 ? "You did not share your location." : "Your location is not available right now.");
  }, {enableHighAccuracy: false, timeout: 10000, maximumAge: 300000});
});

document.addEventListener("input", function (event) {
  if (event.target.id === "place") {  // a typed place replaces the phone's position
    var lat = document.getElementById("lat"), lon = document.getElementById("lon");
    if (lat) { lat.value = ""; } if (lon) { lon.value = ""; }
  }
});

var DETAILS = {
  card: ["Card number", "4242 4242 4242 4242", "numeric", "cc-number"],
  upi: ["UPI id", "name@bank", "email", "off"],
  wallet: ["Wallet phone number", "98xxxxxxxx", "tel", "tel"]
};
document.addEventListener("change", function (event) {
  if (event.target.name !== "method" || !DETAILS[event.target.value]) { return; }
  var d = DETAILS[event.target.value], label = document.getElementById("details-label"), input = document.getElementById("details");
  if (label && input) {
    label.textContent = d[0]; input.placeholder = d[1]; input.inputMode = d[2]; input.autocomplete = d[3];
  }
});

// Install: when the browser offers it (beforeinstallprompt), an "Install app" button in the top bar.
var installPrompt = null;
function installButton() {
  var button = document.getElementById("install-app");
  if (!button) {
    var bar = document.querySelector(".topbar");
    if (!bar) { return null; }
    button = document.createElement("button");
    button.type = "button"; button.id = "install-app"; button.className = "install"; button.hidden = true;
    button.textContent = "Install app";
    bar.insertBefore(button, bar.querySelector("nav"));
  }
  return button;
}
window.addEventListener("beforeinstallprompt", function (event) {
  event.preventDefault();
  installPrompt = event;
  var button = installButton();
  if (button) { button.hidden = false; }
});
document.addEventListener("htmx:afterSettle", function () {  // a boosted page swapped the top bar
  if (installPrompt) { var b = installButton(); if (b) { b.hidden = false; } }
});
document.addEventListener("click", function (event) {
  if (!event.target.closest("#install-app") || !installPrompt) { return; }
  installPrompt.prompt();
  installPrompt.userChoice.finally(function () {
    installPrompt = null;
    var b = document.getElementById("install-app");
    if (b) { b.hidden = true; }
  });
});
window.addEventListener("appinstalled", function () {
  installPrompt = null;
  var b = document.getElementById("install-app");
  if (b) { b.hidden = true; }
});
