/* Directory maps (Leaflet, served from our static files).
 * - Results map: markers come from /lieux/carte.json, grouped by the server per grid cell
 *   for the visible box and zoom; the centre and zoom live in the URL (mlat, mlon, z)
 *   next to the filters, so a map view can be shared. The list below has everything.
 * - Place map: one marker at the place's address.
 * - Spaces map (/espaces/): one marker per place of the page's spaces, linking each
 *   space's page; the markers come from a JSON block of the page. */
(function () {
  "use strict";

  var FRANCE = [46.6, 2.4];

  function tiles(L, map, element) {
    L.tileLayer(element.dataset.tileUrl, {
      maxZoom: 19,
      attribution: element.dataset.attribution,
    }).addTo(map);
  }

  function setupPlaceMap(element) {
    var L = window.L;
    var point = [parseFloat(element.dataset.lat), parseFloat(element.dataset.lon)];
    element.hidden = false;
    var map = L.map(element, { scrollWheelZoom: false }).setView(point, 16);
    tiles(L, map, element);
    L.marker(point, { title: element.dataset.name, alt: element.dataset.name }).addTo(map);
  }

  function setupSpacesMap(element) {
    var L = window.L;
    var source = document.getElementById(element.dataset.markersId);
    var markers = source ? JSON.parse(source.textContent) : [];
    if (!markers.length) {
      return;
    }
    element.hidden = false;
    var map = L.map(element, { scrollWheelZoom: false });
    tiles(L, map, element);
    var points = [];
    markers.forEach(function (m) {
      var point = [m.lat, m.lon];
      points.push(point);
      var popup = document.createElement("div");
      var title = document.createElement("strong");
      title.textContent = m.name;
      popup.appendChild(title);
      var list = document.createElement("ul");
      m.spaces.forEach(function (space) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = space.url;
        link.textContent = space.name;
        item.appendChild(link);
        list.appendChild(item);
      });
      popup.appendChild(list);
      L.marker(point, { title: m.name, alt: m.name, keyboard: true }).bindPopup(popup).addTo(map);
    });
    if (points.length === 1) {
      map.setView(points[0], 15);
    } else {
      map.fitBounds(points, { padding: [30, 30], maxZoom: 15 });
    }
  }

  function setupResultsMap(element) {
    var L = window.L;
    var params = new URLSearchParams(window.location.search);
    var centre = null;
    if (params.get("mlat") && params.get("mlon")) {
      centre = [parseFloat(params.get("mlat")), parseFloat(params.get("mlon"))];
    } else if (element.dataset.point) {
      centre = element.dataset.point.split(",").map(parseFloat);
    }
    var zoom = parseInt(params.get("z") || (centre ? "13" : "6"), 10);
    var map = L.map(element).setView(centre || FRANCE, zoom);
    tiles(L, map, element);
    var layer = L.layerGroup().addTo(map);
    var pending = null;

    function filters() {
      var query = new URLSearchParams(window.location.search);
      ["mlat", "mlon", "z", "page", "view"].forEach(function (name) {
        query.delete(name);
      });
      return query;
    }

    function remember() {
      var query = new URLSearchParams(window.location.search);
      var c = map.getCenter();
      query.set("mlat", c.lat.toFixed(5));
      query.set("mlon", c.lng.toFixed(5));
      query.set("z", String(map.getZoom()));
      window.history.replaceState(null, "", "?" + query.toString());
    }

    function draw(markers) {
      layer.clearLayers();
      markers.forEach(function (m) {
        if (m.count === 1) {
          var marker = L.marker([m.lat, m.lon], { title: m.name, alt: m.name });
          var link = document.createElement("a");
          link.href = m.url;
          link.textContent = m.name;
          marker.bindPopup(link);
          layer.addLayer(marker);
        } else {
          var label = m.count + " " + element.dataset.placeCountLabel;
          var icon = L.divIcon({
            className: "cluster",
            html: "<span>" + m.count + "</span>",
            iconSize: [40, 40],
          });
          var cluster = L.marker([m.lat, m.lon], { icon: icon, title: label, alt: label, keyboard: true });
          cluster.on("click", function () {
            map.setView([m.lat, m.lon], Math.min(map.getZoom() + 2, 19));
          });
          layer.addLayer(cluster);
        }
      });
    }

    function load() {
      remember();
      var b = map.getBounds();
      var query = filters();
      var west = Math.max(b.getWest(), -180);
      var east = Math.min(b.getEast(), 180);
      query.set("bbox", [west, Math.max(b.getSouth(), -90), east, Math.min(b.getNorth(), 90)].join(","));
      query.set("zoom", String(map.getZoom()));
      if (pending) {
        pending.abort();
      }
      pending = new AbortController();
      fetch(element.dataset.markersUrl + "?" + query.toString(), { signal: pending.signal })
        .then(function (response) {
          return response.json();
        })
        .then(function (payload) {
          draw(payload.markers || []);
        })
        .catch(function () {});
    }

    map.on("moveend", load);
    load();

    var here = document.querySelector("[data-search-here]");
    var form = document.querySelector("[data-search-form]");
    if (here && form) {
      here.hidden = false;
      here.addEventListener("click", function () {
        var c = map.getCenter();
        form.elements.namedItem("lat").value = c.lat.toFixed(6);
        form.elements.namedItem("lon").value = c.lng.toFixed(6);
        // A typed place would win over the map centre.
        var where = form.elements.namedItem("where");
        if (where) {
          where.value = "";
        }
        form.submit();
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof window.L === "undefined") {
      return;
    }
    document.querySelectorAll("[data-place-static-map]").forEach(setupPlaceMap);
    document.querySelectorAll("[data-results-map]").forEach(setupResultsMap);
    document.querySelectorAll("[data-spaces-map]").forEach(setupSpacesMap);
  });
})();
