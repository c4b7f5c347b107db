/* Share and print buttons. Without JS the link stays in a read-only field to copy by hand
 * and the browser's own Print menu is there: the buttons only show when this script runs. */
(function () {
  "use strict";

  function copyLink(button) {
    var field = document.getElementById(button.dataset.copy);
    var status = document.querySelector('[data-copy-status="' + button.dataset.copy + '"]');
    if (!field) {
      return;
    }
    function done() {
      if (status) {
        // Hidden until used, so that an empty live region does not sit on every page.
        status.hidden = false;
        status.textContent = button.dataset.copied || "";
      }
    }
    field.select();
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        // Refused (no permission, plain HTTP): the text stays selected to copy by hand.
        field.focus();
      });
    } else {
      field.focus();
    }
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      copyLink(button);
    });
  });
  document.querySelectorAll("[data-share-url]").forEach(function (field) {
    field.addEventListener("focus", function () {
      field.select();
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
