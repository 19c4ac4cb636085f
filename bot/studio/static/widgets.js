// The studio's shared pieces: formatting, the status line, dialogs, pagers,
// diffs, the intent picker, the entity annotator, job polling, and the two
// "show the diff, then save" flows (stories and NLU examples) that several
// views use.

import { ApiError, AuthError, api } from "./api.js";
import { el, icon, mount } from "/chat/static/dom.js";

// ---------------------------------------------------------------- formatting

export function formatTime(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

export function percent(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "—";
  return `${(Number(value) * 100).toFixed(digits)}%`;
}

export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return "—";
  const units = ["B", "KB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit ? 1 : 0)} ${units[unit]}`;
}

/** A confidence as a coloured pill: red below 50%, amber below 80%, green above. */
export function confidenceBadge(value, testid = null) {
  if (value === null || value === undefined) return el("span", { class: "conf conf-none" }, "—");
  const level = value < 0.5 ? "low" : value < 0.8 ? "mid" : "high";
  return el(
    "span",
    { class: `conf conf-${level}`, title: `confidence ${percent(value, 1)}`, "data-testid": testid },
    percent(value),
  );
}

/** A signed change (+0.02 → "+2.0 pts"), green when better, red when worse. */
export function deltaBadge(value) {
  if (value === null || value === undefined) return el("span", { class: "delta" }, "—");
  const points = Number(value) * 100;
  const kind = points > 0.05 ? "up" : points < -0.05 ? "down" : "same";
  const text = `${points > 0 ? "+" : ""}${points.toFixed(1)} pts`;
  return el("span", { class: `delta delta-${kind}`, "data-testid": "delta" }, text);
}

export function errorText(error) {
  if (error instanceof AuthError) return error.message;
  if (error instanceof ApiError) return error.message;
  return error?.message || String(error);
}

// ---------------------------------------------------------------- status and errors

let statusTimer = null;
/** The page's aria-live status line (bottom toast). */
export function announce(text, kind = "info") {
  const node = document.getElementById("status");
  if (!node) return;
  node.textContent = text;
  node.dataset.kind = kind;
  node.hidden = !text;
  clearTimeout(statusTimer);
  if (text) statusTimer = setTimeout(() => (node.hidden = true), kind === "error" ? 10_000 : 5000);
}

/** An inline error box (role=alert) whose text can be set or cleared. */
export function errorBox(testid = "error") {
  const node = el("div", { class: "alert alert-error", role: "alert", "data-testid": testid, hidden: true });
  return {
    node,
    show(error) {
      node.textContent = typeof error === "string" ? error : errorText(error);
      node.hidden = false;
    },
    clear() {
      node.textContent = "";
      node.hidden = true;
    },
  };
}

/** A view's title and one-line introduction, with its controls (if any) beside them. */
export function viewHeader(title, intro, ...controls) {
  return el("header", { class: "view-header" }, el("div", {}, el("h1", {}, title), el("p", { class: "muted" }, intro)), ...controls);
}

export function loading(text = "Loading…") {
  return el("p", { class: "loading muted", role: "status" }, el("span", { class: "spinner", "aria-hidden": "true" }), text);
}

export function emptyState(text) {
  return el("div", { class: "empty" }, text);
}

export function button(label, { kind = "secondary", testid, onClick, type = "button", iconName, title, ariaLabel, disabled } = {}) {
  const node = el(
    "button",
    { type, class: `btn btn-${kind}`, "data-testid": testid, title, "aria-label": ariaLabel, disabled },
    iconName ? icon(iconName, 16) : null,
    label !== null && label !== undefined ? el("span", {}, label) : null,
  );
  if (onClick) node.addEventListener("click", onClick);
  return node;
}

/** Runs an async click handler with the button disabled and a busy label. */
export async function busy(buttonNode, work, busyLabel = "Working…") {
  const label = buttonNode.querySelector("span");
  const before = label?.textContent;
  buttonNode.disabled = true;
  buttonNode.setAttribute("aria-busy", "true");
  if (label && busyLabel) label.textContent = busyLabel;
  try {
    return await work();
  } finally {
    buttonNode.disabled = false;
    buttonNode.removeAttribute("aria-busy");
    if (label && busyLabel) label.textContent = before;
  }
}

// ---------------------------------------------------------------- pager

export function pager({ page, perPage, total, onPage, testid = "pager", noun = "items" }) {
  const pages = Math.max(1, Math.ceil(total / perPage));
  const first = total ? (page - 1) * perPage + 1 : 0;
  const last = Math.min(total, page * perPage);
  return el(
    "nav",
    { class: "pager", "aria-label": "Pages", "data-testid": testid },
    el("span", { class: "muted" }, `${first}–${last} of ${total} ${noun}`),
    el(
      "div",
      { class: "pager-buttons" },
      button("Previous", { testid: `${testid}-prev`, disabled: page <= 1, onClick: () => onPage(page - 1) }),
      el("span", { class: "pager-page" }, `Page ${page} of ${pages}`),
      button("Next", { testid: `${testid}-next`, disabled: page >= pages, onClick: () => onPage(page + 1) }),
    ),
  );
}

// ---------------------------------------------------------------- dialogs

/** A modal <dialog>; returns {dialog, body, footer, close}. Escape or the × closes it. */
export function openDialog({ title, testid = "dialog", wide = false, onClose } = {}) {
  const titleId = `dialog-title-${Math.random().toString(36).slice(2)}`;
  const body = el("div", { class: "dialog-body" });
  const footer = el("div", { class: "dialog-footer" });
  const closeButton = el(
    "button",
    { type: "button", class: "icon-btn", "aria-label": "Close", "data-testid": `${testid}-close` },
    icon("close"),
  );
  const dialog = el(
    "dialog",
    { class: `dialog${wide ? " dialog-wide" : ""}`, "aria-labelledby": titleId, "data-testid": testid },
    el("header", { class: "dialog-header" }, el("h2", { id: titleId }, title), closeButton),
    body,
    footer,
  );
  const close = () => {
    if (dialog.open) dialog.close();
  };
  closeButton.addEventListener("click", close);
  dialog.addEventListener("close", () => {
    dialog.remove();
    onClose?.();
  });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, body, footer, close };
}

