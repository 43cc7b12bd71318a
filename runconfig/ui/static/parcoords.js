// Parallel coordinates on a canvas: one axis per varying config key and the metric, a line
// per run coloured by the metric. SVG on top holds the axes, their labels and the brushes.
// Lines are drawn in batches of one Path2D per colour, so 10,000 runs draw in one pass.
import { css, fmt, ramp } from "./common.js";

const SVG = "http://www.w3.org/2000/svg";
const PAD = { top: 34, bottom: 22, left: 60, right: 60 };
const BUCKETS = 24;

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.append(node);
  return node;
}

function scaleOf(axis, top, bottom) {
  if (axis.kind === "category") {
    const n = axis.labels.length;
    const at = (code) => (n === 1 ? (top + bottom) / 2 : bottom - (code / (n - 1)) * (bottom - top));
    return { at, lo: 0, hi: n - 1 };
  }
  const f = axis.kind === "log" ? Math.log10 : (v) => v;
  let lo = Infinity, hi = -Infinity;
  for (const v of axis.values) if (v !== null) { lo = Math.min(lo, f(v)); hi = Math.max(hi, f(v)); }
  if (!(hi > lo)) { lo -= 1; hi += 1; }
  const at = (v) => bottom - ((f(v) - lo) / (hi - lo)) * (bottom - top);
  const back = (y) => {
    const u = lo + ((bottom - y) / (bottom - top)) * (hi - lo);
    return axis.kind === "log" ? 10 ** u : u;
  };
  return { at, back, lo, hi, f };
}

export class ParallelCoordinates {
  constructor(container, data, onBrush) {
    this.container = container;
    this.data = data;
    this.onBrush = onBrush;
    this.brushes = new Map(); // axis index -> [y0, y1] in pixels
    this.canvas = document.createElement("canvas");
    this.svg = el("svg", {});
    container.replaceChildren(this.canvas, this.svg);
    this.timings = [];
    this.layout();
    this.draw();
    new ResizeObserver(() => { this.layout(); this.draw(); }).observe(container);
  }

