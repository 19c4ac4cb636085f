// Training and models: validate the data, train with a live progress bar and
// log, and the models (activate, evaluate, roll back).
// API: POST /studio/api/validate, POST /studio/api/training,
//      GET /studio/api/jobs?kind=training, GET /studio/api/jobs/<id>,
//      GET /studio/api/jobs/<id>/log?offset=, GET /studio/api/models,
//      POST /studio/api/models/<name>/activate, POST /studio/api/models/rollback,
//      POST /studio/api/evaluations

import { ApiError, api } from "../api.js";
import { el, mount } from "/chat/static/dom.js";
import { followJob, progressBar } from "../flows.js";
import {
  announce,
  busy,
  button,
  confirmDialog,
  emptyState,
  errorBox,
  formatBytes,
  formatTime,
  loading,
  percent,
  viewHeader,
} from "../widgets.js";

const RUNNING = new Set(["queued", "running"]);

function validationResult(result) {
  const errors = result.errors || [];
  const warnings = result.warnings || [];
  return el(
    "div",
    { class: "validation", "data-testid": "validate-result" },
    el(
      "p",
      { class: `alert ${result.ok ? "alert-ok" : "alert-error"}`, role: "status" },
      result.ok
        ? `The data is valid${warnings.length ? `, with ${warnings.length} warning${warnings.length === 1 ? "" : "s"}` : ""}.`
        : `The data has ${errors.length} error${errors.length === 1 ? "" : "s"}: fix ${errors.length === 1 ? "it" : "them"} before training.`,
    ),
    errors.length ? el("ul", { class: "issues issues-error" }, errors.map((text) => el("li", {}, text))) : null,
    warnings.length
      ? el("details", { class: "issues-box", open: !errors.length && warnings.length <= 5 }, el("summary", {}, `Warnings (${warnings.length})`), el("ul", { class: "issues issues-warning" }, warnings.map((text) => el("li", {}, text))))
      : null,
  );
}

function jobPanel() {
  const bar = progressBar("progress");
  const stage = el("span", { class: "job-stage", "data-testid": "job-stage" });
  const state = el("span", { class: "pill", "data-testid": "job-status" });
  const log = el("pre", { class: "log", "data-testid": "job-log", tabindex: "0", "aria-label": "Training log" });
  const result = el("div", { "data-testid": "job-result" });
  const node = el(
    "div",
    { class: "job", hidden: true },
    el("div", { class: "job-line" }, state, stage, el("span", { class: "spacer" }), el("span", { class: "muted small job-percent" })),
    bar.node,
    result,
    el("details", { class: "log-box", open: true }, el("summary", {}, "Log"), log),
  );
  return {
    node,
    reset() {
      log.textContent = "";
      result.replaceChildren();
      node.hidden = false;
    },
    job(job) {
      node.hidden = false;
      bar.set(job.status === "succeeded" ? 1 : job.progress, job.stage || job.status);
      bar.state(job.status);
      state.textContent = job.status;
      state.className = `pill pill-${job.status}`;
      stage.textContent = job.stage || "";
      node.querySelector(".job-percent").textContent = `${Math.round((job.status === "succeeded" ? 1 : job.progress || 0) * 100)}% · started ${formatTime(job.started_at)}`;
      if (job.status === "failed") mount(result, el("p", { class: "alert alert-error", role: "alert" }, `Training failed: ${job.error || "see the log"}`));
      if (job.status === "succeeded") mount(result, el("p", { class: "alert alert-ok", role: "status" }, `Trained ${job.model || "a new model"}. Evaluate it, then activate it below.`));
    },
    log(text) {
      const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
      log.append(text);
      if (atBottom) log.scrollTop = log.scrollHeight;
    },
  };
}

function modelsTable(data, { onActivate, onEvaluate }) {
  const models = data.models || [];
  if (!models.length) return emptyState("No models yet. Train one above.");
  return el(
    "div",
    { class: "table-scroll" },
    el(
      "table",
      { class: "table", "data-testid": "models-table" },
      el("caption", { class: "visually-hidden" }, "Models, newest first"),
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          ["Model", "Trained", "Size", "Accuracy", "Macro F1", "Stories", ""].map((label, i) =>
            el("th", { scope: "col", class: i >= 2 && i <= 5 ? "num" : "" }, label || el("span", { class: "visually-hidden" }, "Actions")),
          ),
        ),
      ),
      el(
        "tbody",
        {},
        models.map((model) => {
          const evaluation = model.evaluation;
          const activate = button(model.active ? "Active" : "Activate", {
            kind: model.active ? "ghost" : "primary",
            testid: "model-activate",
            disabled: model.active,
          });
          activate.addEventListener("click", () => onActivate(model, activate));
          const evaluate = button(evaluation ? "Re-evaluate" : "Evaluate", { testid: "model-evaluate" });
          evaluate.addEventListener("click", () => onEvaluate(model, evaluate));
          return el(
            "tr",
            { "data-testid": "model-row", "data-name": model.name, class: model.active ? "row-active" : "" },
            el(
              "td",
              { class: "mono model-name" },
              model.name,
              model.active ? el("span", { class: "pill pill-ok badge-active", "data-testid": "active-badge" }, "active") : null,
              el("div", { class: "small muted", title: `fingerprint ${model.fingerprint || "—"}` }, `fingerprint ${(model.fingerprint || "—").slice(0, 12)}`),
            ),
            el("td", { class: "nowrap" }, formatTime(model.created_at)),
            el("td", { class: "num nowrap" }, formatBytes(model.size_bytes)),
            el("td", { class: "num" }, evaluation ? percent(evaluation.intent_accuracy, 1) : "—"),
            el("td", { class: "num" }, evaluation ? percent(evaluation.intent_macro_f1, 1) : "—"),
            el("td", { class: "num" }, evaluation ? `${evaluation.stories_correct}/${evaluation.stories_total}` : "—"),
            el(
              "td",
              { class: "cell-actions" },
              activate,
              evaluate,
              evaluation ? el("a", { class: "btn btn-link", href: `#/evaluation?model=${encodeURIComponent(model.name)}` }, "Results") : null,
            ),
          );
        }),
      ),
    ),
  );
}

