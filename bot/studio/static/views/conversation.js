// One conversation, turn by turn: what the user said (intent, confidence,
// entities), slots, actions and bot replies with their feedback; the trainer's
// marks (reviewed, flag, tags, note); and the ways out to training data
// (correct an intent, save up to a turn as a story or test story).
// API: GET/PATCH /studio/api/conversations/<id>, GET …/<id>/story,
//      then the story and NLU preview/save calls (flows.js).

import { api } from "../api.js";
import { el, icon, mount } from "/chat/static/dom.js";
import { editExampleDialog, saveStoryDialog } from "../flows.js";
import {
  announce,
  busy,
  button,
  confidenceBadge,
  errorBox,
  errorText,
  formatTime,
  highlightEntities,
  loading,
  pager,
  percent,
} from "../widgets.js";

const LIMIT = 50;
const TAG = /^[A-Za-z0-9_-]{1,40}$/;

function marksPanel(id, conversation) {
  const marks = {
    reviewed: Boolean(conversation.reviewed),
    reviewed_by: conversation.reviewed_by || null,
    tags: [...(conversation.tags || [])],
    flagged: Boolean(conversation.flagged),
    note: conversation.note || "",
  };
  const error = errorBox("marks-error");
  const reviewedButton = button("", { testid: "mark-reviewed" });
  const flagButton = button("", { testid: "mark-flagged", iconName: "flag" });
  const reviewedBy = el("p", { class: "small muted" });
  const tagList = el("div", { class: "chips" });
  const tagInput = el("input", { id: "tag-input", class: "input input-sm", maxlength: 40, placeholder: "new-tag", "data-testid": "tag-input" });
  const note = el("textarea", { id: "note-input", class: "input", rows: 3, placeholder: "What is wrong here, what to fix…", "data-testid": "note-input" }, marks.note);
  const noteSave = button("Save note", { testid: "note-save" });

  async function save(change, what) {
    error.clear();
    try {
      const result = await api.mark(id, change);
      Object.assign(marks, change, result || {});
      draw();
      announce(what, "ok");
    } catch (failure) {
      error.show(failure);
    }
  }

  function draw() {
    reviewedButton.querySelector("span").textContent = marks.reviewed ? "Reviewed ✓" : "Mark reviewed";
    reviewedButton.setAttribute("aria-pressed", String(marks.reviewed));
    reviewedButton.className = `btn ${marks.reviewed ? "btn-success" : "btn-primary"}`;
    flagButton.querySelector("span").textContent = marks.flagged ? "Flagged" : "Flag";
    flagButton.setAttribute("aria-pressed", String(marks.flagged));
    flagButton.className = `btn ${marks.flagged ? "btn-warning" : "btn-secondary"}`;
    reviewedBy.textContent = marks.reviewed && marks.reviewed_by ? `Reviewed by ${marks.reviewed_by}` : "";
    mount(
      tagList,
      marks.tags.length
        ? marks.tags.map((tag) =>
            el(
              "span",
              { class: "chip tag-chip", "data-testid": "tag-chip" },
              tag,
              el(
                "button",
                {
                  type: "button",
                  class: "chip-remove",
                  "aria-label": `Remove tag ${tag}`,
                  "data-testid": "tag-remove",
                  onclick: () => save({ tags: marks.tags.filter((t) => t !== tag) }, `Removed the tag ${tag}.`),
                },
                "×",
              ),
            ),
          )
        : el("span", { class: "muted small" }, "No tags"),
    );
  }

  reviewedButton.addEventListener("click", () =>
    busy(reviewedButton, () => save({ reviewed: !marks.reviewed }, marks.reviewed ? "Marked as not reviewed." : "Marked as reviewed."), ""),
  );
  flagButton.addEventListener("click", () =>
    busy(flagButton, () => save({ flagged: !marks.flagged }, marks.flagged ? "Flag removed." : "Flagged."), ""),
  );
  const addTag = () => {
    const tag = tagInput.value.trim();
    if (!tag) return;
    if (!TAG.test(tag)) {
      error.show("A tag is 1–40 letters, digits, - or _ (no spaces).");
      return;
    }
    if (marks.tags.includes(tag)) {
      tagInput.value = "";
      return;
    }
    if (marks.tags.length >= 20) {
      error.show("A conversation has at most 20 tags.");
      return;
    }
    tagInput.value = "";
    save({ tags: [...marks.tags, tag] }, `Tagged ${tag}.`);
  };
  tagInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      addTag();
    }
  });
  noteSave.addEventListener("click", () => busy(noteSave, () => save({ note: note.value }, "Note saved."), "Saving…"));
  draw();

  return el(
    "aside",
    { class: "card marks", "aria-label": "Review" },
    el("h2", { class: "card-title" }, "Review"),
    error.node,
    el("div", { class: "button-row" }, reviewedButton, flagButton),
    reviewedBy,
    el("h3", { class: "section-title" }, "Tags"),
    tagList,
    el("div", { class: "inline-form" }, el("label", { for: "tag-input", class: "visually-hidden" }, "New tag"), tagInput, button("Add", { testid: "tag-add", onClick: addTag })),
    el("h3", { class: "section-title" }, el("label", { for: "note-input" }, "Note")),
    note,
    el("div", { class: "button-row end" }, noteSave),
  );
}

