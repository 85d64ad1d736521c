// Check-in page: scanning tickets' QR codes with the phone's camera. The camera's picture is
// read with the browser's BarcodeDetector where it has one for QR codes, else with the vendored
// jsQR (vendor/jsQR.js, 1.4.0, loaded only then); a code read fills the code field and sends
// the form, as a hand scanner would. Without JavaScript, or without a camera, the code is
// typed. While scanning, the camera starts again on the page the form leads to, until stopped.
(function () {
  "use strict";
  var section = document.getElementById("scanner");
  var form = document.getElementById("checkin-form");
  var field = document.getElementById("field-code");
  if (!section || !form || !field) return;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;

  var startButton = document.getElementById("scanner-start");
  var stopButton = document.getElementById("scanner-stop");
  var video = document.getElementById("scanner-video");
  var status = document.getElementById("scanner-status");
  var KEY = "todo-checkin-camera";
  var LAST = "todo-checkin-last";
  // The code just sent is not sent again until the camera has seen no code, or another, for
  // this long (the ticket is still in front of the camera when the answer comes).
  var QUIET_MS = 2000;
  var stream = null;
  var timer = null;
  var detector = null;
  var canvas = null;
  var sent = false;
  var last = sessionStorage.getItem(LAST) || "";
  var lastSeenAt = Date.now();

  function say(name) {
    status.textContent = section.getAttribute("data-" + name) || "";
  }

  function remember(on) {
    try {
      if (on) sessionStorage.setItem(KEY, "on");
      else sessionStorage.removeItem(KEY);
    } catch (error) {
      // Private modes may refuse storage: the camera then starts by its button each time.
    }
  }

  function loadDecoder() {
    if (window.BarcodeDetector) {
      var formats = window.BarcodeDetector.getSupportedFormats
        ? window.BarcodeDetector.getSupportedFormats()
        : Promise.resolve(["qr_code"]);
      return formats.then(function (supported) {
        if (supported.indexOf("qr_code") !== -1) {
          detector = new window.BarcodeDetector({ formats: ["qr_code"] });
          return;
        }
        return loadJsQR();
      });
    }
    return loadJsQR();
  }

  function loadJsQR() {
    if (window.jsQR) return Promise.resolve();
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = section.getAttribute("data-decoder");
      script.onload = function () { resolve(); };
      script.onerror = function () { reject(new Error("decoder")); };
      document.head.appendChild(script);
    });
  }

  function readFrame() {
    if (video.readyState < 2 || !video.videoWidth) return Promise.resolve(null);
    if (detector) {
      return detector.detect(video).then(function (codes) {
        return codes.length ? codes[0].rawValue : null;
      });
    }
    // At most 640 pixels wide: enough for a ticket held up to the camera, and quick.
    var scale = Math.min(1, 640 / video.videoWidth);
    var width = Math.round(video.videoWidth * scale);
    var height = Math.round(video.videoHeight * scale);
    canvas = canvas || document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    var context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, width, height);
    var found = window.jsQR(context.getImageData(0, 0, width, height).data, width, height, {
      inversionAttempts: "dontInvert",
    });
    return Promise.resolve(found ? found.data : null);
  }

  // Whether `value`, read just now, is a code to send: not the one sent last while it is
  // still in view.
  function isNew(value) {
    if (value === last) {
      lastSeenAt = Date.now();
      return false;
    }
    return true;
  }

  function tick() {
    if (!stream || sent) return;
    readFrame().then(
      function (value) {
        if (sent || !stream) return;
        if (value && isNew(value.trim())) {
          sent = true;
          say("found");
          try {
            sessionStorage.setItem(LAST, value.trim());
          } catch (error) {
            // Without storage the same code may be read once more: the door says "already".
          }
          field.value = value.trim();
          stop(false);
          if (form.requestSubmit) form.requestSubmit();
          else form.submit();
          return;
        }
        if (!value && last && Date.now() - lastSeenAt >= QUIET_MS) {
          last = "";
          try {
            sessionStorage.removeItem(LAST);
          } catch (error) {
            // See above.
          }
        }
        timer = window.setTimeout(tick, 150);
      },
      function () {
        timer = window.setTimeout(tick, 300);
      }
    );
  }

  function start() {
    say("starting");
    startButton.hidden = true;
    stopButton.hidden = false;
    loadDecoder()
      .then(function () {
        return navigator.mediaDevices.getUserMedia({
          video: { facingMode: { ideal: "environment" } },
          audio: false,
        });
      })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        video.hidden = false;
        remember(true);
        return video.play();
      })
      .then(function () {
        say("scanning");
        lastSeenAt = Date.now();
        tick();
      })
      .catch(function () {
        stop(true);
        say("failed");
      });
  }

  function stop(forget) {
    if (timer) window.clearTimeout(timer);
    timer = null;
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
    }
    stream = null;
    video.srcObject = null;
    video.hidden = true;
    startButton.hidden = false;
    stopButton.hidden = true;
    if (forget) {
      remember(false);
      status.textContent = "";
    }
  }

  section.hidden = false;
  startButton.addEventListener("click", start);
  stopButton.addEventListener("click", function () { stop(true); });
  var again = false;
  try {
    again = sessionStorage.getItem(KEY) === "on";
  } catch (error) {
    again = false;
  }
  if (again) start();
})();
