/* Place list: "All places on this page" ticks or clears every row, and follows the rows.
 * Without JS the box still works: the server then takes every place of the page. */
(function () {
  "use strict";

  function setup() {
    var all = document.querySelector("[data-bulk-all]");
    var rows = Array.prototype.slice.call(document.querySelectorAll("[data-bulk-row]"));
    if (!all || !rows.length) {
      return;
    }
    all.addEventListener("change", function () {
      rows.forEach(function (row) {
        row.checked = all.checked;
      });
    });
    rows.forEach(function (row) {
      row.addEventListener("change", function () {
        var ticked = rows.filter(function (r) {
          return r.checked;
        }).length;
        all.checked = ticked === rows.length;
        all.indeterminate = ticked > 0 && ticked < rows.length;
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