/** Asks before a consequential step; resolves true or false. */
export function confirmDialog(message, { title = "Please confirm", confirmLabel = "Confirm", danger = false } = {}) {
  return new Promise((resolve) => {
    let answer = false;
    const { body, footer, close } = openDialog({ title, testid: "confirm-dialog", onClose: () => resolve(answer) });
    body.append(el("p", {}, message));
    const ok = button(confirmLabel, {
      kind: danger ? "danger" : "primary",
      testid: "confirm-ok",
      onClick: () => {
        answer = true;
        close();
      },
    });
    footer.append(button("Cancel", { testid: "confirm-cancel", onClick: close }), ok);
    ok.focus();
  });
}

// ---------------------------------------------------------------- diffs

/** A unified diff with + lines green, - lines red and @@ hunks blue. */
export function diffView(diff, path = "") {
  const lines = String(diff || "").split("\n");
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  const pre = el("pre", { class: "diff", "data-testid": "diff-view", tabindex: "0", "aria-label": `Changes to ${path || "the file"}` });
  if (!lines.length) pre.append(el("span", { class: "diff-line diff-meta" }, "(no changes)"));
  for (const line of lines) {
    let kind = "ctx";
    if (line.startsWith("+++") || line.startsWith("---")) kind = "meta";
    else if (line.startsWith("@@")) kind = "hunk";
    else if (line.startsWith("+")) kind = "add";
    else if (line.startsWith("-")) kind = "del";
    pre.append(el("span", { class: `diff-line diff-${kind}` }, line || " "), "\n");
  }
  return el("div", { class: "diff-block" }, path ? el("div", { class: "diff-path" }, icon("nlu", 14), path) : null, pre);
}

// ---------------------------------------------------------------- vocabulary

let vocabulary = null;
/** The domain's intents and entity types (cached; dropped after every save). */
export async function getVocabulary() {
  if (!vocabulary) {
    vocabulary = api.nluIntents().catch((error) => {
      vocabulary = null;
      throw error;
    });
  }
  return vocabulary;
}
export function forgetVocabulary() {
  vocabulary = null;
}

// ---------------------------------------------------------------- intent picker

const NEW = "__new__";