export async function render(container, { navigate }) {
  const error = errorBox("view-error");
  const validateButton = button("Validate data", { testid: "validate-button", iconName: "check" });
  const validateArea = el("div");
  const trainButton = button("Train a new model", { kind: "primary", testid: "train-button", iconName: "train" });
  const rollbackButton = button("Roll back", { testid: "rollback-button", title: "Activate the model that was active before" });
  const panel = jobPanel();
  const modelsArea = el("div", {}, loading());
  const modelsError = errorBox("models-error");
  let follower = null;
  let following = false;

  mount(
    container,
    viewHeader("Training & models", "Check the data, train a model, and choose which model the assistant uses."),
    error.node,
    el(
      "div",
      { class: "grid-2" },
      el("section", { class: "card", "aria-labelledby": "validate-title" }, el("h2", { id: "validate-title", class: "card-title" }, "1. Validate the data"), el("p", { class: "muted small" }, "Finds mistakes in the stories, rules, examples and domain before a training run."), el("div", { class: "button-row" }, validateButton), validateArea),
      el("section", { class: "card", "aria-labelledby": "train-title" }, el("h2", { id: "train-title", class: "card-title" }, "2. Train"), el("p", { class: "muted small" }, "Trains a new model from the current data. The running assistant keeps its model until you activate the new one."), el("div", { class: "button-row" }, trainButton), panel.node),
    ),
    el(
      "section",
      { class: "card", "aria-labelledby": "models-title" },
      el("div", { class: "card-head" }, el("h2", { id: "models-title", class: "card-title" }, "3. Models"), el("span", { class: "spacer" }), rollbackButton),
      modelsError.node,
      modelsArea,
    ),
  );

  async function loadModels() {
    modelsError.clear();
    try {
      const data = await api.models();
      mount(modelsArea, modelsTable(data, { onActivate: activate, onEvaluate: evaluate }));
    } catch (failure) {
      modelsArea.replaceChildren();
      modelsError.show(failure);
    }
  }

  async function activate(model, trigger) {
    const ok = await confirmDialog(`Activate ${model.name}? The assistant starts answering with it right away, for every user.`, { confirmLabel: "Activate" });
    if (!ok) return;
    await busy(trigger, async () => {
      try {
        const result = await api.activate(model.name);
        announce(`${result?.active || model.name} is now active.`, "ok");
        await loadModels();
      } catch (failure) {
        modelsError.show(failure);
      }
    }, "Activating…");
  }

  async function evaluate(model, trigger) {
    await busy(trigger, async () => {
      try {
        const { job } = await api.evaluate(model.name);
        navigate("evaluation", { model: model.name, job: job?.id });
      } catch (failure) {
        modelsError.show(failure);
      }
    }, "Starting…");
  }

  function follow(job, fresh) {
    follower?.stop();
    if (fresh) panel.reset();
    panel.job(job);
    trainButton.disabled = RUNNING.has(job.status);
    if (!RUNNING.has(job.status) && !fresh) {
      // a finished job: show its end state and the log tail, no polling
      panel.reset();
      panel.job(job);
      if ((job.log_tail || []).length) panel.log(`${job.log_tail.join("\n")}\n`);
      return;
    }
    following = true;
    follower = followJob(job.id, {
      onJob: (current) => panel.job(current),
      onLog: (text) => panel.log(text),
      onError: (failure) => error.show(`Lost track of the training job: ${failure.message}`),
      onDone: (current) => {
        following = false;
        trainButton.disabled = false;
        announce(current.status === "succeeded" ? `Training finished: ${current.model || "a new model"}.` : "Training failed.", current.status === "succeeded" ? "ok" : "error");
        loadModels();
      },
    });
  }

  validateButton.addEventListener("click", () =>
    busy(validateButton, async () => {
      error.clear();
      validateArea.replaceChildren(loading("Validating… (this can take a minute)"));
      try {
        mount(validateArea, validationResult(await api.validate()));
      } catch (failure) {
        validateArea.replaceChildren();
        error.show(failure);
      }
    }, "Validating…"),
  );

  trainButton.addEventListener("click", () =>
    busy(trainButton, async () => {
      error.clear();
      try {
        const { job } = await api.train();
        announce("Training started.");
        follow(job, true);
      } catch (failure) {
        if (failure instanceof ApiError && failure.status === 409) {
          error.show(`${failure.message} Showing the running job.`);
          const running = await currentJob();
          if (running) follow(running, true);
        } else error.show(failure);
      }
    }, "Starting…").then(() => {
      if (following) trainButton.disabled = true;
    }),
  );

  rollbackButton.addEventListener("click", async () => {
    const ok = await confirmDialog("Roll back to the model that was active before this one?", { confirmLabel: "Roll back" });
    if (!ok) return;
    await busy(rollbackButton, async () => {
      try {
        const result = await api.rollback();
        announce(`Rolled back: ${result.active} is active.`, "ok");
        await loadModels();
      } catch (failure) {
        modelsError.show(failure);
      }
    }, "Rolling back…");
  });

  async function currentJob() {
    try {
      const { jobs } = await api.jobs("training");
      return (jobs || [])[0] || null;
    } catch {
      return null;
    }
  }

  loadModels();
  const last = await currentJob();
  if (last) follow(last, RUNNING.has(last.status));
  return () => follower?.stop();
}