function userBlock(turn, id) {
  const user = turn.user;
  if (!user) return el("p", { class: "muted small" }, "Before the first user message");
  const ranking = (user.intent_ranking || []).slice(0, 6);
  return el(
    "div",
    { class: "turn-user" },
    el("div", { class: "bubble bubble-user", "data-testid": "turn-user" }, highlightEntities(user.text || "", user.entities || [])),
    el(
      "div",
      { class: "nlu-line" },
      el("span", { class: "intent-name", "data-testid": "turn-intent" }, user.intent || "(no intent)"),
      confidenceBadge(user.confidence),
      user.in_training_data ? el("span", { class: "pill pill-ok" }, icon("check", 12), "in training data") : null,
      button("Correct intent / add to training data", {
        kind: "link",
        testid: "turn-correct",
        onClick: () =>
          editExampleDialog({
            text: user.text || "",
            intent: user.intent || "",
            entities: user.entities || [],
            title: "Correct the intent / add to the training data",
          }),
      }),
    ),
    (user.entities || []).length
      ? el(
          "ul",
          { class: "entity-list" },
          user.entities.map((e) =>
            el("li", {}, el("b", {}, e.entity), " = ", String(typeof e.value === "object" ? JSON.stringify(e.value) : e.value), e.confidence !== undefined && e.confidence !== null ? ` · ${percent(e.confidence)}` : "", e.extractor ? el("span", { class: "muted" }, ` · ${e.extractor}`) : null),
          ),
        )
      : null,
    ranking.length > 1
      ? el(
          "details",
          { class: "ranking" },
          el("summary", {}, "Intent ranking"),
          el("ol", {}, ranking.map((r) => el("li", {}, `${r.name} `, confidenceBadge(r.confidence)))),
        )
      : null,
  );
}

function botBlock(message) {
  const feedback = message.feedback;
  return el(
    "div",
    { class: "bubble bubble-bot", "data-testid": "bot-message" },
    el("div", {}, message.text || (message.custom ? el("span", { class: "muted" }, "(a custom payload: table, chart or card)") : el("span", { class: "muted" }, "(no text)"))),
    (message.buttons || []).length ? el("div", { class: "bot-buttons" }, message.buttons.map((b) => el("span", { class: "pill" }, b.title || b.payload))) : null,
    feedback
      ? el(
          "span",
          { class: `feedback-badge feedback-${feedback}`, "data-testid": "feedback-badge", title: `The user gave a thumbs ${feedback}` },
          icon(feedback === "down" ? "down" : "up", 14),
          feedback === "down" ? "thumbs down" : "thumbs up",
        )
      : null,
  );
}

