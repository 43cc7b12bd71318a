// Line charts on a canvas: one chart per metric, a line per run, axes with ticks and a
// legend naming the runs. Redrawn on resize; update() replaces the series (live runs).
import { PALETTE, css, fmt } from "./common.js";

function ticks(lo, hi, count) {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0) || step0;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
  return out;
}

export class LineChart {
  constructor(container, title, series) {
    this.box = document.createElement("div");
    this.box.className = "chart";
    const h = document.createElement("h3");
    h.textContent = title;
    this.canvas = document.createElement("canvas");
    this.legend = document.createElement("div");
    this.legend.className = "legend";
    this.box.append(h, this.canvas, this.legend);
    container.append(this.box);
    this.series = series;
    this.resize = new ResizeObserver(() => this.draw());
    this.resize.observe(this.canvas);
    this.draw();
  }

  update(series) {
    this.series = series;
    this.draw();
  }

  draw() {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 400;
    const height = canvas.clientHeight || 220;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const s of this.series) {
      for (let i = 0; i < s.steps.length; i++) {
        x0 = Math.min(x0, s.steps[i]); x1 = Math.max(x1, s.steps[i]);
        y0 = Math.min(y0, s.values[i]); y1 = Math.max(y1, s.values[i]);
      }
    }
    this.legend.replaceChildren();
    this.series.forEach((s, i) => {
      const item = document.createElement("span");
      item.textContent = s.run;
      item.style.setProperty("--c", PALETTE[i % PALETTE.length]);
      this.legend.append(item);
    });
    if (!Number.isFinite(x0)) return;
    if (x1 === x0) { x0 -= 1; x1 += 1; }
    if (y1 === y0) { y0 -= Math.abs(y0) * 0.1 || 1; y1 += Math.abs(y1) * 0.1 || 1; }
    const pad = { l: 56, r: 12, t: 8, b: 24 };
    const sx = (x) => pad.l + ((x - x0) / (x1 - x0)) * (width - pad.l - pad.r);
    const sy = (y) => height - pad.b - ((y - y0) / (y1 - y0)) * (height - pad.t - pad.b);
    ctx.font = `11px ${css("--sans")}`;
    ctx.fillStyle = css("--muted");
    ctx.strokeStyle = css("--line");
    ctx.lineWidth = 1;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of ticks(y0, y1, 4)) {
      const y = Math.round(sy(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(pad.l, y); ctx.lineTo(width - pad.r, y); ctx.stroke();
      ctx.fillText(fmt(v), pad.l - 6, y);
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const v of ticks(x0, x1, 6)) ctx.fillText(fmt(v), sx(v), height - pad.b + 6);
    ctx.lineWidth = 1.6;
    this.series.forEach((s, i) => {
      ctx.strokeStyle = PALETTE[i % PALETTE.length];
      ctx.beginPath();
      for (let k = 0; k < s.steps.length; k++) {
        const x = sx(s.steps[k]), y = sy(s.values[k]);
        if (k === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      }
      if (s.steps.length === 1) ctx.arc(sx(s.steps[0]), sy(s.values[0]), 2, 0, 7);
      ctx.stroke();
    });
  }
}

// Charts for {metric: [series...]} into the element #charts; returns them by metric.
export function drawCharts(metrics) {
  const holder = document.getElementById("charts");
  const charts = {};
  if (!holder || !metrics) return charts;
  for (const [metric, series] of Object.entries(metrics)) {
    charts[metric] = new LineChart(holder, metric, series);
  }
  return charts;
}
