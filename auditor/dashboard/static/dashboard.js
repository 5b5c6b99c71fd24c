/* Draws every <canvas data-chart="ID"> from the JSON block #chart-ID (no inline script,
   no network: the data is in the page). Chart.js is vendored in vendor/. */
(function () {
  "use strict";
  function draw() {
    if (typeof window.Chart === "undefined") { return; }
    var canvases = document.querySelectorAll("canvas[data-chart]");
    Array.prototype.forEach.call(canvases, function (canvas) {
      var block = document.getElementById("chart-" + canvas.getAttribute("data-chart"));
      if (!block) { return; }
      var spec = JSON.parse(block.textContent);
      var stacked = !!spec.stacked;
      var datasets = spec.datasets.map(function (ds) {
        return {
          label: ds.label, data: ds.data, borderColor: ds.colour,
          backgroundColor: ds.colour, fill: stacked && spec.type === "line",
          pointRadius: spec.labels.length > 60 ? 0 : 2, borderWidth: 1.5, tension: 0.1
        };
      });
      var chart = new window.Chart(canvas, {
        type: spec.type,
        data: { labels: spec.labels, datasets: datasets },
        options: {
          animation: false, responsive: true, maintainAspectRatio: false,
          indexAxis: spec.horizontal ? "y" : "x",
          interaction: { mode: "index", intersect: false },
          scales: { x: { stacked: stacked }, y: { stacked: stacked, beginAtZero: true } },
          plugins: { legend: { position: "bottom" } }
        }
      });
      canvas.setAttribute("data-rendered", String(chart.data.datasets.length));
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else { draw(); }
  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details.table-view"),
      function (d) { d.open = true; });
  });
}());
