/* The plan map and the detail page's location pin: Leaflet over a vendored world outline (no tiles
   unless MAP_TILE_URL is configured), pins clustered with leaflet.markercluster. */
(function () {
  "use strict";

  // The texts Leaflet shows, from the page language's djangojs catalogue (the page loads jsi18n first).
  var gettext = window.gettext || function (text) { return text; };

  function outline(map, url) {
    return fetch(url)
      .then(function (r) { return r.json(); })
      .then(function (topo) {
        var land = topojson.feature(topo, topo.objects.countries);
        L.geoJSON(land, {
          interactive: false,
          style: { color: "#8a96a3", weight: 0.6, fillColor: "#e5eaef", fillOpacity: 1 }
        }).addTo(map);
      });
  }

  function base(el, options) {
    options = Object.assign({ worldCopyJump: true, minZoom: 1, maxZoom: 12 }, options || {});
    var zoom = options.zoomControl !== false;
    var map = L.map(el, Object.assign({}, options, { zoomControl: false }));
    if (zoom) {
      L.control.zoom({ zoomInTitle: gettext("Zoom in"), zoomOutTitle: gettext("Zoom out") }).addTo(map);
    }
    // Leaflet names a popup's close button "Close popup" whatever the language.
    map.on("popupopen", function (e) {
      var close = e.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) close.setAttribute("aria-label", gettext("Close popup"));
    });
    map.attributionControl.setPrefix(false);
    var tiles = el.dataset.tiles;
    if (tiles) {
      L.tileLayer(tiles, { attribution: el.dataset.attribution || "" }).addTo(map);
    } else {
      outline(map, el.dataset.world);
    }
    return map;
  }

  function pinIcon() {
    return L.divIcon({ className: "pin", html: "<span></span>", iconSize: [18, 18], iconAnchor: [9, 9] });
  }

  // Pins come from their own URL (`data-pins`, the page's filters) as rows
  // [lat, lng, slug, title, kind, country, year]: the page stays small whatever the number of plans.
  function pins(map, el) {
    return fetch(el.dataset.pins, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 });
        data.pins.forEach(function (p) {
          var title = p[3];
          var marker = L.marker([p[0], p[1]], { icon: pinIcon(), title: title, alt: title, keyboard: true });
          marker.bindPopup(function () {
            var link = document.createElement("a");
            link.href = data.detail.replace("SLUG", p[2]);
            link.textContent = title;
            var meta = document.createElement("p");
            meta.textContent = [data.kinds[p[4]] || p[4], p[5], p[6]].filter(Boolean).join(" · ");
            var box = document.createElement("div");
            box.appendChild(link);
            box.appendChild(meta);
            return box;
          });
          cluster.addLayer(marker);
        });
        map.addLayer(cluster);
        if (data.pins.length) {
          map.fitBounds(cluster.getBounds(), { padding: [30, 30], maxZoom: 5 });
        }
        el.dataset.pinCount = String(data.pins.length);
      });
  }

  var el = document.getElementById("plan-map");
  if (el) {
    var map = base(el).setView([15, 10], 2);
    pins(map, el);
  }

  var mini = document.getElementById("mini-map");
  if (mini) {
    var at = [parseFloat(mini.dataset.lat), parseFloat(mini.dataset.lng)];
    var small = base(mini, { zoomControl: false, dragging: false, scrollWheelZoom: false, doubleClickZoom: false,
                             boxZoom: false, keyboard: false, touchZoom: false });
    small.setView(at, 3);
    L.marker(at, { icon: pinIcon(), keyboard: false, interactive: false }).addTo(small);
  }
})();
