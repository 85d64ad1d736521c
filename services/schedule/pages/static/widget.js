// The programme widget inside another site's <iframe>: tells the embedding page how tall the
// list is (widget-embed.js there sets the frame's height), again whenever it changes.
(function () {
  "use strict";
  if (window.parent === window) return;
  var last = 0;
  function report() {
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    // Only a height goes out, nothing about the visitor: any page may read it.
    window.parent.postMessage({ type: "todo-widget:height", height: height }, "*");
  }
  if (window.ResizeObserver) new ResizeObserver(report).observe(document.body);
  window.addEventListener("load", report);
  report();
})();
