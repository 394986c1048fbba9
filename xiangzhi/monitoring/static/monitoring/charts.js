/* A point's charts: one uPlot per quantity, 24 h / 7 days / 90 days, from the rollups (series JSON); a band from
   the lowest to the highest of each bucket, rainfall as bars, a reservoir's characteristic levels as dashed
   lines; and the same figures in words below each chart. */
(function () {
  "use strict";
  if (!window.uPlot) return;
  var T = JSON.parse(document.getElementById("chart-text").textContent);
  var LEVEL_COLOURS = { flood_limit: "#d97706", normal_pool: "#0b5cad", design_flood: "#b42318", dam_crest: "#1d2329" };
  var dayFmt = uPlot.fmtDate("{M}-{D}"), timeFmt = uPlot.fmtDate("{HH}:{mm}"), fullFmt = uPlot.fmtDate("{M}-{D} {HH}:{mm}");

  function fmt(v) { return v == null ? "—" : (Math.round(v * 1000) / 1000).toString(); }

  function draw(box, data) {
    var el = box.querySelector(".chart"), summary = box.querySelector(".chart-summary");
    if (box._plot) { box._plot.destroy(); box._plot = null; }
    el.textContent = "";
    if (!data.x.length) { summary.textContent = T.none; box.dataset.points = 0; return; }
    var unit = data.unit ? " " + data.unit : "";
    var cols = [data.x, data.y], series = [{ label: T.time, value: function (u, v) { return v == null ? "—" : fullFmt(new Date(v * 1000)); } }];
    series.push(data.cumulative
      ? { label: data.label, stroke: "#0b5cad", fill: "rgba(11,92,173,.35)", paths: uPlot.paths.bars({ size: [0.8, 40] }), points: { show: false } }
      : { label: data.label + (data.min ? " (" + T.mean + ")" : ""), stroke: "#0b5cad", width: 2, points: { show: data.x.length < 60 } });
    var bands = [];
    if (data.min && !data.cumulative) {
      cols.push(data.max, data.min);
      series.push({ label: T.high, stroke: "rgba(11,92,173,.25)", width: 1, points: { show: false } });
      series.push({ label: T.low, stroke: "rgba(11,92,173,.25)", width: 1, points: { show: false } });
      bands.push({ series: [2, 3], fill: "rgba(11,92,173,.12)" });
    }
    var lo = Math.min.apply(null, data.min || data.y), hi = Math.max.apply(null, data.max || data.y);
    data.levels.forEach(function (level) {
      cols.push(data.x.map(function () { return level.value; }));
      series.push({ label: level.label + " " + fmt(level.value), stroke: LEVEL_COLOURS[level.code] || "#555", width: 1.5, dash: [6, 4], points: { show: false } });
      lo = Math.min(lo, level.value); hi = Math.max(hi, level.value);
    });
    var pad = (hi - lo) * 0.08 || 1;
    var short = data.span === "24h";
    var opts = {
      width: Math.max(280, el.clientWidth), height: 220, series: series, bands: bands,
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: data.cumulative ? [0, hi + pad] : [lo - pad, hi + pad] } },
      axes: [
        { values: function (u, ticks) { return ticks.map(function (t) { return (short ? timeFmt : dayFmt)(new Date(t * 1000)); }); }, space: 50, size: 30 },
        { size: 48, values: function (u, ticks) { return ticks.map(fmt); } }
      ]
    };
    box._plot = new uPlot(opts, cols, el);
    var last = data.y[data.y.length - 1];
    var words = data.cumulative
      ? T.total + " " + fmt(data.y.reduce(function (a, b) { return a + b; }, 0)) + unit
      : T.latest + " " + fmt(last) + unit + " · " + T.high + " " + fmt(Math.max.apply(null, data.max || data.y)) + unit +
        " · " + T.low + " " + fmt(Math.min.apply(null, data.min || data.y)) + unit;
    summary.textContent = words + " · " + T[data.source];
    box.dataset.points = data.x.length;
  }

  function load(box, span) {
    box.querySelectorAll("[data-span]").forEach(function (b) {
      var on = b.dataset.span === span;
      b.classList.toggle("on", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
    box.dataset.span = span;
    fetch(box.dataset.url + "&span=" + span, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw r; return r.json(); })
      .then(function (data) { box._data = data; draw(box, data); })
      .catch(function () { box.querySelector(".chart-summary").textContent = T.failed; });
  }

  var boxes = document.querySelectorAll(".chart-box");
  boxes.forEach(function (box) {
    box.addEventListener("click", function (e) {
      var b = e.target.closest("[data-span]");
      if (b) load(box, b.dataset.span);
    });
    load(box, "24h");
  });
  var timer;
  window.addEventListener("resize", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      boxes.forEach(function (box) {
        if (box._plot) box._plot.setSize({ width: Math.max(280, box.querySelector(".chart").clientWidth), height: 220 });
      });
    }, 150);
  });
})();
