/* Place form: set latitude/longitude on a Leaflet map, and look an address up.
 * The number inputs stay the source of truth: without JS (or without Leaflet) they are
 * all there is, and the map only reads and writes them. */
(function () {
  "use strict";

  var DEFAULT_CENTRE = [46.6, 2.4]; // metropolitan France
  var DECIMALS = 6; // the model stores six decimal places

  function round(value) {
    return Number(value).toFixed(DECIMALS);
  }

  function readPoint(latInput, lonInput) {
    var lat = parseFloat(latInput.value);
    var lon = parseFloat(lonInput.value);
    if (isNaN(lat) || isNaN(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
      return null;
    }
    return [lat, lon];
  }

  function setupMap(wrapper) {
    var latInput = document.getElementById(wrapper.dataset.latitudeInput);
    var lonInput = document.getElementById(wrapper.dataset.longitudeInput);
    if (!latInput || !lonInput || typeof window.L === "undefined") {
      return null;
    }
    wrapper.hidden = false;
    var L = window.L;
    var element = wrapper.querySelector(".map");
    var start = readPoint(latInput, lonInput);
    var map = L.map(element).setView(start || DEFAULT_CENTRE, start ? 16 : 5);
    L.tileLayer(wrapper.dataset.tileUrl, {
      maxZoom: 19,
      attribution: wrapper.dataset.attribution,
    }).addTo(map);
    var marker = null;

    function placeMarker(point) {
      if (marker === null) {
        marker = L.marker(point, {
          draggable: true,
          keyboard: true,
          title: wrapper.dataset.markerLabel,
          alt: wrapper.dataset.markerLabel,
        }).addTo(map);
        marker.on("dragend", function () {
          writeInputs(marker.getLatLng());
        });
      } else {
        marker.setLatLng(point);
      }
    }

    function writeInputs(latlng) {
      latInput.value = round(latlng.lat);
      lonInput.value = round(latlng.lng);
      latInput.dispatchEvent(new Event("change", { bubbles: true }));
    }

    if (start) {
      placeMarker(start);
    }
    map.on("click", function (event) {
      placeMarker(event.latlng);
      writeInputs(event.latlng);
    });
    function fromInputs() {
      var point = readPoint(latInput, lonInput);
      if (point) {
        placeMarker(point);
        map.panTo(point);
      }
    }
    latInput.addEventListener("input", fromInputs);
    lonInput.addEventListener("input", fromInputs);

    return {
      moveTo: function (lat, lon) {
        var point = [parseFloat(lat), parseFloat(lon)];
        placeMarker(point);
        map.setView(point, 17);
      },
    };
  }

  function setupGeocoder(box, form, mapControl) {
    var button = box.querySelector("[data-geocode-button]");
    var status = box.querySelector("[data-geocode-status]");
    var list = box.querySelector("[data-geocode-results]");
    box.hidden = false;

    function field(name) {
      return form.elements.namedItem(name);
    }

    function choose(result) {
      field("address").value = result.label.split(/\s\d{5}\s/)[0];
      field("postcode").value = result.postcode;
      field("commune").value = result.commune;
      field("insee_code").value = result.insee_code;
      field("latitude").value = result.latitude;
      field("longitude").value = result.longitude;
      if (mapControl) {
        mapControl.moveTo(result.latitude, result.longitude);
      }
      list.innerHTML = "";
      status.textContent = box.dataset.chosen;
      field("address").focus();
    }

    button.addEventListener("click", function () {
      var query = [field("address").value, field("postcode").value, field("commune").value]
        .join(" ")
        .trim();
      var url = new URL(box.dataset.geocodeUrl, window.location.href);
      url.searchParams.set("q", query);
      url.searchParams.set("postcode", field("postcode").value);
      list.innerHTML = "";
      status.textContent = box.dataset.searching;
      button.disabled = true;
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          return response.json();
        })
        .then(function (payload) {
          if (payload.error) {
            status.textContent = payload.error;
            return;
          }
          status.textContent = payload.results.length ? box.dataset.found : box.dataset.none;
          payload.results.forEach(function (result) {
            var item = document.createElement("li");
            var choice = document.createElement("button");
            choice.type = "button";
            choice.className = "link-button";
            choice.textContent = result.label;
            choice.addEventListener("click", function () {
              choose(result);
            });
            item.appendChild(choice);
            list.appendChild(item);
          });
        })
        .catch(function () {
          status.textContent = box.dataset.failed;
        })
        .finally(function () {
          button.disabled = false;
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var wrapper = document.querySelector("[data-place-map]");
    var mapControl = wrapper ? setupMap(wrapper) : null;
    var box = document.querySelector("[data-geocode-url]");
    if (box) {
      setupGeocoder(box, box.closest("form"), mapControl);
    }
  });
})();
