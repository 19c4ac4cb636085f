// Interactive learning: the trainer chats with the bot and confirms or
// corrects, step by step, what it understood (intent, entities) and what it
// does next (the action), until the bot listens again; then exports the
// session as a story and NLU examples, saved through the usual diff step.
// The session and its log survive moving to another view (the nodes are kept).
// API: POST /studio/api/interactive, POST …/<sid>/parse, POST …/<sid>/message,
//      POST …/<sid>/act, GET …/<sid>/export, DELETE …/<sid>

import { api } from "../api.js";
import { el, icon, mount } from "/chat/static/dom.js";
import { reviewNluDialog, saveStoryDialog } from "../flows.js";
import {
  announce,
  busy,
  button,
  confidenceBadge,
  confirmDialog,
  entityAnnotator,
  errorBox,
  errorText,
  getVocabulary,
  intentPicker,
  openDialog,
  viewHeader,
} from "../widgets.js";

const OTHER = "__other__";
let state = null; // {sid, root, log, input, send, error, turns}

export async function endSession() {
  if (!state) return;
  const { sid } = state;
  state = null;
  if (sid) {
    try {
      await api.interactiveEnd(sid);
    } catch {
      // the session may already be gone
    }
  }
}

function scrollDown() {
  state?.log.scrollTo({ top: state.log.scrollHeight });
}

function setListening(listening, text = "") {
  state.input.disabled = !listening;
  state.send.disabled = !listening;
  state.hint.textContent = text || (listening ? "The bot is listening: type what a user would say." : "");
  if (listening) state.input.focus();
}

function userBubble(text) {
  return el("div", { class: "msg msg-user" }, el("div", { class: "bubble bubble-user" }, text));
}

function botBubble(message) {
  return el(
    "div",
    { class: "msg msg-bot" },
    el(
      "div",
      { class: "bubble bubble-bot", "data-testid": "bot-message" },
      message.text || el("span", { class: "muted" }, message.custom ? "(a custom payload: table, chart or card)" : "(no text)"),
      (message.buttons || []).length ? el("div", { class: "bot-buttons" }, message.buttons.map((b) => el("span", { class: "pill" }, b.title || b.payload))) : null,
    ),
  );
}

async function parseCard(text, parse) {
  let vocab = { intents: [], entities: [] };
  try {
    vocab = await getVocabulary();
  } catch {
    // the ranking still offers the model's intents
  }
  const top = parse.intent?.name || parse.intent || "";
  const ranking = (parse.intent_ranking || []).slice(0, 5);
  const intents = [...new Set([...(vocab.intents || []), ...ranking.map((r) => r.name)])];
  const picker = intentPicker({ intents, value: top, label: "Intent", testid: "intent-select" });
  const annotator = entityAnnotator({ text, entities: parse.entities || [], entityTypes: vocab.entities || [], testid: "annotator", compact: true });
  const confirm = button("Confirm", { kind: "primary", testid: "parse-confirm", iconName: "check" });
  const error = errorBox("parse-error");
  const card = el(
    "div",
    { class: "step-card", "data-testid": "parse-card" },
    el("div", { class: "step-title" }, "What the bot understood", el("span", { class: "spacer" }), el("span", { class: "muted small" }, "top: "), el("span", { class: "mono small" }, top || "—"), confidenceBadge(parse.intent?.confidence)),
    ranking.length
      ? el(
          "div",
          { class: "ranking-options", role: "group", "aria-label": "Intent ranking" },
          ranking.map((r) =>
            el(
              "button",
              { type: "button", class: "option", "data-testid": "intent-option", onclick: () => picker.set(r.name) },
              el("span", { class: "mono" }, r.name),
              confidenceBadge(r.confidence),
            ),
          ),
        )
      : null,
    el("div", { class: "step-grid" }, picker.node, el("div", {}, el("span", { class: "field-label" }, "Entities"), annotator.node)),
    error.node,
    el("div", { class: "button-row end" }, confirm),
  );
  confirm.addEventListener("click", () =>
    busy(confirm, async () => {
      const intent = picker.value();
      if (!intent || !/^[A-Za-z0-9_\-]+$/.test(intent)) {
        error.show("Choose an intent (letters, digits, _ or -).");
        return;
      }
      error.clear();
      try {
        const entities = annotator.entities().map((e) => ({ ...e, value: text.slice(e.start, e.end) }));
        const result = await api.interactiveMessage(state.sid, { text, intent, entities });
        mount(
          card,
          el(
            "div",
            { class: "step-done" },
            icon("check", 14),
            "Understood as ",
            el("b", { class: "mono" }, intent),
            entities.length ? ` with ${entities.map((e) => `${e.entity}=“${e.value}”`).join(", ")}` : "",
          ),
        );
        card.classList.add("done");
        state.turns += 1;
        nextStep(result?.prediction || null);
      } catch (failure) {
        error.show(failure);
      }
    }, "Sending…"),
  );
  return card;
}

