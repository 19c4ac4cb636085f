// A `chart` payload drawn as inline SVG: a line chart for trends (sales by day
// or month, projected cash by week) and a bar chart for aging buckets. Axis
// labels, a legend, a text description for screen readers and the numbers
// themselves in a collapsible table.

import { el, svg } from "./dom.js";
import { formatAxis, formatCompact, formatMoney, formatNumber, formatShortLabel } from "./format.js";
import { renderTable } from "./table.js";

// drawn in a narrower box on phones and in the side panel, so the labels stay legible
const WIDE = { width: 600, height: 280, top: 18, right: 28, bottom: 42, left: 64, xRoom: 7 };
const NARROW = { width: 360, height: 240, top: 16, right: 24, bottom: 38, left: 50, xRoom: 4 };
const PALETTE = ["#2563eb", "#c2410c", "#047857", "#9333ea", "#be123c"];
// 0-30 … 90+ days: later buckets are worse, so they get warmer colours
const AGING_RAMP = ["#2563eb", "#ca8a04", "#ea580c", "#b91c1c"];

let chartCount = 0;

/** Round axis steps: 1, 2, 2.5 or 5 times a power of ten, about `count` of them. */
export function niceTicks(min, max, count = 5) {
  if (min === max) {
    const pad = Math.abs(min) || 1;
    min -= pad;
    max += pad;
  }
  const rough = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough) || 10 * power;
  const low = Math.floor(min / step) * step;
  const high = Math.ceil(max / step) * step;
  const ticks = [];
  for (let v = low; v <= high + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function labelEvery(count, room) {
  return Math.max(1, Math.ceil(count / room));
}

function numbers(series) {
  return series.map((s) => ({
    name: String(s.name ?? ""),
    raw: (s.values || []).map((v) => (v === null || v === undefined ? null : String(v))),
    values: (s.values || []).map((v) => (v === null || v === undefined ? null : Number(v))),
  }));
}

function describe(payload, series, labels, amount) {
  const parts = series.map((s) => {
    let lowest = null;
    let highest = null;
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      if (lowest === null || v < s.values[lowest]) lowest = i;
      if (highest === null || v > s.values[highest]) highest = i;
    });
    if (lowest === null) return `${s.name}: no values`;
    return (
      `${s.name}: highest ${amount(s.raw[highest])} (${labels[highest]}), ` +
      `lowest ${amount(s.raw[lowest])} (${labels[lowest]})`
    );
  });
  const kind = payload.chart === "bar" ? "Bar chart" : "Line chart";
  const span = labels.length ? `, ${labels[0]} to ${labels[labels.length - 1]}` : "";
  return `${kind}${span}. ${parts.join(". ")}.`;
}

function axes(box, plot, ticks, y, { currency, style }) {
  const group = svg("g", { class: "axis axis-y" });
  const labels = formatAxis(ticks, currency, style);
  ticks.forEach((tick, index) => {
    const ty = y(tick);
    group.append(
      svg("line", {
        x1: box.left,
        x2: box.width - box.right,
        y1: ty,
        y2: ty,
        class: tick === 0 ? "grid grid-zero" : "grid",
      }),
      svg(
        "text",
        { x: box.left - 8, y: ty, "text-anchor": "end", "dominant-baseline": "middle" },
        labels[index],
      ),
    );
  });
  plot.append(group);
}

function xLabels(box, plot, labels, x, room) {
  const group = svg("g", { class: "axis axis-x" });
  const every = labelEvery(labels.length, room);
  const shown = [];
  for (let i = 0; i < labels.length; i += every) shown.push(i);
  const last = labels.length - 1;
  if (shown[shown.length - 1] !== last) {
    // the last label always shows; the regular one before it goes when too close
    if (last - shown[shown.length - 1] < every * 0.75 && shown.length > 1) shown.pop();
    shown.push(last);
  }
  for (const i of shown) {
    group.append(
      svg(
        "text",
        { x: x(i), y: box.height - box.bottom + 20, "text-anchor": "middle" },
        formatShortLabel(labels[i]),
      ),
    );
  }
  plot.append(group);
}

function lineChart(box, plot, series, labels, amount, units, colours) {
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const ticks = niceTicks(Math.min(0, ...all), Math.max(0, ...all));
  const [low, high] = [ticks[0], ticks[ticks.length - 1]];
  const innerW = box.width - box.left - box.right;
  const innerH = box.height - box.top - box.bottom;
  const x = (i) => box.left + (labels.length <= 1 ? innerW / 2 : (i * innerW) / (labels.length - 1));
  const y = (v) => box.top + innerH - ((v - low) / (high - low)) * innerH;
  axes(box, plot, ticks, y, units);
  xLabels(box, plot, labels, x, box.xRoom);
  series.forEach((s, index) => {
    const colour = colours[index % colours.length];
    const points = s.values
      .map((v, i) => (Number.isFinite(v) ? [x(i), y(v)] : null))
      .filter(Boolean);
    if (!points.length) return;
    const line = points.map(([px, py], i) => `${i ? "L" : "M"}${px.toFixed(1)},${py.toFixed(1)}`);
    const group = svg("g", { class: "series", "data-series": s.name });
    if (series.length === 1 && points.length > 1) {
      const base = y(Math.max(low, 0)).toFixed(1);
      const area = `${line.join("")}L${points[points.length - 1][0].toFixed(1)},${base}L${points[0][0].toFixed(1)},${base}Z`;
      group.append(svg("path", { d: area, fill: colour, class: "area" }));
    }
    group.append(svg("path", { d: line.join(""), stroke: colour, class: "line" }));
    const dots = points.length <= (box === NARROW ? 16 : 40);
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      const dot = svg("circle", {
        cx: x(i).toFixed(1),
        cy: y(v).toFixed(1),
        r: dots ? 3.2 : 2,
        fill: "#fff",
        stroke: colour,
        class: "dot",
      });
      dot.append(svg("title", {}, `${s.name}, ${labels[i]}: ${amount(s.raw[i])}`));
      group.append(dot);
    });
    plot.append(group);
  });
}