/** An intent <select> over the domain's intents plus "New intent…" (a text box). */
export function intentPicker({ intents = [], value = "", label = "Intent", testid = "intent-select", onChange } = {}) {
  const id = `intent-${Math.random().toString(36).slice(2)}`;
  const names = [...new Set([...(value ? [value] : []), ...intents])].sort();
  const select = el(
    "select",
    { id, class: "input", "data-testid": testid },
    el("option", { value: "" }, "— choose an intent —"),
    names.map((name) => el("option", { value: name, selected: name === value }, name)),
    el("option", { value: NEW }, "New intent…"),
  );
  const custom = el("input", {
    class: "input",
    "aria-label": "New intent name",
    placeholder: "new_intent_name",
    "data-testid": `${testid}-new`,
    hidden: true,
    pattern: "[A-Za-z0-9_\\-]+",
  });
  select.addEventListener("change", () => {
    custom.hidden = select.value !== NEW;
    if (!custom.hidden) custom.focus();
    onChange?.(picker.value());
  });
  custom.addEventListener("input", () => onChange?.(picker.value()));
  const picker = {
    node: el("div", { class: "picker" }, el("label", { for: id, class: label ? "" : "visually-hidden" }, label || "Intent"), select, custom),
    value() {
      return select.value === NEW ? custom.value.trim() : select.value;
    },
    set(name) {
      if (!name) return;
      if (![...select.options].some((o) => o.value === name)) {
        select.insertBefore(el("option", { value: name }, name), select.lastChild);
      }
      select.value = name;
      custom.hidden = true;
    },
    select,
  };
  return picker;
}

// ---------------------------------------------------------------- entities

const PALETTE = 8;
export function entityColour(name) {
  let hash = 0;
  for (const char of String(name)) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `ent-${hash % PALETTE}`;
}

/** Keeps the spans that lie inside the text, first come, without overlaps. */
export function cleanSpans(text, entities = []) {
  const kept = [];
  for (const e of [...entities].sort((a, b) => a.start - b.start || b.end - a.end)) {
    if (!Number.isInteger(e.start) || !Number.isInteger(e.end) || e.start < 0 || e.end > text.length || e.start >= e.end) continue;
    if (kept.some((k) => e.start < k.end && k.start < e.end)) continue;
    kept.push({ start: e.start, end: e.end, entity: e.entity, value: e.value, confidence: e.confidence });
  }
  return kept;
}

/** The text with its entity spans as labelled <mark>s (read-only). */
export function highlightEntities(text, entities = []) {
  const spans = cleanSpans(text || "", entities);
  const out = el("span", { class: "annotated" });
  let at = 0;
  for (const span of spans) {
    if (span.start > at) out.append(text.slice(at, span.start));
    const conf = span.confidence !== undefined && span.confidence !== null ? ` ${percent(span.confidence)}` : "";
    out.append(
      el(
        "mark",
        // the label is drawn by CSS (attr(data-label)) so that it is no part of the text
        { class: `ent ${entityColour(span.entity)}`, title: `${span.entity}${conf}`, "data-label": `${span.entity}${conf}` },
        text.slice(span.start, span.end),
      ),
    );
    at = span.end;
  }
  if (at < (text || "").length) out.append(text.slice(at));
  return out;
}

/** Offsets of a DOM Range inside `root`'s text. */
function rangeOffsets(root, range) {
  const before = document.createRange();
  before.selectNodeContents(root);
  before.setEnd(range.startContainer, range.startOffset);
  const start = before.toString().length;
  return { start, end: start + range.toString().length };
}

/**
 * The entity annotator: select words in the text with the mouse (or type them
 * in "Words"), choose an entity type, and the span shows as a coloured chip.
 * Returns {node, entities()} with entities as [{start, end, entity, value}].
 */
