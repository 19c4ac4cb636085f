// The feedback queue: thumbs down (and up) from users, newest first, each
// linking to its conversation.
// API: GET /studio/api/feedback?rating=&page=

import { api } from "../api.js";
import { el, icon, mount } from "/chat/static/dom.js";
import { emptyState, errorBox, formatTime, loading, pager, viewHeader } from "../widgets.js";

const PER_PAGE = 25;

export async function render(container, { params, navigate }) {
  const error = errorBox("view-error");
  const rating = params.get("rating") ?? "down";
  const page = Math.max(1, Number(params.get("page")) || 1);
  const select = el(
    "select",
    { id: "feedback-rating", class: "input", "data-testid": "feedback-rating" },
    [
      ["down", "Thumbs down"],
      ["up", "Thumbs up"],
      ["all", "All"],
    ].map(([value, label]) => el("option", { value, selected: value === rating }, label)),
  );
  select.addEventListener("change", () => navigate("feedback", { rating: select.value }));
  const results = el("div", {}, loading());
  mount(
    container,
    viewHeader(
      "Feedback",
      "What users rated, newest first. Open the conversation to see what went wrong.",
      el("div", { class: "inline-form" }, el("label", { for: "feedback-rating", class: "field-label" }, "Show"), select),
    ),
    error.node,
    results,
  );
  let data;
  try {
    data = await api.feedback({ rating: rating === "all" ? "" : rating, page, per_page: PER_PAGE });
  } catch (failure) {
    results.replaceChildren();
    error.show(failure);
    return;
  }
  const items = data.items || [];
  if (!items.length) {
    mount(results, emptyState("No feedback here yet."));
    return;
  }
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
          { class: "table", "data-testid": "feedback-table" },
          el("caption", { class: "visually-hidden" }, "Feedback, newest first"),
          el("thead", {}, el("tr", {}, ["Rating", "Bot message", "User", "When", ""].map((label) => el("th", { scope: "col" }, label || el("span", { class: "visually-hidden" }, "Conversation"))))),
          el(
            "tbody",
            {},
            items.map((item) =>
              el(
                "tr",
                { "data-testid": "feedback-row" },
                el(
                  "td",
                  {},
                  el("span", { class: `feedback-badge feedback-${item.rating}` }, icon(item.rating === "down" ? "down" : "up", 14), item.rating === "down" ? "down" : "up"),
                ),
                el("td", { class: "cell-main" }, item.message_text || el("span", { class: "muted" }, "(no text)")),
                el("td", {}, item.user || "—"),
                el("td", { class: "nowrap" }, formatTime(item.created_at)),
                el("td", {}, el("a", { class: "btn btn-link", href: `#/conversations/${encodeURIComponent(item.conversation_id)}`, "data-testid": "feedback-open" }, "Open conversation")),
              ),
            ),
          ),
        ),
      ),
      pager({ page, perPage: data.per_page || PER_PAGE, total: data.total || 0, noun: "ratings", onPage: (target) => navigate("feedback", { rating, page: target }) }),
    ),
  );
}
