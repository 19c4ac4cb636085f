// Chat messages: text bubbles, quick-reply and Confirm/Cancel buttons, thumbs
// up/down, and the structured payloads of ERP answers (tables, charts, sources).
// Unknown payload types are skipped, so a newer server never breaks the page.

import { renderChart } from "./chart.js";
import { el, icon } from "./dom.js";
import { renderTable } from "./table.js";

const TIME = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

function safeLink(url) {
  try {
    const link = new URL(url, window.location.origin);
    return link.protocol === "http:" || link.protocol === "https:" ? link.href : null;
  } catch {
    return null;
  }
}

export function renderSources(payload) {
  const items = (payload.items || []).filter((item) => safeLink(item.url));
  if (!items.length) return null;
  const list = el(
    "ul",
    { class: "sources-list" },
    ...items.map((item) =>
      el(
        "li",
        {},
        el(
          "a",
          { href: safeLink(item.url), target: "_blank", rel: "noopener noreferrer", class: "source-link" },
          icon("link", 16),
          el("span", { class: "source-title" }, item.title || item.path || "Document"),
          item.section ? el("span", { class: "source-section" }, item.section) : null,
          el("span", { class: "visually-hidden" }, " (opens in a new tab)"),
        ),
      ),
    ),
  );
  return el(
    "nav",
    { class: "payload payload-sources", "aria-label": "Sources" },
    el("p", { class: "payload-title" }, "Sources"),
    list,
  );
}

function tableWithTitle(payload) {
  return renderTable(payload);
}

const RENDERERS = { table: tableWithTitle, chart: renderChart, sources: renderSources };

/** The payloads of an ERP answer (custom JSON), rendered; unknown types are ignored. */
export function renderPayloads(custom) {
  const payloads = custom && Array.isArray(custom.payloads) ? custom.payloads : [];
  const nodes = [];
  for (const payload of payloads) {
    const render = payload && RENDERERS[payload.type];
    if (!render) continue;
    try {
      const node = render(payload);
      if (node) nodes.push(node);
    } catch (error) {
      console.warn("could not render a payload", payload.type, error);
    }
  }
  return nodes;
}

/** Text with the **bold** the server's answers use; everything else stays plain text. */
export function richText(text) {
  const nodes = [];
  String(text)
    .split(/\*\*([^*\n]+)\*\*/)
    .forEach((part, index) => {
      if (!part) return;
      nodes.push(index % 2 ? el("strong", {}, part) : document.createTextNode(part));
    });
  return nodes;
}

function buttonKind(title) {
  const text = String(title || "").trim().toLowerCase();
  if (text === "confirm" || text === "yes") return "primary";
  if (text === "cancel" || text === "no") return "secondary";
  return "choice";
}

function timeOf(timestamp) {
  if (!timestamp) return null;
  const date = new Date(typeof timestamp === "number" ? timestamp * 1000 : timestamp);
  if (Number.isNaN(date.getTime())) return null;
  return el("time", { datetime: date.toISOString() }, TIME.format(date));
}

function feedbackBar(message, onFeedback) {
  const group = el("div", { class: "feedback", role: "group", "aria-label": "Rate this answer" });
  const buttons = {};
  for (const [rating, label] of [
    ["up", "Helpful"],
    ["down", "Not helpful"],
  ]) {
    const button = el(
      "button",
      {
        type: "button",
        class: `icon-button feedback-${rating}`,
        "aria-label": label,
        title: label,
        "aria-pressed": message.rating === rating ? "true" : "false",
        "data-rating": rating,
      },
      icon(rating, 16),
    );
    button.addEventListener("click", async () => {
      const previous = group.dataset.rating || null;
      setRating(rating);
      const ok = await onFeedback(message, rating);
      if (!ok) setRating(previous);
    });
    buttons[rating] = button;
    group.append(button);
  }
  function setRating(rating) {
    if (rating) group.dataset.rating = rating;
    else delete group.dataset.rating;
    for (const [key, button] of Object.entries(buttons)) {
      button.setAttribute("aria-pressed", key === rating ? "true" : "false");
    }
  }
  if (message.rating) setRating(message.rating);
  return group;
}

