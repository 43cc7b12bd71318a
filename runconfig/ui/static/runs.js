// The runs page: the parallel coordinates of the matching runs, whose brushes write their
// ranges into the query box and filter the table below; the parameter importance.
import { autosubmit, fmt } from "./common.js";
import { ParallelCoordinates, rangesToQuery } from "./parcoords.js";

autosubmit();

const box = document.getElementById("q");
const baseQuery = box ? box.value.trim() : "";

function combined(brushed) {
  if (!brushed) return baseQuery;
  return baseQuery ? `(${baseQuery}) and ${brushed}` : brushed;
}

// The runs selected to compare live in the URL (sel=id,id), so a copied link keeps them:
// the boxes of this page, and hidden inputs for those on other pages.
function selection() {
  const form = document.getElementById("compare-form");
  if (!form) return [];
  const ids = [];
  for (const input of form.querySelectorAll('input[name="run"]')) {
    if (input.type === "hidden" || input.checked) ids.push(input.value);
  }
  return ids;
}

// A parameter of the view changed in the page (a brush's query, the selection): written
// into the URL, the links of the page and the hidden fields of its forms, so that what
// comes next (a sort, another metric, other columns, a reload) keeps it.
function setParam(name, value) {
  const url = new URL(window.location.href);
  if (value) url.searchParams.set(name, value); else url.searchParams.delete(name);
  if (name === "q") url.searchParams.delete("page");
  window.history.replaceState(null, "", url);
  for (const link of document.querySelectorAll("main a[href^='/?'], main a[href='/']")) {
    if (name === "q" && link.classList.contains("clear")) continue; // it drops the query
    const target = new URL(link.href);
    if (value) target.searchParams.set(name, value); else target.searchParams.delete(name);
    link.href = target.pathname + target.search;
  }
  for (const form of document.querySelectorAll("form[data-keeps-view]")) {
    if (form.querySelector(`[name="${name}"]:not([type="hidden"])`)) continue; // its own field
    let input = form.querySelector(`input[type="hidden"][name="${name}"]`);
    if (!value) { if (input) input.remove(); continue; }
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      form.prepend(input);
    }
    input.value = value;
  }
}

function writeSelection(ids) {
  setParam("sel", ids.join(","));
  const count = document.getElementById("selected-count");
  if (count) count.textContent = ids.length ? `${ids.length} selected` : "";
}

document.addEventListener("change", (event) => {
  const target = event.target;
  if (target instanceof HTMLInputElement && target.type === "checkbox" && target.name === "run") {
    writeSelection(selection());
  }
});

let refreshing = null;
async function refreshTable(query) {
  setParam("q", query);
  const url = new URL(window.location.href);
  url.searchParams.set("fragment", "table");
  const mine = (refreshing = url.toString());
  const response = await fetch(mine);
  const text = await response.text();
  if (mine !== refreshing) return; // a newer brush won
  // A box checked while the table was on its way is in the URL, not in that table: ask
  // again, with the selection as it is now.
  if (new URL(window.location.href).searchParams.get("sel") !== url.searchParams.get("sel")) {
    return refreshTable(query);
  }
  document.getElementById("table-wrap").innerHTML = text; // drawn with the selection
}

// One request brings the chart's axes and the parameter importance (one read of the runs).
async function parallel() {
  const holder = document.getElementById("parcoords");
  if (!holder) return;
  const loading = document.createElement("p");
  loading.className = "loading";
  loading.textContent = "Loading…";
  holder.replaceChildren(loading);
  const importanceBody = document.querySelector("#importance .importance-body");
  if (importanceBody) importanceBody.replaceChildren(loading.cloneNode(true));
  const response = await fetch(holder.dataset.src);
  let data;
  try {
    data = await response.json();
  } catch {
    data = { error: `The chart could not be drawn (the server answered ${response.status}).` };
  }
  if (!response.ok || data.error) {
    holder.textContent = data.error || "The chart could not be drawn.";
    importance({ error: holder.textContent });
    return;
  }
  importance(data.importance);
  if (data.axes.length === 0) {
    holder.innerHTML = "";
    const p = document.createElement("p");
    p.className = "empty";
    p.textContent = "The matching runs share one config: no axis to draw.";
    holder.append(p);
    return;
  }
  const chart = new ParallelCoordinates(holder, data, (ranges) => {
    const query = combined(rangesToQuery(ranges));
    if (box) box.value = query;
    refreshTable(query);
  });
  window.runconfigParcoords = chart; // for the browser tests: timings and brushValues()
}

function importance(data) {
  const details = document.getElementById("importance");
  if (!details) return;
  const body = details.querySelector(".importance-body");
  body.replaceChildren();
  if (!data || data.error || !data.keys.length) {
    const p = document.createElement("p");
    p.className = "empty";
    p.textContent = (data && data.error) || "Not enough runs with this metric to tell.";
    body.append(p);
    return;
  }
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const title of ["config key", "variance explained", "rank correlation"]) {
    const th = document.createElement("th");
    th.textContent = title;
    head.append(th);
  }
  const rows = table.createTBody();
  for (const k of data.keys) {
    const row = rows.insertRow();
    row.insertCell().textContent = k.key;
    const cell = row.insertCell();
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = `${Math.round((k.explained || 0) * 120)}px`;
    cell.append(bar, ` ${k.explained === null ? "" : fmt(k.explained)}`);
    row.insertCell().textContent = k.spearman === null ? "" : fmt(k.spearman);
  }
  const note = document.createElement("p");
  note.className = "hint";
  note.textContent = `${data.runs.toLocaleString("en-US")} runs; ${data.ms.toFixed(0)} ms.`;
  body.append(table, note);
}

parallel();
