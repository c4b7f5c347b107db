// Schedule editor: checks OSM opening_hours text while it is typed. Without this script
// the same check runs when the form is submitted.
(function () {
  "use strict";
  var box = document.querySelector("[data-osm-check]");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-osm-check");
  var textarea = box.querySelector("textarea");
  var status = document.getElementById("osm-status");
  if (!textarea || !status) {
    return;
  }
  var described = textarea.getAttribute("aria-describedby") || "";
  if (described.split(" ").indexOf("osm-status") === -1) {
    textarea.setAttribute("aria-describedby", (described + " osm-status").trim());
  }
  var timer = null;
  var latest = 0;

  function show(ok, text) {
    status.textContent = text;
    status.className = "osm-status " + (ok ? "osm-ok" : "osm-error");
    if (ok) {
      textarea.removeAttribute("aria-invalid");
    } else {
      textarea.setAttribute("aria-invalid", "true");
    }
  }

  function check() {
    var text = textarea.value.trim();
    if (!text) {
      status.textContent = "";
      textarea.removeAttribute("aria-invalid");
      return;
    }
    var request = ++latest;
    status.textContent = box.getAttribute("data-checking") || "…";
    fetch(url + "?text=" + encodeURIComponent(text), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.json();
      })
      .then(function (data) {
        if (request !== latest) {
          return; // an answer to older text
        }
        show(data.valid, data.valid ? data.message : data.errors.join(" "));
      })
      .catch(function () {
        if (request === latest) {
          status.textContent = "";
        }
      });
  }

  textarea.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 400);
  });
})();