export function entityAnnotator({ text, entities = [], entityTypes = [], testid = "annotator", onChange, compact = false } = {}) {
  let spans = cleanSpans(text, entities).map(({ start, end, entity }) => ({ start, end, entity, value: text.slice(start, end) }));
  let pending = null;
  const textNode = el("div", { class: "annot-text", "data-testid": `${testid}-text`, title: "Select words to label them as an entity" });
  const chips = el("div", { class: "chips", "data-testid": `${testid}-chips`, "aria-label": "Entities" });
  const note = el("p", { class: "annot-note muted", "aria-live": "polite" });
  const typeId = `etype-${Math.random().toString(36).slice(2)}`;
  const typeSelect = el(
    "select",
    { id: typeId, class: "input", "data-testid": `${testid}-type` },
    [...new Set(entityTypes)].sort().map((name) => el("option", { value: name }, name)),
    el("option", { value: NEW }, "New entity type…"),
  );
  const typeNew = el("input", { class: "input", "aria-label": "New entity type", placeholder: "entity_type", hidden: true, "data-testid": `${testid}-type-new` });
  typeSelect.addEventListener("change", () => {
    typeNew.hidden = typeSelect.value !== NEW;
    if (!typeNew.hidden) typeNew.focus();
  });
  const selectionLabel = el("span", { class: "annot-selection" });
  const addButton = button("Label", { kind: "primary", testid: `${testid}-add`, onClick: () => addPending() });
  const cancelButton = button("Cancel", { onClick: () => setPending(null) });
  const picker = el(
    "div",
    { class: "annot-picker", hidden: true, "data-testid": `${testid}-picker` },
    selectionLabel,
    el("label", { for: typeId }, "as"),
    typeSelect,
    typeNew,
    addButton,
    cancelButton,
  );
  const wordsId = `words-${Math.random().toString(36).slice(2)}`;
  const words = el("input", {
    id: wordsId,
    class: "input input-sm",
    placeholder: compact ? "words to label" : "or type the words",
    "data-testid": `${testid}-words`,
    hidden: compact,
  });
  const wordsToggle = compact
    ? button("Label entity", {
        kind: "link",
        testid: `${testid}-toggle`,
        onClick: () => {
          words.hidden = false;
          wordsToggle.hidden = true;
          words.focus();
        },
      })
    : null;
  words.addEventListener("input", () => {
    const wanted = words.value.trim();
    const at = wanted ? text.toLowerCase().indexOf(wanted.toLowerCase()) : -1;
    setPending(at >= 0 ? { start: at, end: at + wanted.length } : null, wanted && at < 0 ? `“${wanted}” is not in the text.` : "");
  });
  words.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      if (pending) addPending();
    }
  });

  function draw() {
    mount(textNode, highlightEntities(text, spans));
    mount(
      chips,
      spans.length
        ? spans.map((span, index) =>
            el(
              "span",
              { class: `chip ${entityColour(span.entity)}`, "data-testid": "entity-chip" },
              el("b", {}, span.entity),
              " ",
              text.slice(span.start, span.end),
              el(
                "button",
                {
                  type: "button",
                  class: "chip-remove",
                  "aria-label": `Remove ${span.entity} “${text.slice(span.start, span.end)}”`,
                  "data-testid": "entity-remove",
                  onclick: () => {
                    spans.splice(index, 1);
                    draw();
                    onChange?.(result.entities());
                  },
                },
                "×",
              ),
            ),
          )
        : el("span", { class: "muted small" }, "No entities. Select words in the text to label one."),
    );
  }

  function setPending(value, message = "") {
    pending = value;
    note.textContent = message;
    picker.hidden = !pending;
    if (pending) selectionLabel.textContent = `“${text.slice(pending.start, pending.end)}”`;
  }

  function addPending() {
    if (!pending) return;
    const entity = typeSelect.value === NEW ? typeNew.value.trim() : typeSelect.value;
    if (!entity || !/^[A-Za-z0-9_\-]+$/.test(entity)) {
      note.textContent = "Choose an entity type (letters, digits, _ or -).";
      return;
    }
    if (spans.some((s) => pending.start < s.end && s.start < pending.end)) {
      note.textContent = "That overlaps an entity already labelled; remove it first.";
      return;
    }
    spans.push({ start: pending.start, end: pending.end, entity, value: text.slice(pending.start, pending.end) });
    spans.sort((a, b) => a.start - b.start);
    words.value = "";
    setPending(null, `Labelled as ${entity}.`);
    draw();
    onChange?.(result.entities());
  }

  function onSelect() {
    const selection = window.getSelection();
    if (!selection || selection.isCollapsed || !selection.rangeCount) return;
    const range = selection.getRangeAt(0);
    if (!textNode.contains(range.startContainer) || !textNode.contains(range.endContainer)) return;
    let { start, end } = rangeOffsets(textNode, range);
    while (start < end && /\s/.test(text[start])) start += 1;
    while (end > start && /\s/.test(text[end - 1])) end -= 1;
    if (start < end) setPending({ start, end });
  }
  textNode.addEventListener("mouseup", onSelect);
  textNode.addEventListener("keyup", onSelect);

  draw();
  const result = {
    node: el(
      "div",
      { class: `annotator${compact ? " annotator-compact" : ""}`, "data-testid": testid },
      textNode,
      el("div", { class: "annot-tools" }, el("label", { for: wordsId, class: "visually-hidden" }, "Words to label"), wordsToggle, words, picker),
      note,
      chips,
    ),
    entities: () => spans.map(({ start, end, entity }) => ({ start, end, entity })),
  };
  return result;
}