function barChart(box, plot, series, labels, amount, units, colours, ramp) {
  const amountShort = (v) => formatCompact(v, units.currency, units.style);
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const ticks = niceTicks(Math.min(0, ...all), Math.max(0, ...all));
  const [low, high] = [ticks[0], ticks[ticks.length - 1]];
  const innerW = box.width - box.left - box.right;
  const innerH = box.height - box.top - box.bottom;
  const band = innerW / Math.max(1, labels.length);
  const x = (i) => box.left + band * i + band / 2;
  const y = (v) => box.top + innerH - ((v - low) / (high - low)) * innerH;
  axes(box, plot, ticks, y, units);
  xLabels(box, plot, labels, x, box.xRoom + 2);
  const barW = Math.min(box.width / 9, (band * 0.7) / series.length);
  series.forEach((s, index) => {
    const group = svg("g", { class: "series", "data-series": s.name });
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      const colour = ramp ? ramp[Math.min(i, ramp.length - 1)] : colours[index % colours.length];
      const left = x(i) - (barW * series.length) / 2 + barW * index;
      const top = Math.min(y(v), y(0));
      const height = Math.max(1, Math.abs(y(v) - y(0)));
      const bar = svg("rect", {
        x: left.toFixed(1),
        y: top.toFixed(1),
        width: (barW - 2).toFixed(1),
        height: height.toFixed(1),
        rx: 3,
        fill: colour,
        class: "bar",
      });
      bar.append(svg("title", {}, `${s.name}, ${labels[i]}: ${amount(s.raw[i])}`));
      group.append(bar);
      if (series.length === 1) {
        group.append(
          svg(
            "text",
            {
              x: (left + (barW - 2) / 2).toFixed(1),
              y: (v >= 0 ? top - 6 : top + height + 14).toFixed(1),
              "text-anchor": "middle",
              class: "bar-value",
            },
            amountShort(v),
          ),
        );
      }
    });
    plot.append(group);
  });
}

export function renderChart(payload) {
  const labels = (payload.labels || []).map((l) => String(l));
  const series = numbers(Array.isArray(payload.series) ? payload.series : []);
  const currency = payload.currency || "";
  const style = payload.number_style;
  const units = { currency, style };
  const amount = (v) => (currency ? formatMoney(v, currency, style) : formatNumber(v, currency, style));
  const box = window.innerWidth < 640 ? NARROW : WIDE;
  chartCount += 1;
  const titleId = `erp-chart-${chartCount}-title`;
  const descId = `erp-chart-${chartCount}-desc`;
  const title = payload.title || "Chart";

  const plot = svg("svg", {
    class: `chart chart-${payload.chart === "bar" ? "bar" : "line"}`,
    viewBox: `0 0 ${box.width} ${box.height}`,
    role: "img",
    "aria-labelledby": `${titleId} ${descId}`,
    preserveAspectRatio: "xMidYMid meet",
  });
  const description = describe(payload, series, labels.map(formatShortLabel), amount);
  plot.append(svg("title", { id: titleId }, title), svg("desc", { id: descId }, description));

  const aging = labels.length > 1 && labels.every((l) => /days/i.test(l));
  const ramp = payload.chart === "bar" && series.length === 1 && aging ? AGING_RAMP : null;
  if (!labels.length || !series.length) {
    return el("div", { class: "payload payload-chart" }, el("p", { class: "muted" }, `${title}: no data.`));
  }
  if (payload.chart === "bar") barChart(box, plot, series, labels, amount, units, PALETTE, ramp);
  else lineChart(box, plot, series, labels, amount, units, PALETTE);

  const legend =
    series.length > 1
      ? el(
          "ul",
          { class: "legend", "aria-hidden": "true" },
          ...series.map((s, i) =>
            el(
              "li",
              {},
              el("span", { class: `swatch swatch-${i % PALETTE.length}` }),
              s.name,
            ),
          ),
        )
      : null;

  // the numbers behind the picture, for anyone who wants them exactly
  const columns = [
    {
      key: "label",
      label: payload.chart === "bar" ? "Bucket" : "Period",
      type: labels.every((l) => /^\d{4}-\d{2}(-\d{2})?$/.test(l)) ? "date" : "text",
    },
    ...series.map((s, i) => ({ key: `s${i}`, label: s.name, type: currency ? "money" : "number" })),
  ];
  const rows = labels.map((label, i) => {
    const row = { label };
    series.forEach((s, j) => {
      row[`s${j}`] = s.raw[i];
    });
    return row;
  });
  const data = el(
    "details",
    { class: "chart-data" },
    el("summary", {}, "Show the numbers"),
    renderTable({ title: `${title} (data)`, currency, number_style: style, columns, rows }),
  );

  return el(
    "figure",
    { class: "payload payload-chart", "data-chart": payload.chart === "bar" ? "bar" : "line" },
    el(
      "figcaption",
      { class: "payload-title" },
      title,
      currency ? el("span", { class: "payload-unit" }, ` · ${currency}`) : null,
    ),
    legend,
    plot,
    data,
  );
}
