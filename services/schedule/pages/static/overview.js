// The event's overview: the registration and notify services add what needs attention from
// their own data (an HTML fragment in the page's language). Without an answer the link stays.
(function () {
  "use strict";
  if (!window.fetch) return;
  Array.prototype.forEach.call(document.querySelectorAll("[data-fragment-url]"), function (box) {
    fetch(box.getAttribute("data-fragment-url"), {
      credentials: "include",
      headers: { Accept: "text/html" },
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        // A login page (session ended) or an error is not a fragment: keep the link.
        if (!response.ok || response.redirected || type.indexOf("text/html") !== 0) return null;
        return response.text();
      })
      .then(function (html) {
        if (html === null) return;
        var parsed = new DOMParser().parseFromString(html, "text/html");
        var fragment = parsed.querySelector("[data-attention]");
        if (fragment) box.replaceChildren(document.importNode(fragment, true));
      })
      .catch(function () { /* service unreachable or no CORS: keep the link */ });
  });
})();
