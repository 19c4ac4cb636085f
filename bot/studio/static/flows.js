// The multi-step pieces: "show the diff, then save" for stories and for NLU
// examples (with the 409 "the file changed, here is the fresh diff" loop),
// the example editor, following a background job, progress bars and
// sortable tables.

import { ApiError, api } from "./api.js";
import { el, mount } from "/chat/static/dom.js";
import {
  announce,
  busy,
  button,
  diffView,
  entityAnnotator,
  errorBox,
  forgetVocabulary,
  getVocabulary,
  intentPicker,
  loading,
  openDialog,
} from "./widgets.js";

// ---------------------------------------------------------------- stories

function parseResponses(text) {
  const responses = {};
  for (const line of String(text || "").split("\n")) {
    const match = line.match(/^\s*(utter_[A-Za-z0-9_]+)\s*:\s*(.+?)\s*$/);
    if (match) responses[match[1]] = match[2];
  }
  return responses;
}

/**
 * The story (or test story) export, editable, then previewed as a diff, then
 * saved with the preview's `base`. A 409 shows the fresh diff and asks again.
 */
export function saveStoryDialog({ kind = "story", yaml = "", name = "", onSaved } = {}) {
  const label = kind === "test" ? "test story" : "story";
  const { body, footer, close } = openDialog({ title: `Save as ${label}${name ? `: ${name}` : ""}`, testid: "story-dialog", wide: true });
  const error = errorBox("story-error");
  const info = el("p", { class: "alert alert-info", role: "status", hidden: true, "data-testid": "story-info" });
  const yamlId = `yaml-${Math.random().toString(36).slice(2)}`;
  const respId = `resp-${Math.random().toString(36).slice(2)}`;
  const textarea = el("textarea", { id: yamlId, class: "input code", rows: 14, spellcheck: "false", "data-testid": "story-yaml" }, yaml);
  const responses = el("textarea", {
    id: respId,
    class: "input code",
    rows: 2,
    spellcheck: "false",
    placeholder: "utter_thanks: You're welcome!",
    "data-testid": "story-responses",
  });
  const diffArea = el("div", { class: "diff-area", "data-testid": "story-diff" });
  let base = null;

  const previewButton = button("Preview changes", { kind: "secondary", testid: "story-preview" });
  const saveButton = button(`Save ${label}`, { kind: "primary", testid: "story-save", disabled: true });

  const payload = () => {
    const out = { kind, yaml: textarea.value };
    const extra = parseResponses(responses.value);
    if (Object.keys(extra).length) out.responses = extra;
    return out;
  };
  const invalidate = () => {
    if (base === null) return;
    base = null;
    saveButton.disabled = true;
    saveButton.querySelector("span").textContent = `Save ${label}`;
    info.hidden = false;
    info.textContent = "You changed the text since the preview: preview again before saving.";
  };
  textarea.addEventListener("input", invalidate);
  responses.addEventListener("input", invalidate);

  previewButton.addEventListener("click", () =>
    busy(previewButton, async () => {
      error.clear();
      info.hidden = true;
      try {
        const result = await api.previewStory(payload());
        base = result.base;
        mount(diffArea, el("h3", { class: "section-title" }, "What will change"), diffView(result.diff, result.path));
        saveButton.disabled = false;
        saveButton.focus();
      } catch (failure) {
        base = null;
        saveButton.disabled = true;
        diffArea.replaceChildren();
        error.show(failure.status === 422 ? `This is not a valid story: ${failure.message}` : failure);
      }
    }, "Previewing…"),
  );

  saveButton.addEventListener("click", () =>
    busy(saveButton, async () => {
      error.clear();
      try {
        const result = await api.saveStory({ ...payload(), base });
        forgetVocabulary();
        mount(
          diffArea,
          el("h3", { class: "section-title" }, "Saved"),
          diffView(result.diff, result.path),
        );
        info.hidden = false;
        info.textContent = `Saved ${(result.stories || []).join(", ") || label} to ${result.path}. Train a new model to use it.`;
        announce(`Saved the ${label} to ${result.path}.`, "ok");
        saveButton.hidden = true;
        previewButton.hidden = true;
        cancel.querySelector("span").textContent = "Close";
        onSaved?.(result);
      } catch (failure) {
        if (failure instanceof ApiError && failure.status === 409 && failure.data?.diff !== undefined && failure.data?.base) {
          base = failure.data.base;
          mount(diffArea, el("h3", { class: "section-title" }, "The file changed: the fresh diff"), diffView(failure.data.diff, failure.data.path));
          error.show(`${failure.message} Check the fresh diff below and confirm again.`);
          saveButton.querySelector("span").textContent = "Confirm and save";
        } else if (failure instanceof ApiError && failure.status === 422) {
          error.show(`Not saved: ${failure.message}`);
        } else {
          error.show(failure);
        }
        throw failure;
      }
    }, "Saving…").catch(() => {}),
  );

  const cancel = button("Cancel", { testid: "story-cancel", onClick: close });
  body.append(
    error.node,
    info,
    el("label", { for: yamlId, class: "field-label" }, `The ${label} (YAML) — edit it if you need to`),
    textarea,
    el("details", { class: "responses-box" },
      el("summary", {}, "Texts for new bot responses"),
      el("label", { for: respId, class: "field-label" }, "One per line, as utter_name: the text the bot says"),
      responses,
    ),
    diffArea,
  );
  footer.append(cancel, previewButton, saveButton);
  textarea.focus();
  return { close };
}

