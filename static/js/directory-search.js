/* "Near me" (home page and search form): fills latitude/longitude from the browser's
 * position (the browser asks the person first) and submits the form around it. When the
 * position is refused or cannot be found, the status line (aria-live) says so in words
 * and asks for a commune or postcode instead. Without JS the button stays hidden and the
 * "Where?" field, the commune list and the coordinate fields do the same job. */
(function () {
  "use strict";

  function setValue(form, name, value) {
    var field = form.elements.namedItem(name);
    if (!field) {
      // The home page's short form has no coordinate fields of its own.
      field = document.createElement("input");
      field.type = "hidden";
      field.name = name;
      form.appendChild(field);
    }
    field.value = value;
  }

  function setup(box) {
    var form = box.closest("form");
    var button = box.querySelector("[data-near-me-button]");
    var status = box.querySelector("[data-near-me-status]");
    if (!form || !button || !status || !("geolocation" in navigator)) {
      return;
    }
    box.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = box.dataset.locating || "";
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          setValue(form, "lat", position.coords.latitude.toFixed(6));
          setValue(form, "lon", position.coords.longitude.toFixed(6));
          // A typed place would win over the position: the position is what was asked.
          ["where", "commune"].forEach(function (name) {
            var field = form.elements.namedItem(name);
            if (field) {
              field.value = "";
            }
          });
          form.submit();
        },
        function (error) {
          button.disabled = false;
          status.textContent =
            error.code === error.PERMISSION_DENIED ? box.dataset.denied : box.dataset.unavailable;
          var where = form.elements.namedItem("where");
          if (where) {
            where.focus();
          }
        },
        { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 }
      );
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-near-me]").forEach(setup);
  });
})();
