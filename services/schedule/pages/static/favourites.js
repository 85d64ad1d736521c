// Favourites without registering: the star buttons of the programme, the timetable grid and
// the session page keep the chosen sessions in localStorage per event; "My programme"
// (#favourites) lists them from the public programme JSON, with a calendar of them from
// notify and a link that carries the list to another device (?ids=1,2,3).
(function () {
  "use strict";
  var PREFIX = "todo-favourites:";
  var ID = /^[1-9][0-9]{0,9}$/;

  function load(event) {
    var ids;
    try { ids = JSON.parse(window.localStorage.getItem(PREFIX + event) || "[]"); } catch (e) { ids = []; }
    if (!Array.isArray(ids)) return [];
    return ids.map(String).filter(function (id, i, all) {
      return ID.test(id) && all.indexOf(id) === i;
    });
  }
  function save(event, ids) {
    try { window.localStorage.setItem(PREFIX + event, JSON.stringify(ids)); } catch (e) { /* private mode or full */ }
  }
  function byNumber(a, b) { return Number(a) - Number(b); }

  function stars() {
    return Array.prototype.slice.call(document.querySelectorAll("button.star[data-favourite]"));
  }
  // Every star and count on the page as this browser's lists say.
  function sync() {
    stars().forEach(function (button) {
      var on = load(button.getAttribute("data-event")).indexOf(button.getAttribute("data-favourite")) !== -1;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.hidden = false;
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-favourites-count]"), function (count) {
      var n = load(count.getAttribute("data-favourites-count")).length;
      count.textContent = " (" + n + ")";
      count.hidden = n === 0;
    });
  }

  var listeners = [];
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.star[data-favourite]");
    if (!button) return;
    var slug = button.getAttribute("data-event");
    var id = button.getAttribute("data-favourite");
    var on = button.getAttribute("aria-pressed") !== "true";
    var ids = load(slug).filter(function (other) { return other !== id; });
    if (on) ids.push(id);
    save(slug, ids);
    sync();
    listeners.forEach(function (listener) { listener(); });
  });
  // Another tab of the same browser changed the list.
  window.addEventListener("storage", function (event) {
    if (event.key === null || event.key.indexOf(PREFIX) === 0) {
      sync();
      listeners.forEach(function (listener) { listener(); });
    }
  });
  sync();

  // -- "My programme" -------------------------------------------------------------------------
  var root = document.getElementById("favourites");
  if (!root || !window.fetch) return;
  var data = root.dataset;
  var slug = data.event;
  var locale = data.lang === "en" ? "en-GB" : "de-DE";
  var shared = (data.sharedIds || "").split(",").filter(function (id) { return ID.test(id); });
  var status = document.getElementById("favourites-status");
  var list = document.getElementById("favourites-list");
  var empty = document.getElementById("favourites-empty");
  var exportBox = document.getElementById("favourites-export");
  var sharedBox = document.getElementById("favourites-shared");
  var sessions = null;
  var zone = data.timezone || "Europe/Berlin";
  var timeFormat, dayFormat;
  try {
    timeFormat = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone });
    dayFormat = new Intl.DateTimeFormat(locale, { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: zone });
  } catch (e) {
    timeFormat = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    dayFormat = new Intl.DateTimeFormat(locale, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  }
  Array.prototype.forEach.call(root.querySelectorAll("[data-nojs]"), function (el) { el.hidden = true; });

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }
  function title(info) {
    return data.lang === "en" && info.title_en ? info.title_en : info.title;
  }
  function time(moment, iso) {
    var el = element("time", "", timeFormat.format(moment));
    el.setAttribute("datetime", iso);
    return el;
  }
  function star(info) {
    var button = element("button", "star");
    button.type = "button";
    button.setAttribute("data-favourite", String(info.id));
    button.setAttribute("data-event", slug);
    button.setAttribute("aria-pressed", "false");
    var icon = element("span", "star__icon");
    icon.setAttribute("aria-hidden", "true");
    button.appendChild(icon);
    button.setAttribute("aria-label", data.textStar + ": " + title(info));
    button.appendChild(element("span", "star__label", data.textStar));
    return button;
  }
  function card(info) {
    var starts = new Date(info.starts_at), ends = new Date(info.ends_at);
    var cancelled = info.status === "cancelled";
    var item = element("li", "session-card" + (cancelled ? " session-card--cancelled" : ""));
    var when = element("p", "session-card__time");
    when.appendChild(time(starts, info.starts_at));
    when.appendChild(document.createTextNode("–"));
    when.appendChild(time(ends, info.ends_at));
    when.appendChild(element("span", "session-card__stage", " · " + info.stage.name));
    item.appendChild(when);
    var head = element("div", "session-card__head");
    var heading = element("h3");
    var link = element("a", "", title(info));
    link.href = data.sessionUrl.replace("{id}", String(info.id));
    heading.appendChild(link);
    head.appendChild(heading);
    head.appendChild(star(info));
    item.appendChild(head);
    if (info.speakers && info.speakers.length) {
      item.appendChild(element("p", "session-card__speakers",
        info.speakers.map(function (speaker) { return speaker.name; }).join(", ")));
    }
    if (cancelled) {
      var badges = element("p", "badges");
      badges.appendChild(element("span", "badge badge--cancelled", data.textCancelled));
      item.appendChild(badges);
    }
    return item;
  }
  // Days as the programme has them: an event day runs from 04:00 to 03:59.
  function dayOf(info) {
    return new Date(Date.parse(info.starts_at) - 4 * 3600 * 1000);
  }

  function render() {
    var wanted = shared.length ? shared : load(slug);
    var chosen = sessions.filter(function (info) { return wanted.indexOf(String(info.id)) !== -1; });
    chosen.sort(function (a, b) { return Date.parse(a.starts_at) - Date.parse(b.starts_at) || a.id - b.id; });
    list.textContent = "";
    var current = null, ol = null;
    chosen.forEach(function (info) {
      var label = dayFormat.format(dayOf(info));
      if (label !== current) {
        current = label;
        var section = element("section", "day");
        section.appendChild(element("h2", "", label));
        ol = element("ol", "sessions");
        section.appendChild(ol);
        list.appendChild(section);
      }
      ol.appendChild(card(info));
    });
    empty.hidden = chosen.length > 0 || shared.length > 0;
    sharedBox.hidden = shared.length === 0;
    if (shared.length) {
      document.getElementById("favourites-shared-text").textContent = data.textShared
        + (chosen.length < shared.length ? " " + data.textGone : "");
    }
    sync();
    updateExport();
  }

  // The export links name the favourites that are in the programme, in number order.
  function updateExport() {
    if (shared.length) {
      exportBox.hidden = true;
      return;
    }
    var known = sessions.map(function (info) { return String(info.id); });
    var ids = load(slug).filter(function (id) { return known.indexOf(id) !== -1; }).sort(byNumber).join(",");
    exportBox.hidden = ids === "";
    if (!ids) return;
    var calendar = data.calendarUrl.replace("{ids}", ids);
    document.getElementById("favourites-ics").href = calendar;
    document.getElementById("favourites-webcal").href = "webcal://" + calendar.split("://").slice(1).join("://");
    document.getElementById("favourites-share").href = window.location.origin + window.location.pathname + "?ids=" + ids;
  }

  document.getElementById("favourites-adopt").addEventListener("click", function () {
    var own = load(slug);
    var known = sessions.map(function (info) { return String(info.id); });
    shared.forEach(function (id) { if (own.indexOf(id) === -1 && known.indexOf(id) !== -1) own.push(id); });
    save(slug, own);
    shared = [];
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.pathname + window.location.search
        .replace(/([?&])ids=[^&]*&?/, "$1").replace(/[?&]$/, ""));
    }
    render();
    status.textContent = data.textAdopted;
    status.focus();
  });

  var copy = document.getElementById("favourites-copy");
  if (navigator.clipboard && window.isSecureContext) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(document.getElementById("favourites-share").href)
        .then(function () { status.textContent = data.textCopied; })
        .catch(function () { /* not allowed: the link itself stays */ });
    });
  }

  fetch(data.programmeUrl, { headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then(function (programme) {
      sessions = programme.sessions || [];
      render();
      // A star pressed here changes the export links; the list stays as it is until reload,
      // so a session unstarred by mistake can be starred again.
      listeners.push(function () { if (!shared.length) updateExport(); });
    })
    .catch(function () { status.textContent = data.textFailed; });
})();
