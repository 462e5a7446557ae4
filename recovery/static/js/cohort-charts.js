// Cohort summary charts, drawn from the JSON block on the page. The same numbers
// are in the tables beside each chart, for screen readers and without JS.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("cohort-data").textContent);
  // The words, in the page's language (templates/macros/charts.html).
  var words = JSON.parse(document.getElementById("chart-words").textContent);
  var blue = "#1565c0", band = "rgba(21, 101, 192, 0.15)";

  // Each week's label says how many patients it stands on; an empty week says so.
  function weekLabels(weeks, patients) {
    return weeks.map(function (week, i) {
      return [words.week + " " + week, patients[i] ? "n=" + patients[i] : words.none];
    });
  }

  var pain = document.getElementById("pain-chart");
  if (pain) {
    new Chart(pain, {
      type: "line",
      data: {
        labels: weekLabels(data.weeks, data.pain_patients),
        datasets: [
          // The band: the 75th percentile line filled down to the 25th.
          { label: words.q3, data: data.q3, borderColor: band, backgroundColor: band, fill: "+1", pointRadius: 0 },
          { label: words.q1, data: data.q1, borderColor: band, backgroundColor: band, fill: false, pointRadius: 0 },
          { label: words.median, data: data.median, borderColor: blue, backgroundColor: blue, fill: false, pointRadius: 2 }
        ]
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        spanGaps: false,  // a week without check-ins is a gap, not a guess
        scales: {
          x: { title: { display: true, text: words.week_axis } },
          y: { min: 0, max: 10, title: { display: true, text: words.back } }
        }
      }
    });
  }

  var adherence = document.getElementById("adherence-chart");
  if (adherence) {
    new Chart(adherence, {
      type: "bar",
      data: {
        labels: weekLabels(data.adherence_weeks, data.adherence_patients),
        // minBarLength: 0 % shows as a sliver, an empty week (null) as nothing.
        datasets: [{ label: words.checkins, data: data.adherence, backgroundColor: "#2e7d32", minBarLength: 3 }]
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { title: { display: true, text: words.week_axis } },
          y: { min: 0, max: 100, title: { display: true, text: "%" } }
        }
      }
    });
  }

  var phases = document.getElementById("phase-chart");
  if (phases) {
    new Chart(phases, {
      type: "bar",
      data: {
        labels: data.phases,
        datasets: [{ label: words.patients, data: data.phase_counts, backgroundColor: "#6a1b9a" }]
      },
      options: { animation: false, maintainAspectRatio: false, indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { ticks: { precision: 0 } } } }
    });
  }
})();