function predictionCard(prediction) {
  const ranking = (prediction.ranking || []).slice().sort((a, b) => b.confidence - a.confidence);
  const error = errorBox("prediction-error");
  let chosen = prediction.action;
  const selectId = `act-${Math.random().toString(36).slice(2)}`;
  const names = [...new Set([prediction.action, ...ranking.map((r) => r.action)])].filter(Boolean);
  const select = el(
    "select",
    { id: selectId, class: "input", "data-testid": "action-select" },
    names.map((name) => el("option", { value: name, selected: name === chosen }, name)),
    el("option", { value: OTHER }, "Another action (type its name)…"),
  );
  const other = el("input", { class: "input", hidden: true, "aria-label": "Action name", placeholder: "utter_… or action_…", "data-testid": "action-other" });
  const optionButtons = ranking.slice(0, 5).map((r) =>
    el(
      "button",
      { type: "button", class: `option${r.action === chosen ? " selected" : ""}`, "data-testid": "action-option", "data-action": r.action, "aria-pressed": String(r.action === chosen) },
      el("span", { class: "mono" }, r.action),
      confidenceBadge(r.confidence),
    ),
  );
  const pick = (name) => {
    chosen = name;
    select.value = names.includes(name) ? name : OTHER;
    other.hidden = select.value !== OTHER;
    for (const b of optionButtons) {
      const on = b.dataset.action === name;
      b.classList.toggle("selected", on);
      b.setAttribute("aria-pressed", String(on));
    }
  };
  optionButtons.forEach((b) => b.addEventListener("click", () => pick(b.dataset.action)));
  select.addEventListener("change", () => {
    if (select.value === OTHER) {
      other.hidden = false;
      other.focus();
      chosen = other.value.trim();
    } else pick(select.value);
  });
  other.addEventListener("input", () => (chosen = other.value.trim()));
  const confirm = button("Run this action", { kind: "primary", testid: "action-confirm", iconName: "play" });
  const card = el(
    "div",
    { class: "step-card", "data-testid": "prediction-card" },
    el(
      "div",
      { class: "step-title" },
      "Next action: ",
      el("b", { class: "mono" }, prediction.action),
      prediction.policy ? el("span", { class: "muted small" }, ` by ${prediction.policy}`) : null,
      confidenceBadge(prediction.confidence),
    ),
    optionButtons.length ? el("div", { class: "ranking-options", role: "group", "aria-label": "Action ranking" }, optionButtons) : null,
    el("div", { class: "inline-form" }, el("label", { for: selectId, class: "field-label" }, "Action"), select, other),
    error.node,
    el("div", { class: "button-row end" }, confirm),
  );
  confirm.addEventListener("click", () =>
    busy(confirm, async () => {
      const action = select.value === OTHER ? other.value.trim() : chosen;
      if (!action) {
        error.show("Choose the action the bot should run.");
        return;
      }
      error.clear();
      try {
        const result = await api.interactiveAct(state.sid, action);
        mount(card, el("div", { class: "step-done" }, icon("play", 12), "Ran ", el("b", { class: "mono" }, action), action !== prediction.action ? el("span", { class: "pill pill-warn" }, "corrected") : null));
        card.classList.add("done");
        for (const message of result?.messages || []) state.log.append(botBubble(message));
        nextStep(result?.prediction || null);
      } catch (failure) {
        error.show(failure);
      }
    }, "Running…"),
  );
  return card;
}

function nextStep(prediction) {
  if (!state) return;
  if (prediction && prediction.action) {
    state.log.append(predictionCard(prediction));
    setListening(false, "Confirm or correct the next action.");
  } else {
    state.log.append(el("div", { class: "listening", role: "status" }, "The bot is listening."));
    setListening(true);
  }
  scrollDown();
}

