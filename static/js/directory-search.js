/* Search form: "near me" fills latitude/longitude from the browser's position (the
 * browser asks the person first) and submits. Without JS the button stays hidden and the
 * commune list and the coordinate fields do the same job. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("[data-search-form]");
    var box = document.querySelector("[data-near-me]");
    if (!form || !box || !("geolocation" in navigator)) {
      return;
    }
    var button = box.querySelector("[data-near-me-button]");
    var status = box.querySelector("[data-near-me-status]");
    box.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = button.dataset.locating || "…";
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          form.elements.namedItem("lat").value = position.coords.latitude.toFixed(6);
          form.elements.namedItem("lon").value = position.coords.longitude.toFixed(6);
          var commune = form.elements.namedItem("commune");
          if (commune) {
            commune.value = "";
          }
          form.submit();
        },
        function (error) {
          button.disabled = false;
          status.textContent = error.message;
        },
        { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 }
      );
    });
  });
})();
