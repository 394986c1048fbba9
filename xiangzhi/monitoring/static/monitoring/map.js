/* The monitoring map: Leaflet with clustered markers, one per point, its shape and colour saying its status;
   the filters form redraws the points without a reload; a click opens the point's card. No CDN, no build. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) return;
  var cfg = JSON.parse(document.getElementById("map-config").textContent);
  var text = cfg.text;
  var statuses = cfg.legend.statuses.map(function (s) { return s.code; });
  var SYMBOL = { online: "●", offline: "!", never_seen: "?" };
  var form = document.getElementById("map-form");
  var count = document.getElementById("map-count");

  var map = L.map(el, { zoomControl: true, attributionControl: !!cfg.attribution, maxZoom: 19 });
  if (cfg.tiles) {
    L.tileLayer(cfg.tiles, { subdomains: cfg.subdomains, attribution: cfg.attribution, maxZoom: 18 }).addTo(map);
  } else {
    el.classList.add("no-tiles");
  }

  // Villages: an outline each and its name (the only background when no tiles are configured).
  var outlines = L.featureGroup().addTo(map);
  cfg.outlines.forEach(function (v) {
    L.polygon(v.ring, { color: "#8a6d3b", weight: 1.5, fillColor: "#c9b98f", fillOpacity: 0.12, interactive: false }).addTo(outlines);
    var name = document.createElement("span");
    name.textContent = v.name;
    L.marker(v.label, {
      icon: L.divIcon({ className: "village-name", html: name, iconSize: null }),
      interactive: false, keyboard: false
    }).addTo(outlines);
  });

  var icons = {};
  statuses.forEach(function (code) {
    icons[code] = L.divIcon({
      className: "pt pt-" + code, html: "<span>" + SYMBOL[code] + "</span>", iconSize: [22, 22], iconAnchor: [11, 11]
    });
  });

  // A cluster says how many points it holds and, in a red badge, how many of them are offline.
  var clusters = L.markerClusterGroup({
    chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 45, spiderfyOnMaxZoom: true,
    iconCreateFunction: function (cluster) {
      var children = cluster.getAllChildMarkers(), offline = 0;
      for (var i = 0; i < children.length; i++) if (children[i].options.status === "offline") offline++;
      var html = "<span>" + children.length + "</span>" + (offline ? "<b class=\"off\">" + offline + "</b>" : "");
      return L.divIcon({ className: "pt-cluster" + (offline ? " has-offline" : ""), html: html, iconSize: [38, 38] });
    }
  });
  map.addLayer(clusters);

  function query() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) { if (value) params.append(key, value); });
    return params.toString();
  }

  function fit() {
    var bounds = clusters.getLayers().length ? clusters.getBounds() : outlines.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
    else map.setView([35, 105], 4);
  }

  var cardUrl = el.dataset.cardUrl;
  function openCard(marker) {
    var popup = L.popup({ maxWidth: 300, minWidth: 220, autoPanPadding: [12, 12] })
      .setLatLng(marker.getLatLng()).setContent("<p class=\"muted\">" + text.loading + "</p>").openOn(map);
    fetch(cardUrl.replace("/0/", "/" + marker.options.pid + "/"), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw r; return r.text(); })
      .then(function (html) { popup.setContent(html); })
      .catch(function () { popup.setContent("<p>" + text.failed + "</p>"); });
  }
  clusters.on("click", function (e) { openCard(e.layer); });
  clusters.on("keypress", function (e) { if (e.originalEvent.key === "Enter") openCard(e.layer); });

  var seq = 0;
  function load(refit) {
    var mine = ++seq, qs = query();
    count.textContent = text.loading;
    fetch(el.dataset.pointsUrl + (qs ? "?" + qs : ""), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw r; return r.json(); })
      .then(function (data) {
        if (mine !== seq) return;
        var tally = {}, markers = data.points.map(function (p) {
          var status = statuses[p[3]];
          tally[status] = (tally[status] || 0) + 1;
          return L.marker([p[1], p[2]], { icon: icons[status], title: p[6] + " " + p[7], pid: p[0], status: status });
        });
        clusters.clearLayers();
        clusters.addLayers(markers);
        count.textContent = markers.length ? text.count.replace("%(n)s", markers.length) : text.none;
        document.querySelectorAll("#map-legend b[data-status]").forEach(function (b) {
          b.textContent = tally[b.dataset.status] || 0;
        });
        el.dataset.loaded = markers.length;
        if (refit) fit();
      })
      .catch(function () { if (mine === seq) count.textContent = text.failed; });
  }

  form.addEventListener("change", function (e) {
    var chip = e.target.closest(".chip");
    if (chip) chip.classList.toggle("on", e.target.checked);
    var qs = query();
    history.replaceState(null, "", qs ? "?" + qs : location.pathname);
    load(true);
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    form.querySelector("details").open = false;
    load(true);
  });
  // On a wide screen the filters start open beside the map; on a phone they fold away.
  if (window.matchMedia("(min-width: 720px)").matches) form.querySelector("details").open = true;
  load(true);
})();
