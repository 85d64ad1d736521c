// Programme and session pages: free seats from the registration service, and the
// "Reserve a seat" choice kept across filters and sent as one registration.
(function () {
  "use strict";

  function fill(template, n) {
    return template.replace("{n}", String(n));
  }

  // Free seats: an enhancement; without an answer the badge simply stays hidden.
  var holder = document.querySelector("[data-availability-url]");
  var seats = Array.prototype.slice.call(document.querySelectorAll(".seats[data-session]"));
  if (holder && seats.length && window.fetch) {
    var template = holder.getAttribute("data-availability-url");
    var queue = seats.slice();
    var ask = function () {
      var badge = queue.shift();
      if (!badge) return Promise.resolve();
      var url = template.replace("{id}", badge.getAttribute("data-session"));
      return fetch(url, { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (seat) {
          if (!seat || typeof seat.available !== "number") return;
          if (seat.available > 1) badge.textContent = fill(badge.dataset.textFree, seat.available);
          else if (seat.available === 1) badge.textContent = badge.dataset.textOne;
          else {
            badge.textContent = seat.waitlisted > 0
              ? fill(badge.dataset.textWaiting, seat.waitlisted) : badge.dataset.textFull;
            badge.classList.remove("badge--seats");
            badge.classList.add("badge--full");
            // Full: choosing the session puts one on its waiting list, and says so.
            var card = badge.closest(".session-card, .take-part");
            var offer = card && card.querySelector(".reserve__text[data-text-waitlist]");
            if (offer) offer.textContent = offer.dataset.textWaitlist;
          }
          badge.hidden = false;
        })
        .catch(function () { /* registration unreachable or no CORS: leave it hidden */ })
        .then(ask);
    };
    for (var i = 0; i < 4; i++) ask();
  }

  // The choice of sessions survives filtering and reloads within this browser tab.
  var form = document.getElementById("reserve-form");
  if (!form) return;
  var key = "todo-reserve:" + form.getAttribute("action");
  var chosen;
  try { chosen = JSON.parse(sessionStorage.getItem(key) || "[]"); } catch (e) { chosen = []; }
  var boxes = Array.prototype.slice.call(form.querySelectorAll('input[name="sessions"]'));
  var count = document.getElementById("reserve-count");
  var bar = document.getElementById("reserve-bar");

  function save() {
    try { sessionStorage.setItem(key, JSON.stringify(chosen)); } catch (e) { /* private mode */ }
  }
  function show() {
    var n = chosen.length;
    count.textContent = n === 0 ? count.dataset.textNone
      : n === 1 ? count.dataset.textOne : fill(count.dataset.textSome, n);
    bar.classList.toggle("reserve-bar--active", n > 0);
  }
  boxes.forEach(function (box) {
    box.checked = chosen.indexOf(box.value) !== -1;
    box.addEventListener("change", function () {
      chosen = chosen.filter(function (id) { return id !== box.value; });
      if (box.checked) chosen.push(box.value);
      save();
      show();
    });
  });
  show();

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!chosen.length) {
      count.focus();
      return;
    }
    var ids = chosen.slice().sort(function (a, b) { return a - b; }).join(",");
    window.location.href = form.getAttribute("action") + "?sessions=" + ids;
  });
})();
