// How the assistant is doing: messages, fallback rate, reply times, errors,
// alerts raised and feedback per day as bar charts; latency by stage and the
// slowest capabilities and actions as tables.
// API: GET /studio/api/operations?days=

import { api } from "../api.js";
import { el, mount, svg } from "/chat/static/dom.js";
import { errorBox, loading, percent, viewHeader } from "../widgets.js";

const WIDTH = 560;
const HEIGHT = 160;
const PAD = { top: 12, right: 8, bottom: 22, left: 8 };

/** Bars for one figure per day; each bar's value is in its tooltip and in the table below. */
function barChart({ title, metric, days, value, format }) {
  const values = days.map((d) => Number(value(d)) || 0);
  const top = Math.max(...values, 0) || 1;
  const slot = (WIDTH - PAD.left - PAD.right) / Math.max(days.length, 1);
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const summary = `${title}: ${days.map((d, i) => `${d.date} ${format(values[i])}`).join(", ")}`;
  const chart = svg(
    "svg",
    { class: "ops-chart", viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": summary },
    days.map((d, i) => {
      const h = (values[i] / top) * plotHeight;
      return svg(
        "rect",
        { class: "ops-bar", x: PAD.left + i * slot + slot * 0.15, y: PAD.top + plotHeight - h, width: slot * 0.7, height: Math.max(h, values[i] ? 1 : 0) },
        svg("title", {}, `${d.date}: ${format(values[i])}`),
      );
    }),
    [0, days.length - 1].filter((i, n, all) => i >= 0 && all.indexOf(i) === n).map((i) =>
      svg("text", { class: "ops-axis", x: PAD.left + i * slot + slot / 2, y: HEIGHT - 6, "text-anchor": i ? "end" : "start" }, days[i].date.slice(5)),
    ),
  );
  return el(
    "figure",
    { class: "card ops-figure", "data-testid": "operations-chart", "data-metric": metric },
    el("figcaption", { class: "card-title" }, title, el("span", { class: "muted small" }, ` · peak ${format(Math.max(...values, 0))}`)),
    chart,
  );
}

const ms = (v) => (v ? `${Math.round(v)} ms` : "—");
const STAGES = ["nlu", "dialogue", "action", "database", "retrieval", "generation"];
const STAGE_LABELS = { nlu: "NLU", dialogue: "Dialogue", action: "Action", database: "Database", retrieval: "Retrieval", generation: "Generation", total: "Whole turn" };

function tableCard({ caption, testid, headers, rows }) {
  return el(
    "div",
    { class: "card table-card" },
    el(
      "table",
      { class: "table", "data-testid": testid },
      el("caption", {}, caption),
      el("thead", {}, el("tr", {}, headers.map((label, i) => el("th", { scope: "col", class: i ? "num" : "" }, label)))),
      el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((cell, i) => el("td", { class: i ? "num" : "mono" }, cell))))),
    ),
  );
}

const figure = (label, value) => el("div", { class: "figure" }, el("span", { class: "muted small" }, label), el("strong", {}, value));

export async function render(container, { params, navigate }) {
  const error = errorBox("view-error");
  const days = [7, 14, 30, 90].includes(Number(params.get("days"))) ? Number(params.get("days")) : 14;
  const select = el(
    "select",
    { id: "operations-days", class: "input", "data-testid": "operations-days" },
    [7, 14, 30, 90].map((n) => el("option", { value: n, selected: n === days }, `Last ${n} days`)),
  );
  select.addEventListener("change", () => navigate("operations", { days: select.value }));
  const results = el("div", {}, loading());
  mount(
    container,
    viewHeader(
      "Operations",
      "Volumes, fallbacks, errors, latency by stage, alerts and feedback, for your company.",
      el("div", { class: "inline-form" }, el("label", { for: "operations-days", class: "field-label" }, "Period"), select),
    ),
    error.node,
    results,
  );
  let data;
  try {
    data = await api.operations({ days });
  } catch (failure) {
    results.replaceChildren();
    error.show(failure);
    return;
  }
  const series = data.days || [];
  const totals = data.totals || {};
  const stageDays = data.stage_days || [];
  const alertDays = (data.alerts || {}).raised || [];
  mount(
    results,
    el(
      "div",
      { class: "figures", "data-testid": "operations-totals" },
      figure("Messages", String(totals.messages ?? 0)),
      figure("Fallback rate", percent(totals.fallback_rate || 0, 1)),
      figure("Unanswered", String(totals.unanswered ?? 0)),
      figure("Error rate", percent(totals.error_rate || 0, 1)),
      figure("Open alerts", String(totals.open_alerts ?? 0)),
    ),
    el(
      "div",
      { class: "ops-grid" },
      barChart({ title: "Messages per day", metric: "messages", days: series, value: (d) => d.messages, format: (v) => String(v) }),
      barChart({ title: "Fallback rate", metric: "fallback_rate", days: series, value: (d) => d.fallback_rate, format: (v) => percent(v, 1) }),
      barChart({ title: "Reply time, p95", metric: "p95_ms", days: series, value: (d) => d.p95_ms, format: ms }),
      barChart({ title: "Error rate", metric: "error_rate", days: stageDays, value: (d) => d.error_rate, format: (v) => percent(v, 1) }),
      barChart({ title: "Alerts raised", metric: "alerts_raised", days: alertDays, value: (d) => d.total, format: (v) => String(v) }),
      barChart({ title: "Thumbs down", metric: "thumbs_down", days: series, value: (d) => d.thumbs_down, format: (v) => String(v) }),
    ),
    tableCard({
      caption: "Latency by stage",
      testid: "stages-table",
      headers: ["Stage", "p50", "p95"],
      rows: [...STAGES, "total"].map((stage) => [STAGE_LABELS[stage], ms(data.stages?.[stage]?.p50_ms), ms(data.stages?.[stage]?.p95_ms)]),
    }),
    tableCard({
      caption: "Slowest capabilities (p95)",
      testid: "capabilities-table",
      headers: ["Capability", "Turns", "p50", "p95"],
      rows: (data.capabilities || []).map((row) => [row.capability, String(row.turns), ms(row.p50_ms), ms(row.p95_ms)]),
    }),
    tableCard({
      caption: "Actions by whole-turn p95, with the mean time of each stage",
      testid: "actions-table",
      headers: ["Action", "Turns", "Errors", "p95", ...STAGES.map((stage) => STAGE_LABELS[stage])],
      rows: (data.actions || []).map((row) => [row.action, String(row.turns), String(row.errors), ms(row.p95_ms), ...STAGES.map((stage) => ms(row.mean_ms?.[stage]))]),
    }),
  );
}