  layout() {
    const width = this.container.clientWidth || 800;
    const height = this.container.clientHeight || 320;
    this.width = width;
    this.height = height;
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * ratio);
    this.canvas.height = Math.round(height * ratio);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    this.svg.setAttribute("width", width);
    this.svg.setAttribute("height", height);
    const axes = this.data.axes;
    const top = PAD.top, bottom = height - PAD.bottom;
    const span = width - PAD.left - PAD.right;
    this.xs = axes.map((_, i) => PAD.left + (axes.length === 1 ? span / 2 : (i * span) / (axes.length - 1)));
    this.scales = axes.map((a) => scaleOf(a, top, bottom));
    // Each run's y on each axis, once: drawing is then only lines.
    const n = this.data.ids.length;
    this.ys = axes.map((a, i) => {
      const ys = new Float32Array(n);
      const s = this.scales[i];
      for (let r = 0; r < n; r++) ys[r] = a.values[r] === null ? NaN : s.at(a.values[r]);
      return ys;
    });
    const metric = axes.findIndex((a) => a.metric);
    // A run without the metric gets the grey of its own bucket, not the best run's colour.
    this.colour = new Uint8Array(n).fill(metric >= 0 ? BUCKETS : 0);
    if (metric >= 0) {
      // Coloured by rank, so that one outlier does not paint every other line alike.
      const values = axes[metric].values;
      const order = [...values.keys()].filter((r) => values[r] !== null);
      order.sort((a, b) => values[a] - values[b]);
      order.forEach((r, k) => {
        this.colour[r] = Math.min(BUCKETS - 1, Math.floor((k / Math.max(order.length - 1, 1)) * BUCKETS));
      });
    }
    this.metric = metric;
    this.drawAxes();
  }

  drawAxes() {
    const svg = this.svg;
    svg.replaceChildren();
    const top = PAD.top, bottom = this.height - PAD.bottom;
    // Titles and tick labels get the room between two axes (~7 px a character), so that
    // neighbours never run together; the whole name is in the title's tooltip.
    const room = this.xs.length > 1 ? this.xs[1] - this.xs[0] : this.width;
    const titleChars = Math.max(4, Math.floor((room - 8) / 7));
    const tickChars = Math.max(3, Math.min(14, Math.floor((room / 2 - 8) / 6)));
    const cut = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);
    this.data.axes.forEach((axis, i) => {
      const x = this.xs[i];
      const g = el("g", { "data-axis": axis.key }, svg);
      el("line", { class: "axis", x1: x, x2: x, y1: top, y2: bottom }, g);
      const title = el("text", { x, y: 14, "text-anchor": "middle", "font-weight": "600" }, g);
      title.textContent = cut(axis.title, titleChars);
      const tipText = el("title", {}, title);
      tipText.textContent = axis.key;
      const s = this.scales[i];
      const marks = axis.kind === "category"
        ? axis.labels.map((label, code) => [s.at(code), label])
        : [[top, fmt(s.back(top))], [(top + bottom) / 2, fmt(s.back((top + bottom) / 2))], [bottom, fmt(s.back(bottom))]];
      for (const [y, label] of marks.slice(0, 12)) {
        const t = el("text", { class: "tick", x: x - 5, y: y + 4, "text-anchor": "end" }, g);
        t.textContent = cut(String(label), tickChars);
      }
      const brush = this.brushes.get(i);
      if (brush) {
        el("rect", { class: "brush", x: x - 7, width: 14, y: Math.min(...brush), height: Math.abs(brush[1] - brush[0]) }, g);
      }
      const hit = el("rect", { class: "hit", x: x - 12, width: 24, y: top - 6, height: bottom - top + 12 }, g);
      hit.addEventListener("pointerdown", (e) => this.startBrush(e, i));
    });
  }

  startBrush(event, i) {
    event.preventDefault();
    const box = this.svg.getBoundingClientRect();
    const top = PAD.top, bottom = this.height - PAD.bottom;
    const clamp = (y) => Math.min(Math.max(y, top), bottom);
    const y0 = clamp(event.clientY - box.top);
    let moved = false;
    let pending = false;
    // On the window: the axes are drawn again while the brush moves.
    const move = (e) => {
      const y1 = clamp(e.clientY - box.top);
      if (Math.abs(y1 - y0) < 3 && !moved) return;
      moved = true;
      this.brushes.set(i, [y0, y1]);
      if (!pending) {
        pending = true;
        requestAnimationFrame(() => { pending = false; this.drawAxes(); this.draw(); });
      }
    };
    const up = () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
      if (!moved) this.brushes.delete(i); // a click clears the axis
      this.drawAxes();
      this.draw();
      if (this.onBrush) this.onBrush(this.ranges());
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
  }

  // Set a brush in values (tests and links): [lo, hi] on axis `key`.
  brushValues(key, lo, hi) {
    const i = this.data.axes.findIndex((a) => a.key === key);
    if (i < 0) throw new Error(`no axis ${key}`);
    const s = this.scales[i];
    this.brushes.set(i, [s.at(lo), s.at(hi)]);
    this.drawAxes();
    this.draw();
    if (this.onBrush) this.onBrush(this.ranges());
  }

  // The brushed ranges, in values: [{axis, lo, hi} or {axis, labels}].
  ranges() {
    const out = [];
    for (const [i, [a, b]] of this.brushes) {
      const axis = this.data.axes[i];
      const y0 = Math.min(a, b), y1 = Math.max(a, b);
      if (axis.kind === "category") {
        const codes = axis.labels.map((_, c) => c).filter((c) => {
          const y = this.scales[i].at(c);
          return y >= y0 - 0.5 && y <= y1 + 0.5;
        });
        out.push({ axis, codes });
      } else {
        const s = this.scales[i];
        out.push({ axis, lo: s.back(y1), hi: s.back(y0) });
      }
    }
    return out;
  }

  selected(r) {
    for (const [i, [a, b]] of this.brushes) {
      const y = this.ys[i][r];
      if (Number.isNaN(y) || y < Math.min(a, b) - 0.5 || y > Math.max(a, b) + 0.5) return false;
    }
    return true;
  }

  draw() {
    const started = performance.now();
    // Read back once per draw (below), so that the time measured is the drawing's.
    const ctx = this.canvas.getContext("2d", { willReadFrequently: true });
    const ratio = window.devicePixelRatio || 1;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, this.width, this.height);
    const n = this.data.ids.length;
    const faint = new Path2D();
    const paths = Array.from({ length: BUCKETS + 1 }, () => new Path2D()); // + no metric
    const xs = this.xs, ys = this.ys, axes = ys.length;
    let count = 0;
    for (let r = 0; r < n; r++) {
      const on = this.brushes.size === 0 || this.selected(r);
      const path = on ? paths[this.colour[r]] : faint;
      if (on) count++;
      let pen = false;
      for (let i = 0; i < axes; i++) {
        const y = ys[i][r];
        if (Number.isNaN(y)) { pen = false; continue; }
        if (pen) path.lineTo(xs[i], y); else path.moveTo(xs[i], y);
        pen = true;
      }
    }
    ctx.lineWidth = 1;
    ctx.globalAlpha = 0.25;
    ctx.strokeStyle = css("--line");
    ctx.stroke(faint);
    ctx.globalAlpha = n > 2000 ? 0.35 : 0.7;
    paths.forEach((path, b) => {
      if (b === BUCKETS) ctx.strokeStyle = css("--muted");
      else ctx.strokeStyle = this.metric >= 0 ? ramp(b / (BUCKETS - 1)) : css("--accent");
      ctx.stroke(path);
    });
    ctx.globalAlpha = 1;
    ctx.getImageData(0, 0, 1, 1); // wait for the pixels: the time is the draw's, not its queueing
    const ms = performance.now() - started;
    this.timings.push(ms);
    this.count = count;
    this.container.dataset.drawMs = ms.toFixed(1);
    this.container.dataset.selected = String(count);
  }
}

// The brushed ranges as query-language text: `lr >= 0.001 and lr <= 0.01`.
export function rangesToQuery(ranges) {
  const parts = [];
  for (const r of ranges) {
    const key = r.axis.key;
    if (r.codes) {
      const literals = r.codes.map((c) => r.axis.literals[c]).filter((x) => x !== null);
      // "(missing)" is the label of runs without the key (a value "(missing)" has a literal).
      const lacking = r.codes.some((c) => r.axis.literals[c] === null && r.axis.labels[c] === "(missing)");
      const among = literals.length ? `${key} in [${literals.join(", ")}]` : null;
      if (among && lacking) parts.push(`(${among} or not exists(${key}))`);
      else if (among) parts.push(among);
      else if (lacking) parts.push(`not exists(${key})`);
    } else {
      const lo = Number(r.lo.toPrecision(6)), hi = Number(r.hi.toPrecision(6));
      parts.push(`${key} >= ${lo} and ${key} <= ${hi}`);
    }
  }
  return parts.join(" and ");
}
