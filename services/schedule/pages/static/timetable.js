// Timetable grid: moves the now-line each minute (the server drew it at request time).
(function () {
  "use strict";
  var grid = document.querySelector(".timetable[data-grid-start]");
  var line = grid && grid.querySelector(".timetable__now");
  if (!line) return;
  var start = Date.parse(grid.getAttribute("data-grid-start"));
  var rows = parseInt(grid.getAttribute("data-grid-rows"), 10);
  if (isNaN(start) || isNaN(rows)) return;

  function place() {
    var minutes = (Date.now() - start) / 60000;
    if (minutes < 0 || minutes > rows * 15) {
      line.hidden = true;
      return;
    }
    var row = Math.min(rows - 1, Math.floor(minutes / 15));
    line.hidden = false;
    line.style.gridRow = String(row + 2);
    line.style.marginTop = "calc(var(--timetable-quarter) * " + ((minutes - row * 15) / 15).toFixed(4) + ")";
  }
  place();
  window.setInterval(place, 60000);
})();