async function onSend(event) {
  event.preventDefault();
  const text = state.input.value.trim();
  if (!text) return;
  state.error.clear();
  await busy(state.send, async () => {
    try {
      const parse = await api.interactiveParse(state.sid, text);
      state.input.value = "";
      state.log.append(userBubble(text));
      state.log.append(await parseCard(text, parse || {}));
      setListening(false, "Confirm or correct what the bot understood.");
      scrollDown();
    } catch (failure) {
      state.error.show(failure);
    }
  }, "");
}

async function exportSession(trigger) {
  await busy(trigger, async () => {
    try {
      const exported = await api.interactiveExport(state.sid);
      const { body, footer, close } = openDialog({ title: "Export the session", testid: "export-dialog", wide: true });
      const nlu = exported.nlu || [];
      body.append(
        el("h3", { class: "section-title" }, "Story"),
        el("pre", { class: "code-block", "data-testid": "export-story" }, exported.story || "(empty)"),
        el("h3", { class: "section-title" }, `NLU examples (${nlu.length})`),
        nlu.length
          ? el("ul", { class: "examples", "data-testid": "export-nlu" }, nlu.map((e) => el("li", {}, el("q", {}, e.text), " → ", el("b", { class: "mono" }, e.intent), (e.entities || []).length ? ` (${e.entities.map((x) => x.entity).join(", ")})` : "")))
          : el("p", { class: "muted" }, "No user messages yet."),
      );
      footer.append(
        button("Close", { onClick: close }),
        button("Save NLU examples…", {
          testid: "export-save-nlu",
          disabled: !nlu.length,
          onClick: () => {
            close();
            reviewNluDialog({ examples: nlu.map((e) => ({ text: e.text, intent: e.intent, entities: e.entities || [] })) });
          },
        }),
        button("Save as test story…", {
          testid: "export-save-test",
          disabled: !exported.story,
          onClick: () => {
            close();
            saveStoryDialog({ kind: "test", yaml: exported.story });
          },
        }),
        button("Save as story…", {
          kind: "primary",
          testid: "export-save-story",
          disabled: !exported.story,
          onClick: () => {
            close();
            saveStoryDialog({ kind: "story", yaml: exported.story });
          },
        }),
      );
    } catch (failure) {
      state.error.show(`The export failed: ${errorText(failure)}`);
    }
  }, "Exporting…");
}

async function startSession(root) {
  const result = await api.interactiveStart();
  const log = el("div", { class: "chat-log", "data-testid": "interactive-log", role: "log", "aria-label": "Interactive session", tabindex: "0" });
  const input = el("input", { id: "interactive-input", class: "input", autocomplete: "off", maxlength: 2000, placeholder: "Type what a user would say…", "data-testid": "interactive-input" });
  const send = button("Send", { kind: "primary", type: "submit", testid: "interactive-send" });
  const hint = el("p", { class: "muted small", role: "status" });
  const error = errorBox("interactive-error");
  const form = el("form", { class: "composer" }, el("label", { for: "interactive-input", class: "visually-hidden" }, "Message"), input, send);
  const exportButton = button("Export", { testid: "interactive-export" });
  const newButton = button("New session", { testid: "interactive-new" });
  const panel = el(
    "section",
    { class: "card chat-card" },
    el("div", { class: "card-head" }, el("h2", { class: "card-title" }, "Session"), el("span", { class: "mono small muted", "data-testid": "interactive-session" }, result.session_id), el("span", { class: "spacer" }), newButton, exportButton),
    log,
    error.node,
    form,
    hint,
  );
  mount(root, panel);
  state = { sid: result.session_id, root, log, input, send, hint, error, turns: 0 };
  form.addEventListener("submit", onSend);
  exportButton.addEventListener("click", () => exportSession(exportButton));
  newButton.addEventListener("click", async () => {
    if (state.turns) {
      const ok = await confirmDialog("Start a new session? Export this one first if you want to keep it.", { confirmLabel: "New session" });
      if (!ok) return;
    }
    await endSession();
    await startSession(root);
    announce("A new session started.");
  });
  log.append(el("div", { class: "listening", role: "status" }, "The bot is listening."));
  setListening(true);
}

export async function render(container) {
  const error = errorBox("view-error");
  const root = state?.root || el("div", { class: "interactive" });
  mount(
    container,
    viewHeader("Interactive learning", "Talk to the bot as a user would. Confirm or correct each step; export the session as a story and training examples."),
    error.node,
    root,
  );
  if (!state) {
    try {
      await startSession(root);
    } catch (failure) {
      error.show(failure);
    }
  } else if (!state.input.disabled) state.input.focus();
}
