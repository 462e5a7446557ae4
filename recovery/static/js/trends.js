// Draws the pain and ODI charts from the JSON block beside each canvas. The same
// numbers are in the table below each chart, for screen readers and without JS.
(function () {
  "use strict";
  // The words, in the page's language (templates/macros/charts.html).
  var words = JSON.parse(document.getElementById("chart-words").textContent);

  // Day 0 (surgery) as a line and the radiation period as a band.
  var markers = {
    id: "recoveryMarkers",
    beforeDatasetsDraw: function (chart, args, options) {
      var x = chart.scales.x, area = chart.chartArea, ctx = chart.ctx;
      ctx.save();
      if (options.radiation) {
        var left = x.getPixelForValue(options.radiation[0]);
        var right = x.getPixelForValue(options.radiation[1]);
        ctx.fillStyle = "rgba(255, 193, 7, 0.18)";
        ctx.fillRect(left, area.top, right - left, area.bottom - area.top);
        ctx.fillStyle = "#8a6d00";
        ctx.fillText(words.radiation, left + 4, area.top + 12);
      }
      var zero = x.getPixelForValue(0);
      if (zero >= area.left && zero <= area.right) {
        ctx.strokeStyle = "#b71c1c";
        ctx.setLineDash([4, 4]);
        ctx.beginPath();
        ctx.moveTo(zero, area.top);
        ctx.lineTo(zero, area.bottom);
        ctx.stroke();
        ctx.fillStyle = "#b71c1c";
        ctx.fillText(words.surgery, zero + 4, area.bottom - 6);
      }
      ctx.restore();
    }
  };

  // Whole days on the x axis, and at least a week of room: one check-in is a dot
  // in the middle of a readable axis, not a point on -5.25 ... -4.75.
  function dayRange(points) {
    var xs = points.map(function (p) { return p.x; });
    if (!xs.length) return { min: -1, max: 7 };
    var low = Math.min.apply(null, xs), high = Math.max.apply(null, xs);
    var pad = Math.max(0, Math.ceil((7 - (high - low)) / 2));
    return { min: Math.floor(low) - pad, max: Math.ceil(high) + pad };
  }

  function draw(canvas) {
    var data = JSON.parse(document.getElementById(canvas.dataset.source).textContent);
    var series = canvas.dataset.series.split(",");
    var colours = { back: "#1565c0", leg: "#6a1b9a", odi: "#2e7d32" };
    var points = [].concat.apply([], series.map(function (name) { return data[name]; }));
    var range = dayRange(points);
    new Chart(canvas, {
      type: "line",
      data: {
        datasets: series.map(function (name) {
          return {
            label: words[name], data: data[name], borderColor: colours[name],
            backgroundColor: colours[name], pointRadius: data[name].length > 1 ? 2 : 4,
            tension: 0
          };
        })
      },
      options: {
        animation: false,
        // The box's CSS height decides, so the chart stays readable on a phone.
        maintainAspectRatio: false,
        scales: {
          x: {
            type: "linear", min: range.min, max: range.max,
            ticks: { precision: 0, stepSize: range.max - range.min <= 14 ? 1 : undefined },
            title: { display: true, text: words.days }
          },
          y: {
            beginAtZero: true, max: series[0] === "odi" ? 100 : 10,
            ticks: { precision: 0 }
          }
        },
        plugins: { recoveryMarkers: { radiation: data.radiation } }
      },
      plugins: [markers]
    });
  }

  document.querySelectorAll("canvas[data-source]").forEach(draw);
})();
