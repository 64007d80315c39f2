// The overview's and run pages' behaviour: sortable tables, the run filter, Plotly charts whose points open samples.
"use strict";

function sortTable(table, col, th) {
  const body = table.tBodies[0];
  const num = th.dataset.type === "num";
  const dir = th.classList.contains("asc") ? -1 : 1;  // first click: ascending; again: descending
  for (const h of table.tHead.rows[0].cells) h.classList.remove("asc", "desc");
  th.classList.add(dir === 1 ? "asc" : "desc");
  const key = (row) => {
    const v = row.cells[col].dataset.v ?? row.cells[col].textContent;
    const x = parseFloat(v);
    return num ? (Number.isNaN(x) ? null : x) : v.toLowerCase();
  };
  const rows = [...body.rows];
  rows.sort((a, b) => {
    const x = key(a), y = key(b);
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;  // blanks last either way
    return (x < y ? -1 : x > y ? 1 : 0) * dir;
  });
  rows.forEach((r) => body.appendChild(r));
}

for (const table of document.querySelectorAll("table.sortable")) {
  [...table.tHead.rows[0].cells].forEach((th, i) => th.addEventListener("click", () => sortTable(table, i, th)));
}

const filter = document.getElementById("filter");
if (filter) {
  const rows = [...document.querySelectorAll("#board tbody tr")];
  const apply = () => {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const r of rows) {
      const text = r.dataset.filter.toLowerCase();
      r.hidden = !words.every((w) => text.includes(w));
      shown += !r.hidden;
    }
    document.getElementById("shown").textContent = `${shown} of ${rows.length} rows`;
  };
  filter.addEventListener("input", apply);
  apply();
}

function drawChart(id, fig) {
  const el = document.getElementById(id);
  Plotly.newPlot(el, fig.data, fig.layout, { responsive: true, displaylogo: false }).then((gd) => {
    gd.on("plotly_click", (ev) => {
      const p = ev.points[0];
      if (p && Array.isArray(p.customdata)) window.location.href = p.customdata[0];
    });
  });
}