function turnCard(turn, conversation, id) {
  const slots = Object.entries(turn.slots || {});
  const exportAs = (kind, trigger) =>
    busy(trigger, async () => {
      try {
        const exported = await api.exportStory(id, kind, turn.index);
        saveStoryDialog({ kind, yaml: exported.yaml, name: exported.name });
      } catch (failure) {
        announce(`The export failed: ${errorText(failure)}`, "error");
      }
    }, "Exporting…");
  const storyButton = button("Save up to here as story", { kind: "secondary", testid: "turn-save-story" });
  const testButton = button("Save as test story", { kind: "secondary", testid: "turn-save-test" });
  storyButton.addEventListener("click", () => exportAs("story", storyButton));
  testButton.addEventListener("click", () => exportAs("test", testButton));
  return el(
    "article",
    { class: "card turn", "data-testid": "turn", "data-index": turn.index, "aria-label": `Turn ${turn.index}` },
    el(
      "header",
      { class: "turn-head" },
      el("span", { class: "turn-number" }, `Turn ${turn.index}`),
      el("span", { class: "muted small" }, formatTime(turn.timestamp)),
      el("span", { class: "spacer" }),
      storyButton,
      testButton,
    ),
    userBlock(turn, id),
    slots.length
      ? el(
          "div",
          { class: "slots" },
          el("span", { class: "meta-label" }, "Slots set"),
          slots.map(([name, value]) => el("span", { class: "slot" }, el("b", {}, name), " = ", value === null ? "null" : typeof value === "object" ? JSON.stringify(value) : String(value))),
        )
      : null,
    (turn.actions || []).length
      ? el(
          "ol",
          { class: "actions-list", "aria-label": "Actions run" },
          turn.actions.map((action) =>
            el(
              "li",
              { class: "action" },
              icon("play", 12),
              el("span", { class: "action-name" }, action.name),
              action.policy ? el("span", { class: "muted small" }, action.policy) : null,
              confidenceBadge(action.confidence),
            ),
          ),
        )
      : null,
    (turn.bot || []).length ? el("div", { class: "bot-list" }, turn.bot.map(botBlock)) : null,
  );
}

export async function render(container, { segments, params, navigate }) {
  const id = segments.slice(1).join("/");
  const offset = Math.max(0, Number(params.get("offset")) || 0);
  const error = errorBox("view-error");
  mount(container, el("a", { href: "#/conversations", class: "back-link" }, icon("back", 16), "All conversations"), error.node, loading());
  let conversation;
  try {
    conversation = await api.conversation(id, offset, LIMIT);
  } catch (failure) {
    container.lastChild.remove();
    error.show(failure);
    return;
  }
  const total = conversation.total_turns ?? (conversation.turns || []).length;
  const turns = conversation.turns || [];
  const header = el(
    "header",
    { class: "view-header", "data-testid": "conversation-header" },
    el(
      "div",
      {},
      el("h1", { class: "mono-title" }, conversation.id || id),
      el(
        "p",
        { class: "muted" },
        [conversation.user && `User ${conversation.user}`, conversation.company, conversation.channel && `via ${conversation.channel}`, `${total} turn${total === 1 ? "" : "s"}`]
          .filter(Boolean)
          .join(" · "),
      ),
    ),
  );
  const turnsPager = (testid) =>
    total > LIMIT
      ? pager({
          page: Math.floor(offset / LIMIT) + 1,
          perPage: LIMIT,
          total,
          noun: "turns",
          testid,
          onPage: (page) => navigate(`conversations/${encodeURIComponent(id)}`, { offset: (page - 1) * LIMIT }),
        })
      : null;
  mount(
    container,
    el("a", { href: "#/conversations", class: "back-link" }, icon("back", 16), "All conversations"),
    header,
    error.node,
    el(
      "div",
      { class: "conversation-layout" },
      el(
        "section",
        { class: "turns", "aria-label": "Turns" },
        turnsPager("turns-pager"),
        turns.length ? turns.map((turn) => turnCard(turn, conversation, id)) : el("div", { class: "empty" }, "No turns."),
        turnsPager("turns-pager-bottom"),
      ),
      marksPanel(id, conversation),
    ),
  );
}