/** Disable a message's buttons once one was used; mark the one chosen. */
export function retireButtons(node, chosen = null) {
  for (const button of node.querySelectorAll(".reply-button")) {
    button.disabled = true;
    if (chosen && button === chosen) button.classList.add("chosen");
  }
  node.querySelector(".quick-replies")?.classList.add("used");
}

/**
 * One message as an element.
 * message: {id?, sender: "user"|"bot", text?, buttons?: [{title, payload}], custom?, timestamp?}
 * handlers: {onButton(message, button, element), onFeedback(message, rating) → Promise<bool>}
 */
export function renderMessage(message, handlers = {}) {
  const bot = message.sender !== "user";
  const node = el("div", {
    class: `msg ${bot ? "msg-bot" : "msg-user"}${message.voice ? " msg-voice" : ""}`,
    "data-id": message.id || null,
    "data-client-id": message.clientId || null,
  });
  const body = el("div", { class: "msg-body" });
  body.append(el("span", { class: "visually-hidden" }, bot ? "Assistant: " : "You: "));
  const parts = [];
  if (message.text) {
    parts.push(
      el(
        "p",
        { class: "msg-text" },
        message.voice ? el("span", { class: "voice-mark", title: "Spoken" }, icon("mic", 14)) : null,
        bot ? richText(message.text) : message.text,
      ),
    );
  }
  parts.push(...renderPayloads(message.custom));
  if (!parts.length) return null;
  const hasPayload = parts.some((p) => p.classList?.contains("payload"));
  body.append(el("div", { class: `bubble${hasPayload ? " bubble-wide" : ""}` }, ...parts));

  const buttons = Array.isArray(message.buttons) ? message.buttons : [];
  if (buttons.length) {
    const group = el("div", { class: "quick-replies", role: "group", "aria-label": "Reply options" });
    for (const choice of buttons) {
      const button = el(
        "button",
        { type: "button", class: `reply-button reply-${buttonKind(choice.title)}` },
        choice.title || choice.payload,
      );
      button.addEventListener("click", () => {
        if (button.disabled) return;
        const sent = handlers.onButton?.(message, choice, node);
        if (sent !== false) retireButtons(node, button);
      });
      group.append(button);
    }
    body.append(group);
  }

  const meta = el("div", { class: "msg-meta" });
  const time = timeOf(message.timestamp);
  if (time) meta.append(time);
  if (message.pending) meta.append(el("span", { class: "pending-mark" }, "Sending…"));
  if (bot && message.id && handlers.onFeedback) meta.append(feedbackBar(message, handlers.onFeedback));
  if (meta.childNodes.length) body.append(meta);

  if (bot) node.append(el("div", { class: "avatar", "aria-hidden": "true" }, icon("chat", 16)));
  node.append(body);
  return node;
}

/** The growing bubble of a streamed answer; replaced by the final message. */
export function renderDraft(streamId) {
  const text = el("p", { class: "msg-text" });
  const node = el(
    "div",
    { class: "msg msg-bot msg-draft", "data-stream-id": streamId, "aria-hidden": "true" },
    el("div", { class: "avatar" }, icon("chat", 16)),
    el("div", { class: "msg-body" }, el("div", { class: "bubble" }, text, el("span", { class: "caret" }))),
  );
  return { node, append: (chunk) => text.append(document.createTextNode(chunk)) };
}

export function renderTyping() {
  return el(
    "div",
    { class: "msg msg-bot typing", role: "status", "aria-label": "The assistant is typing" },
    el("div", { class: "avatar", "aria-hidden": "true" }, icon("chat", 16)),
    el(
      "div",
      { class: "msg-body" },
      el("div", { class: "bubble", "aria-hidden": "true" }, el("span", { class: "dots" }, el("i"), el("i"), el("i"))),
    ),
  );
}
