/* The plan map and the detail page's location pin: Leaflet over a vendored world outline (no tiles
   unless MAP_TILE_URL is configured), pins clustered with leaflet.markercluster. */
(function () {
  "use strict";

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
    var map = L.map(el, Object.assign({ worldCopyJump: true, minZoom: 1, maxZoom: 12 }, options || {}));
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

  var el = document.getElementById("plan-map");
  if (el) {
    var points = JSON.parse(document.getElementById("plan-points").textContent);
    var map = base(el).setView([15, 10], 2);
    var cluster = L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 });
    points.forEach(function (p) {
      var marker = L.marker([p.lat, p.lng], { icon: pinIcon(), title: p.title, alt: p.title, keyboard: true });
      var link = document.createElement("a");
      link.href = p.url;
      link.textContent = p.title;
      var box = document.createElement("div");
      var meta = document.createElement("p");
      meta.textContent = [p.kind, p.country, p.year].filter(Boolean).join(" · ");
      box.appendChild(link);
      box.appendChild(meta);
      marker.bindPopup(box);
      cluster.addLayer(marker);
    });
    map.addLayer(cluster);
    if (points.length) {
      map.fitBounds(cluster.getBounds(), { padding: [30, 30], maxZoom: 5 });
    }
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
