// The run page: a chart per logged metric; while the run runs, new values every second.
import { drawCharts, LineChart } from "./chart.js";
import { pageData } from "./common.js";

const data = pageData("run-data");
const charts = drawCharts(data.charts.metrics);

async function poll() {
  let state = data.charts.state;
  let steps = data.charts.steps;
  while (state === "running") {
    await new Promise((r) => setTimeout(r, 1000));
    let fresh;
    try {
      // Only the rows logged since the last answer: a long run's history is not resent.
      const response = await fetch(`/api/run/${encodeURIComponent(data.id)}/live?since=${steps}`);
      if (!response.ok) continue;
      fresh = await response.json();
    } catch {
      continue;
    }
    state = fresh.state;
    document.getElementById("state").textContent = state;
    document.getElementById("state").className = `state state-${state}`;
    if (fresh.steps === steps) continue;
    steps = fresh.steps;
    const holder = document.getElementById("charts");
    holder.querySelector(".empty")?.remove();
    const known = data.charts.metrics;
    for (const [metric, series] of Object.entries(fresh.metrics)) {
      if (!known[metric]) known[metric] = series.map((s) => ({ ...s, steps: [], values: [] }));
      known[metric].forEach((mine, i) => {
        mine.steps.push(...series[i].steps);
        mine.values.push(...series[i].values);
      });
      if (charts[metric]) charts[metric].update(known[metric]);
      else charts[metric] = new LineChart(holder, metric, known[metric]);
    }
    const body = document.querySelector("#summary tbody");
    body.replaceChildren();
    for (const [key, value] of Object.entries(fresh.summary)) {
      if (key.startsWith("_")) continue;
      const row = body.insertRow();
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = key;
      const td = row.insertCell();
      td.className = "num";
      td.textContent = value;
      row.prepend(th);
    }
  }
}
poll();
