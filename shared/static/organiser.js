// What every organiser page does in the browser (loaded by the shared navigation).
//
// On a phone the navigation is one row that scrolls sideways: the page shown is scrolled into
// view.
//
// Organiser pages show what another service knows (`shared.pages.attention_fragment`): the
// overview what registration and notify find needs attention, every page the draft's
// unpublished changes. Each is an HTML fragment in the page's language, fetched with the
// organiser's cookie; without an answer the placeholder (a link, or nothing) stays.
(function () {
  "use strict";
  var current = document.querySelector('.sub-nav [aria-current="page"]');
  var row = current && current.closest("ul");
  if (row && row.scrollWidth > row.clientWidth) {
    row.scrollLeft = current.offsetLeft - row.offsetLeft - 16;
  }
  // A form that must go once (a message to everyone): a second click while the first request
  // is on its way is dropped, so the page shows the first one's outcome. The server refuses a
  // second send all the same.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-submit-once]"), function (form) {
    form.addEventListener("submit", function (event) {
      if (form.hasAttribute("data-submitted")) event.preventDefault();
      else form.setAttribute("data-submitted", "");
    });
  });
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
