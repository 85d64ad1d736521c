// Loaded by a page on another site that shows the programme widget in an <iframe>: sets each
// widget frame's height to its list's, so the page scrolls instead of the frame.
(function () {
  "use strict";
  var origin;
  try { origin = new URL(document.currentScript.src).origin; } catch (e) { return; }
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !event.data || event.data.type !== "todo-widget:height") return;
    var height = Number(event.data.height);
    if (!isFinite(height) || height < 50) return;
    var frames = document.getElementsByTagName("iframe");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        frames[i].style.height = Math.min(height, 20000) + "px";
      }
    }
  });
})();