// ---------------------------------------------------------------- NLU examples

/**
 * Previews NLU examples (diffs per file, skipped ones with why), then saves
 * them with each file's base; 409 shows the fresh changes and asks again.
 */
export function reviewNluDialog({ examples, inboxIds = [], onSaved, onClose, title = "Review the training data changes" }) {
  let saved = false;
  const { body, footer, close } = openDialog({ title, testid: "nlu-dialog", wide: true, onClose: () => onClose?.(saved) });
  const error = errorBox("nlu-error");
  const info = el("p", { class: "alert alert-info", role: "status", hidden: true, "data-testid": "nlu-info" });
  const area = el("div", { class: "diff-area" }, loading("Working out the changes…"));
  const saveButton = button("Save to training data", { kind: "primary", testid: "nlu-save", disabled: true });
  const cancel = button("Cancel", { testid: "nlu-cancel", onClick: close });
  let bases = {};

  function draw(result, heading = "What will change") {
    const changes = result.changes || [];
    const skipped = result.skipped || [];
    bases = Object.fromEntries(changes.map((change) => [change.path, change.base]));
    mount(
      area,
      el("p", { class: "muted" }, `${examples.length} example${examples.length === 1 ? "" : "s"}; ${changes.length} file${changes.length === 1 ? "" : "s"} to change.`),
      changes.length ? el("h3", { class: "section-title" }, heading) : null,
      changes.map((change) => diffView(change.diff, change.path)),
      skipped.length
        ? el(
            "div",
            { class: "skipped", "data-testid": "nlu-skipped" },
            el("h3", { class: "section-title" }, "Skipped"),
            el("ul", {}, skipped.map((item) => el("li", {}, el("q", {}, item.text), " — ", item.reason))),
          )
        : null,
    );
    return changes.length;
  }

  (async () => {
    try {
      const result = await api.previewNlu(examples);
      const count = draw(result);
      saveButton.disabled = !count && !inboxIds.length;
      if (!count) {
        info.hidden = false;
        info.textContent = inboxIds.length
          ? "Nothing new for the data files; saving marks these inbox items as done."
          : "Nothing to add: these examples are already in the training data.";
      }
      saveButton.focus();
    } catch (failure) {
      area.replaceChildren();
      error.show(failure.status === 422 ? `These examples cannot be added: ${failure.message}` : failure);
    }
  })();

  saveButton.addEventListener("click", () =>
    busy(saveButton, async () => {
      error.clear();
      try {
        const result = await api.saveNlu(examples, bases, inboxIds);
        saved = true;
        forgetVocabulary();
        draw(result, "Saved");
        info.hidden = false;
        info.textContent = `Saved ${examples.length - (result.skipped || []).length} example(s). Train a new model to use them.`;
        announce("Saved to the training data.", "ok");
        saveButton.hidden = true;
        cancel.querySelector("span").textContent = "Close";
        onSaved?.(result);
      } catch (failure) {
        if (failure instanceof ApiError && failure.status === 409 && Array.isArray(failure.data?.changes)) {
          draw(failure.data, "The files changed: the fresh diff");
          error.show(`${failure.message} Check the fresh diff and confirm again.`);
          saveButton.querySelector("span").textContent = "Confirm and save";
        } else {
          error.show(failure.status === 422 ? `Not saved: ${failure.message}` : failure);
        }
      }
    }, "Saving…"),
  );

  body.append(error.node, info, area);
  footer.append(cancel, saveButton);
  return { close };
}

