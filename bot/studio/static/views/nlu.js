// The NLU inbox: user messages not in the training data, lowest confidence
// first. Per row: accept the predicted intent, or change it (existing or new),
// label entities by selecting words, delete; select several and accept them
// together. Every save shows the diff first (flows.js).
// API: GET /studio/api/nlu/inbox, GET /studio/api/nlu/intents,
//      POST /studio/api/nlu/preview, POST /studio/api/nlu/examples,
//      DELETE /studio/api/nlu/inbox/<id>

import { api } from "../api.js";
import { el, mount } from "/chat/static/dom.js";
import { reviewNluDialog } from "../flows.js";
import {
  announce,
  busy,
  button,
  confidenceBadge,
  confirmDialog,
  emptyState,
  entityAnnotator,
  errorBox,
  formatTime,
  getVocabulary,
  intentPicker,
  loading,
  pager,
  viewHeader,
} from "../widgets.js";

function filters(params, intents, navigate) {
  const intent = el(
    "select",
    { id: "nlu-f-intent", name: "intent", class: "input", "data-testid": "nlu-filter-intent" },
    el("option", { value: "" }, "Any"),
    [...new Set([...intents, ...(params.get("intent") ? [params.get("intent")] : [])])]
      .sort()
      .map((name) => el("option", { value: name, selected: name === params.get("intent") }, name)),
  );
  const maxConfidence = el("input", {
    id: "nlu-f-max",
    name: "max_confidence",
    type: "number",
    min: 0,
    max: 1,
    step: 0.05,
    class: "input",
    placeholder: "1",
    value: params.get("max_confidence") || "",
    "data-testid": "nlu-filter-max-confidence",
  });
  const form = el(
    "form",
    { class: "filters card filters-inline", "aria-label": "Filter the inbox" },
    el("div", { class: "filter-field" }, el("label", { for: "nlu-f-intent" }, "Predicted intent"), intent),
    el("div", { class: "filter-field" }, el("label", { for: "nlu-f-max" }, "Max. confidence"), maxConfidence),
    el("div", { class: "filter-actions" }, button("Apply", { kind: "primary", type: "submit", testid: "nlu-filter-apply" })),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    navigate("nlu", { intent: intent.value, max_confidence: maxConfidence.value.trim() });
  });
  return form;
}

