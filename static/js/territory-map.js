/* Territory coverage map: one dot per commune, sized by population, coloured by the
 * distance band (the legend says it in words; the tables below hold every figure).
 * Data come from the page's JSON block (#territory-points), never from inline script. */
(function () {
  "use strict";

  var COLOURS = {
    near: "#0072B2",
    mid: "#56B4E9",
    far: "#E69F00",
    farthest: "#D55E00",
    none: "#1b1b1f",
  };

  function setup(wrapper) {
    var data = document.getElementById("territory-points");
    if (!data || typeof window.L === "undefined") {
      return;
    }
    var points = JSON.parse(data.textContent);
    if (!points.length) {
      return;
    }
    var L = window.L;
    wrapper.hidden = false;
    var map = L.map(wrapper.querySelector(".map"));
    L.tileLayer(wrapper.dataset.tileUrl, {
      maxZoom: 19,
      attribution: wrapper.dataset.attribution,
    }).addTo(map);
    var bounds = [];
    points.forEach(function (p) {
      var radius = Math.max(2, Math.min(20, Math.sqrt(p.population) / 8));
      L.circleMarker([p.lat, p.lon], {
        radius: radius,
        color: COLOURS[p.band] || COLOURS.none,
        weight: 1,
        fillOpacity: 0.6,
      })
        .bindTooltip(
          p.name + " — " + p.population + " — " + (p.km === null ? "> 100 km" : p.km + " km")
        )
        .addTo(map);
      bounds.push([p.lat, p.lon]);
    });
    map.fitBounds(bounds, { padding: [10, 10] });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-territory-map]").forEach(setup);
  });
})();
