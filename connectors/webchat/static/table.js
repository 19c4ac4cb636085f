// A `table` payload as an accessible HTML table, sortable by clicking (or pressing
// Enter/Space on) a column header. Money, number and percent columns sort as
// numbers, dates by their ISO value, text alphabetically; `aria-sort` says how.

import { formatCell, isNumericType, sortKey } from "./format.js";
import { el } from "./dom.js";

let tableCount = 0;

function compare(a, b, direction) {
  // empty cells last, whatever the direction
  if (a === null && b === null) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  const order = typeof a === "number" && typeof b === "number" ? a - b : a < b ? -1 : a > b ? 1 : 0;
  return direction === "ascending" ? order : -order;
}

export function renderTable(payload) {
  const columns = Array.isArray(payload.columns) ? payload.columns : [];
  const rows = Array.isArray(payload.rows) ? payload.rows : [];
  const currency = payload.currency || "";
  const style = payload.number_style;
  tableCount += 1;
  const captionId = `erp-table-${tableCount}`;

  const table = el("table", { class: "data-table", "aria-labelledby": captionId });
  const caption = el("caption", { id: captionId }, payload.title || "Table");
  const headRow = el("tr");
  const body = el("tbody");
  table.append(caption, el("thead", {}, headRow), body);

  const state = { key: null, direction: "none" };
  const headers = columns.map((column) => {
    const numeric = isNumericType(column.type);
    const button = el(
      "button",
      { type: "button", class: "sort-button", "data-key": column.key },
      el("span", {}, column.label || column.key),
      el("span", { class: "sort-icon", "aria-hidden": "true" }),
    );
    const th = el(
      "th",
      { scope: "col", class: numeric ? "num" : "", "aria-sort": "none", "data-type": column.type },
      button,
    );
    button.addEventListener("click", () => sortBy(column));
    return th;
  });
  headRow.append(...headers);

  function fill(ordered) {
    body.replaceChildren(
      ...ordered.map((row) =>
        el(
          "tr",
          {},
          ...columns.map((column) =>
            el(
              "td",
              { class: isNumericType(column.type) ? "num" : "", "data-type": column.type },
              formatCell(row[column.key], column.type, currency, style),
            ),
          ),
        ),
      ),
    );
  }

  function sortBy(column) {
    const numeric = isNumericType(column.type) || column.type === "date";
    if (state.key === column.key) {
      state.direction = state.direction === "ascending" ? "descending" : "ascending";
    } else {
      state.key = column.key;
      // amounts and dates read best largest/newest first
      state.direction = numeric ? "descending" : "ascending";
    }
    headers.forEach((th, i) => {
      th.setAttribute("aria-sort", columns[i].key === state.key ? state.direction : "none");
    });
    const keyed = rows.map((row, index) => ({ row, index, key: sortKey(row[column.key], column.type) }));
    keyed.sort((a, b) => compare(a.key, b.key, state.direction) || a.index - b.index);
    fill(keyed.map((item) => item.row));
    status.textContent = `Sorted by ${column.label || column.key}, ${state.direction}.`;
  }

  fill(rows);
  const status = el("p", { class: "visually-hidden", role: "status" });
  const scroller = el(
    "div",
    { class: "table-scroll", tabindex: "0", role: "region", "aria-labelledby": captionId },
    table,
  );
  const figure = el("div", { class: "payload payload-table" }, scroller, status);
  if (!rows.length) figure.append(el("p", { class: "muted" }, "No rows."));
  return figure;
}
