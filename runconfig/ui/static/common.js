// Shared by the pages: JSON handed over in the page, colours, number formatting.

export function pageData(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

// A select that submits its form when changed (a button stands in without JavaScript).
export function autosubmit(root = document) {
  for (const select of root.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
}

const DARK = window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
export const PALETTE = DARK
  ? ["#7aa2f7", "#ff9e64", "#9ece6a", "#bb9af7", "#2ac3de", "#e0af68", "#f7768e", "#73daca"]
  : ["#2457c5", "#d9480f", "#2b8a3e", "#ae3ec9", "#1098ad", "#f08c00", "#c2255c", "#5c940d"];

export function css(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

// A number as a short label: 0.001, 1.2e-5, 12,345, 3.14.
export function fmt(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "";
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e6)) return value.toExponential(2).replace("e+", "e");
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  return String(Number(value.toPrecision(4)));
}

// Colour of a value in [0, 1] on a blue -> yellow ramp (viridis-like, readable both themes).
const RAMP = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
export function ramp(t) {
  const x = Math.min(Math.max(t, 0), 1) * (RAMP.length - 1);
  const i = Math.min(Math.floor(x), RAMP.length - 2);
  const f = x - i;
  const c = RAMP[i].map((a, k) => Math.round(a + (RAMP[i + 1][k] - a) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}
