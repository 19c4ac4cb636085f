// The conversations inbox: newest first, filters (from the API's facets), pages.
// API: GET /studio/api/conversations

import { api } from "../api.js";
import { el, icon, mount } from "/chat/static/dom.js";
import { button, confidenceBadge, emptyState, errorBox, formatTime, loading, pager, viewHeader } from "../widgets.js";

const FILTERS = [
  "since",
  "until",
  "channel",
  "user",
  "intent",
  "action",
  "min_confidence",
  "max_confidence",
  "fallback",
  "negative_feedback",
  "reviewed",
  "tag",
];

function field(label, control) {
  return el("div", { class: "filter-field" }, el("label", { for: control.id }, label), control);
}

function selectOf(name, options, value, anyLabel = "Any") {
  return el(
    "select",
    { id: `f-${name}`, name, class: "input", "data-testid": `filter-${name.replace(/_/g, "-")}` },
    el("option", { value: "" }, anyLabel),
    options.map((option) => {
      const [optionValue, text] = Array.isArray(option) ? option : [option, option];
      return el("option", { value: optionValue, selected: optionValue === value }, text);
    }),
  );
}

function input(name, attributes, value) {
  return el("input", {
    id: `f-${name}`,
    name,
    class: "input",
    value: value || "",
    "data-testid": `filter-${name.replace(/_/g, "-")}`,
    ...attributes,
  });
}

const YES_NO = [
  ["true", "Yes"],
  ["false", "No"],
];

function filterForm(params, facets, navigate) {
  const value = (name) => params.get(name) || "";
  // facets only list what exists; keep a chosen value selectable even if it is gone
  const withValue = (list, name) => [...new Set([...(list || []), ...(value(name) ? [value(name)] : [])])];
  const form = el(
    "form",
    { class: "filters card", "data-testid": "filters", "aria-label": "Filter conversations" },
    el(
      "div",
      { class: "filter-grid" },
      field("From", input("since", { type: "date" }, value("since"))),
      field("To", input("until", { type: "date" }, value("until"))),
      field("Channel", selectOf("channel", withValue(facets.channels, "channel"), value("channel"))),
      field("User", selectOf("user", withValue(facets.users, "user"), value("user"))),
      field("Intent", selectOf("intent", withValue(facets.intents, "intent"), value("intent"))),
      field("Action", selectOf("action", withValue(facets.actions, "action"), value("action"))),
      field("Min. confidence", input("min_confidence", { type: "number", min: 0, max: 1, step: 0.05, placeholder: "0" }, value("min_confidence"))),
      field("Max. confidence", input("max_confidence", { type: "number", min: 0, max: 1, step: 0.05, placeholder: "1" }, value("max_confidence"))),
      field("Fallback fired", selectOf("fallback", YES_NO, value("fallback"))),
      field("Thumbs down", selectOf("negative_feedback", YES_NO, value("negative_feedback"))),
      field("Reviewed", selectOf("reviewed", YES_NO, value("reviewed"))),
      field("Tag", input("tag", { placeholder: "e.g. billing", maxlength: 40 }, value("tag"))),
    ),
    el(
      "div",
      { class: "filter-actions" },
      button("Reset", { testid: "filter-reset", onClick: () => navigate("conversations") }),
      button("Apply filters", { kind: "primary", type: "submit", testid: "filter-apply" }),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const next = { per_page: params.get("per_page") || "" };
    for (const name of FILTERS) next[name] = String(data.get(name) || "").trim();
    navigate("conversations", next);
  });
  return form;
}

function flags(conversation) {
  const items = [];
  if (conversation.fallback) items.push(el("span", { class: "flag flag-fallback", title: "A fallback fired" }, "fallback"));
  if (conversation.negative_feedback)
    items.push(el("span", { class: "flag flag-down", title: "Thumbs down from the user" }, icon("down", 13), "thumbs down"));
  if (conversation.flagged) items.push(el("span", { class: "flag flag-flagged", title: "Flagged by a trainer" }, icon("flag", 13), "flagged"));
  return items.length ? el("span", { class: "flags" }, items) : el("span", { class: "muted" }, "—");
}

function row(conversation, navigate) {
  const href = `#/conversations/${encodeURIComponent(conversation.id)}`;
  const tr = el(
    "tr",
    { class: "clickable", "data-testid": "conversation-row", "data-id": conversation.id },
    el(
      "td",
      { class: "cell-main" },
      el("a", { href, class: "row-link" }, conversation.first_message || el("span", { class: "muted" }, "(no user message)")),
      el("div", { class: "small muted mono" }, conversation.id),
    ),
    el("td", { class: "nowrap" }, formatTime(conversation.last_at)),
    el("td", {}, conversation.user || "—"),
    el("td", {}, el("span", { class: "pill" }, conversation.channel || "—")),
    el("td", { class: "num" }, String(conversation.turns ?? "—")),
    el("td", { class: "num" }, confidenceBadge(conversation.min_confidence)),
    el("td", {}, flags(conversation)),
    el("td", {}, (conversation.tags || []).length ? (conversation.tags || []).map((tag) => el("span", { class: "tag" }, tag)) : el("span", { class: "muted" }, "—")),
    el(
      "td",
      {},
      conversation.reviewed
        ? el("span", { class: "reviewed yes" }, icon("check", 14), "Reviewed")
        : el("span", { class: "reviewed no" }, "To review"),
    ),
  );
  tr.addEventListener("click", (event) => {
    if (event.target.closest("a, button")) return;
    navigate(`conversations/${encodeURIComponent(conversation.id)}`);
  });
  return tr;
}

export async function render(container, { params, navigate }) {
  const error = errorBox("view-error");
  const results = el("div", { class: "results" }, loading());
  const head = viewHeader("Conversations", "What users asked, newest first. Open one to review it and turn it into training data.");
  const filtersSlot = el("div");
  mount(container, head, error.node, filtersSlot, results);

  const page = Math.max(1, Number(params.get("page")) || 1);
  const perPage = Number(params.get("per_page")) || 25;
  const query = { page, per_page: perPage };
  for (const name of FILTERS) if (params.get(name)) query[name] = params.get(name);
  let data;
  try {
    data = await api.conversations(query);
  } catch (failure) {
    mount(filtersSlot, filterForm(params, {}, navigate));
    results.replaceChildren();
    error.show(failure);
    return;
  }
  mount(filtersSlot, filterForm(params, data.facets || {}, navigate));
  const list = data.conversations || [];
  if (!list.length) {
    mount(results, emptyState("No conversations match these filters."));
    return;
  }
  const goTo = (target) => {
    const next = Object.fromEntries(params.entries());
    navigate("conversations", { ...next, page: target });
  };
  mount(
    results,
    el(
      "div",
      { class: "card table-card" },
      el(
        "div",
        { class: "table-scroll" },
        el(
          "table",
          { class: "table", "data-testid": "conversations-table" },
          el("caption", { class: "visually-hidden" }, "Conversations, newest first"),
          el(
            "thead",
            {},
            el(
              "tr",
              {},
              ["Conversation", "Last message", "User", "Channel", "Turns", "Lowest conf.", "Flags", "Tags", "Reviewed"].map((label, i) =>
                el("th", { scope: "col", class: i === 4 || i === 5 ? "num" : "" }, label),
              ),
            ),
          ),
          el("tbody", {}, list.map((conversation) => row(conversation, navigate))),
        ),
      ),
      pager({ page: data.page || page, perPage: data.per_page || perPage, total: data.total || 0, onPage: goTo, noun: "conversations" }),
    ),
  );
}
