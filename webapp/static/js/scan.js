// Scan a charger's QR code in the app: BarcodeDetector where the browser has it, otherwise the vendored jsQR
// (static/vendor/jsQR-1.4.0.js, Apache-2.0), loaded only when needed. A Chargeway code (…/c/<token>) opens that
// connector's page on this server; anything else is said, and typing the charger id is always offered.
(function () {
  var root = document.querySelector("[data-scanner]");
  if (!root) { return; }
  var video = root.querySelector("video"), view = root.querySelector("[data-scan-view]");
  var status = root.querySelector("[data-scan-status]"), stream = null, timer = null;
  var canvas = document.createElement("canvas"), ctx = canvas.getContext("2d", {willReadFrequently: true});

  function say(text) { status.textContent = text; }

  function chargerPath(text) {  // the path of a Chargeway QR code, or null
    try {
      var url = new URL(text, window.location.href);
      return /^\/c\/[^/]+$/.test(url.pathname) ? url.pathname : null;
    } catch (e) { return null; }
  }
  window.chargewayChargerPath = chargerPath;

  function found(text) {
    var path = chargerPath(text);
    if (!path) { say("That QR code is not a Chargeway charger. Try the code on the charger, or type its id."); return false; }
    stop();
    say("Found the charger. Opening it…");
    window.location.assign(path);
    return true;
  }

  function loadJsQR() {
    if (window.jsQR) { return Promise.resolve(window.jsQR); }
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = root.dataset.decoder;
      s.onload = function () { resolve(window.jsQR); };
      s.onerror = function () { reject(new Error("decoder")); };
      document.head.append(s);
    });
  }

  function detector() {
    if ("BarcodeDetector" in window) {
      return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") < 0) { throw new Error("no qr"); }
        var d = new window.BarcodeDetector({formats: ["qr_code"]});
        return function () { return d.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; }); };
      }).catch(function () { return fallback(); });
    }
    return fallback();
  }

  function fallback() {
    return loadJsQR().then(function (jsQR) {
      return function () {
        if (!video.videoWidth) { return Promise.resolve(null); }
        canvas.width = video.videoWidth; canvas.height = video.videoHeight;
        ctx.drawImage(video, 0, 0);
        var code = jsQR(ctx.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
        return Promise.resolve(code ? code.data : null);
      };
    });
  }

  function stop() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    view.hidden = true;
  }

  function start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say("This browser cannot use the camera here. Type the charger id instead.");
      return;
    }
    say("Starting the camera…");
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false}).then(function (s) {
      stream = s;
      video.srcObject = s;
      view.hidden = false;
      return video.play().then(detector);
    }).then(function (detect) {
      say("Looking for a QR code…");
      (function tick() {
        if (!stream) { return; }
        detect().then(function (text) {
          if (!(text && found(text))) { timer = setTimeout(tick, 250); }
        }).catch(function () { timer = setTimeout(tick, 500); });
      })();
    }).catch(function (err) {
      stop();
      say(err && err.name === "NotAllowedError" ? "You did not allow the camera. Type the charger id instead."
        : "The camera is not available. Type the charger id instead.");
    });
  }

  root.querySelector("[data-scan-start]").addEventListener("click", start);
  root.querySelector("[data-scan-stop]").addEventListener("click", function () { stop(); say("Camera stopped."); });
  window.addEventListener("pagehide", stop);
})();