export async function render(container, { params, navigate }) {
  const error = errorBox("view-error");
  const results = el("div", {}, loading());
  const selectedButton = button("Accept selected", { kind: "primary", testid: "nlu-accept-selected", disabled: true });
  const filtersSlot = el("div");
  mount(
    container,
    viewHeader(
      "NLU inbox",
      "Messages the model was least sure about. Confirm or correct the intent, label entities, then save them as training examples.",
      el("div", { class: "header-actions" }, selectedButton),
    ),
    error.node,
    filtersSlot,
    results,
  );

  const page = Math.max(1, Number(params.get("page")) || 1);
  let data;
  let vocab = { intents: [], entities: [] };
  try {
    [data, vocab] = await Promise.all([
      api.nluInbox({ page, per_page: 25, intent: params.get("intent"), max_confidence: params.get("max_confidence") }),
      getVocabulary().catch(() => ({ intents: [], entities: [] })),
    ]);
  } catch (failure) {
    results.replaceChildren();
    error.show(failure);
    return;
  }
  mount(filtersSlot, filters(params, vocab.intents || [], navigate));
  const items = data.items || [];
  if (!items.length) {
    mount(results, emptyState("The inbox is empty: every message is in the training data or decided."));
    return;
  }

  const reload = () => navigate("nlu", Object.fromEntries(params.entries()));
  const rows = items.map((item) => {
    const picker = intentPicker({ intents: vocab.intents || [], value: item.intent || "", label: "", testid: "intent-select" });
    const annotator = entityAnnotator({
      text: item.text,
      entities: item.entities || [],
      entityTypes: vocab.entities || [],
      testid: "annotator",
      compact: true,
    });
    const check = el("input", { type: "checkbox", id: `nlu-check-${item.id}`, "data-testid": "nlu-select", "aria-label": `Select “${item.text}”` });
    const accept = button("Accept", { kind: "primary", testid: "nlu-accept" });
    const remove = button("Delete", { kind: "danger-ghost", testid: "nlu-delete", title: "Not useful as training data: drop it from the inbox" });
    const example = () => ({ text: item.text, intent: picker.value(), entities: annotator.entities() });
    const changed = el("span", { class: "pill pill-warn", hidden: true }, "changed");
    picker.select.addEventListener("change", () => {
      changed.hidden = picker.value() === item.intent;
      accept.querySelector("span").textContent = changed.hidden ? "Accept" : "Save";
    });
    accept.addEventListener("click", () => {
      const value = example();
      if (!value.intent) {
        error.show("Choose an intent first (or type a new one).");
        return;
      }
      error.clear();
      reviewNluDialog({ examples: [value], inboxIds: [item.id], onClose: (saved) => saved && reload() });
    });
    remove.addEventListener("click", async () => {
      const ok = await confirmDialog(`Drop “${item.text}” from the inbox? It will not be added to the training data.`, { confirmLabel: "Delete", danger: true });
      if (!ok) return;
      await busy(remove, async () => {
        try {
          await api.dismissInbox(item.id);
          tr.remove();
          announce("Removed from the inbox.", "ok");
        } catch (failure) {
          error.show(failure);
        }
      }, "Deleting…");
    });
    const tr = el(
      "tr",
      { "data-testid": "nlu-row", "data-id": item.id },
      el("td", { class: "cell-check" }, check),
      el("td", { class: "cell-example" }, annotator.node),
      el("td", { class: "cell-intent" }, picker.node, changed),
      el("td", { class: "num" }, confidenceBadge(item.confidence)),
      el(
        "td",
        { class: "small" },
        el("div", {}, `${item.count || 1}× · ${formatTime(item.last_seen)}`),
        item.conversation_id ? el("a", { href: `#/conversations/${encodeURIComponent(item.conversation_id)}` }, "conversation") : null,
      ),
      el("td", { class: "cell-actions" }, accept, remove),
    );
    check.addEventListener("change", updateSelected);
    return { tr, check, item, example };
  });

  const all = el("input", { type: "checkbox", id: "nlu-check-all", "data-testid": "nlu-select-all", "aria-label": "Select all on this page" });
  all.addEventListener("change", () => {
    for (const row of rows) if (row.tr.isConnected) row.check.checked = all.checked;
    updateSelected();
  });
  function chosen() {
    return rows.filter((row) => row.tr.isConnected && row.check.checked);
  }
  function updateSelected() {
    const count = chosen().length;
    selectedButton.disabled = !count;
    selectedButton.querySelector("span").textContent = count ? `Accept selected (${count})` : "Accept selected";
  }
  selectedButton.addEventListener("click", () => {
    const picked = chosen();
    const examples = picked.map((row) => row.example());
    if (examples.some((e) => !e.intent)) {
      error.show("Every selected row needs an intent.");
      return;
    }
    error.clear();
    reviewNluDialog({ examples, inboxIds: picked.map((row) => row.item.id), onClose: (saved) => saved && reload() });
  });

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
          { class: "table nlu-table", "data-testid": "nlu-inbox-table" },
          el("caption", { class: "visually-hidden" }, "NLU inbox, lowest confidence first"),
          el(
            "thead",
            {},
            el(
              "tr",
              {},
              el("th", { scope: "col", class: "cell-check" }, all),
              el("th", { scope: "col" }, "Example (select words to label an entity)"),
              el("th", { scope: "col" }, "Intent"),
              el("th", { scope: "col", class: "num" }, "Confidence"),
              el("th", { scope: "col" }, "Seen"),
              el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, "Actions")),
            ),
          ),
          el("tbody", {}, rows.map((row) => row.tr)),
        ),
      ),
      pager({ page: data.page || page, perPage: data.per_page || 25, total: data.total || 0, noun: "messages", onPage: (target) => navigate("nlu", { ...Object.fromEntries(params.entries()), page: target }) }),
    ),
  );
}
