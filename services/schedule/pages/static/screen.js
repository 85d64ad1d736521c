// Street screen: swap in a fresh state every few seconds, count down to the next session, and
// keep showing the last state (marked "offline") while the network is gone, retrying with back-off.
(function () {
  "use strict";
  var root = document.getElementById("screen");
  var holder = document.getElementById("screen-state-holder");
  var clock = document.getElementById("screen-clock");
  var offline = document.getElementById("screen-offline");
  var pollMs = Number(root.dataset.pollSeconds || 5) * 1000;
  var timeZone = root.dataset.timezone || "Europe/Berlin";
  // With ?at= the screen plays that moment and lets its clock run on from there.
  var startAt = root.dataset.at ? Date.parse(root.dataset.at) : null;
  var loadedAt = Date.now();
  var lastUpdate = now();
  var failures = 0;

  function now() {
    return startAt === null ? Date.now() : startAt + (Date.now() - loadedAt);
  }

  function hhmm(ms) {
    return new Intl.DateTimeFormat("de-DE", { hour: "2-digit", minute: "2-digit", timeZone: timeZone })
      .format(new Date(ms));
  }

  function tick() {
    var current = now();
    clock.textContent = hhmm(current);
    clock.setAttribute("datetime", new Date(current).toISOString());
    holder.querySelectorAll("[data-starts-at]").forEach(function (el) {
      var minutes = Math.ceil((Date.parse(el.dataset.startsAt) - current) / 60000);
      var text;
      if (minutes <= 0) text = root.dataset.textNow;
      else if (minutes <= 60) text = root.dataset.textMinutes.replace("{n}", minutes);
      else text = root.dataset.textHours.replace("{h}", Math.floor(minutes / 60)).replace("{n}", minutes % 60);
      if (el.textContent !== text) el.textContent = text;
    });
  }

  function poll() {
    var url = root.dataset.stateUrl;
    if (startAt !== null) {
      url += (url.indexOf("?") === -1 ? "?" : "&") + "at=" + encodeURIComponent(new Date(now()).toISOString());
    }
    var controller = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (controller) controller.abort(); }, pollMs * 2);
    fetch(url, { cache: "no-store", headers: { Accept: "application/json" }, signal: controller && controller.signal })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (state) {
        if (holder.innerHTML !== state.html) holder.innerHTML = state.html;
        lastUpdate = now();
        failures = 0;
        offline.hidden = true;
        tick();
      })
      .catch(function () {
        failures += 1;
        offline.textContent = offline.dataset.text.replace("{t}", hhmm(lastUpdate));
        offline.hidden = false;
      })
      .then(function () {
        clearTimeout(timer);
        // Back off to at most a minute while offline, so a recovering server is not flooded.
        setTimeout(poll, Math.min(pollMs * Math.pow(2, failures), 60000));
      });
  }

  tick();
  setInterval(tick, 1000);
  setTimeout(poll, pollMs);
})();