/** The NLU editor for one example: intent (existing or new) and entity spans, then the diff. */
export async function editExampleDialog({ text, intent = "", entities = [], inboxIds = [], onSaved, title = "Add to the training data" }) {
  const { body, footer, close } = openDialog({ title, testid: "example-dialog", wide: true });
  const error = errorBox("example-error");
  body.append(error.node, loading());
  let vocab = { intents: [], entities: [] };
  try {
    vocab = await getVocabulary();
  } catch (failure) {
    error.show(`The intents could not be loaded: ${failure.message}`);
  }
  const picker = intentPicker({ intents: vocab.intents, value: intent, label: "Intent", testid: "intent-select" });
  const annotator = entityAnnotator({ text, entities, entityTypes: vocab.entities, testid: "annotator" });
  mount(
    body,
    error.node,
    el("p", { class: "field-label" }, "Example"),
    annotator.node,
    picker.node,
  );
  const review = button("Review changes", {
    kind: "primary",
    testid: "example-review",
    onClick: () => {
      const chosen = picker.value();
      if (!chosen) {
        error.show("Choose the intent this example means, or type a new one.");
        return;
      }
      if (!/^[A-Za-z0-9_\-]+$/.test(chosen)) {
        error.show("An intent name is letters, digits, _ or - (no spaces).");
        return;
      }
      close();
      reviewNluDialog({ examples: [{ text, intent: chosen, entities: annotator.entities() }], inboxIds, onSaved });
    },
  });
  footer.append(button("Cancel", { onClick: close }), review);
  picker.select.focus();
}

// ---------------------------------------------------------------- jobs

const finished = (job) => job && (job.status === "succeeded" || job.status === "failed");

/** Polls a job and its log every second until both are done; returns {stop()}. */
export function followJob(jobId, { onJob, onLog, onDone, onError, intervalMs = 1000 } = {}) {
  let stopped = false;
  let offset = 0;
  let logDone = false;
  let timer = null;
  async function tick() {
    if (stopped) return;
    try {
      const [job, log] = await Promise.all([
        api.job(jobId),
        logDone ? Promise.resolve(null) : api.jobLog(jobId, offset),
      ]);
      if (stopped) return;
      if (log) {
        if (log.text) onLog?.(log.text);
        if (Number.isFinite(log.next_offset)) offset = log.next_offset;
        logDone = Boolean(log.done);
      }
      onJob?.(job);
      // a finished job whose log has nothing more to give is done, even without "done"
      if (finished(job) && (logDone || !log || !log.text)) {
        stopped = true;
        onDone?.(job);
        return;
      }
    } catch (failure) {
      onError?.(failure);
      if (failure?.name === "AuthError" || failure?.status === 404) {
        stopped = true;
        return;
      }
    }
    timer = setTimeout(tick, intervalMs);
  }
  tick();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

export function progressBar(testid = "progress") {
  const fill = el("div", { class: "progress-fill" });
  const node = el(
    "div",
    { class: "progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": 0, "data-testid": testid },
    fill,
  );
  return {
    node,
    set(fraction, label = "") {
      const value = Math.max(0, Math.min(100, Math.round((Number(fraction) || 0) * 100)));
      fill.style.width = `${value}%`;
      node.setAttribute("aria-valuenow", value);
      node.setAttribute("aria-valuetext", label ? `${value}% — ${label}` : `${value}%`);
    },
    state(kind) {
      node.dataset.state = kind;
    },
  };
}

// ---------------------------------------------------------------- sortable table

/**
 * columns: [{key, label, numeric, value(row) (sorting), render(row) (the cell)}].
 * Click (or Enter/Space on) a header to sort; aria-sort says how.
 */
export function sortableTable({ caption, columns, rows, testid, rowTestid, initial }) {
  const table = el("table", { class: "table", "data-testid": testid });
  const body = el("tbody");
  const state = { key: initial?.key || null, direction: initial?.direction || "descending" };
  const headers = columns.map((column) => {
    const th = el("th", { scope: "col", class: column.numeric ? "num" : "", "aria-sort": "none" });
    const sortButton = el(
      "button",
      { type: "button", class: "sort-button", "data-testid": `${testid}-sort-${column.key}` },
      column.label,
      el("span", { class: "sort-icon", "aria-hidden": "true" }),
    );
    sortButton.addEventListener("click", () => {
      if (state.key === column.key) state.direction = state.direction === "ascending" ? "descending" : "ascending";
      else {
        state.key = column.key;
        state.direction = column.numeric ? "descending" : "ascending";
      }
      fill();
    });
    th.append(sortButton);
    return th;
  });
  function fill() {
    const ordered = [...rows];
    const column = columns.find((c) => c.key === state.key);
    if (column) {
      const value = column.value || ((row) => row[column.key]);
      ordered.sort((a, b) => {
        const x = value(a);
        const y = value(b);
        if (x === y) return 0;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
        return state.direction === "ascending" ? order : -order;
      });
    }
    headers.forEach((th, i) => th.setAttribute("aria-sort", columns[i].key === state.key ? state.direction : "none"));
    body.replaceChildren(
      ...ordered.map((row) =>
        el(
          "tr",
          { "data-testid": rowTestid },
          columns.map((c) => el("td", { class: c.numeric ? "num" : "" }, c.render ? c.render(row) : String(row[c.key] ?? "—"))),
        ),
      ),
    );
  }
  if (caption) table.append(el("caption", {}, caption));
  table.append(el("thead", {}, el("tr", {}, headers)), body);
  fill();
  return el("div", { class: "table-scroll" }, table);
}
