// Evaluation: pick a model, run the evaluation (a background job with a
// progress bar), then the per-intent figures (sortable), the confusions with
// their failing examples, the failed stories, and the change against the
// active model.
// API: GET /studio/api/models, POST /studio/api/evaluations,
//      GET /studio/api/jobs/<id> (+ /log), GET /studio/api/evaluations/<model>

import { ApiError, api } from "../api.js";
import { el, mount } from "/chat/static/dom.js";
import { followJob, progressBar, sortableTable } from "../flows.js";
import { announce, busy, button, confidenceBadge, deltaBadge, emptyState, errorBox, formatTime, loading, percent, viewHeader } from "../widgets.js";

const RUNNING = new Set(["queued", "running"]);

function figure(label, value, delta) {
  return el(
    "div",
    { class: "figure" },
    el("span", { class: "figure-label" }, label),
    el("span", { class: "figure-value" }, value),
    delta !== undefined ? deltaBadge(delta) : null,
  );
}

function results(evaluation) {
  const nlu = evaluation.nlu || {};
  const stories = evaluation.stories || {};
  const compared = evaluation.compared_with || null;
  const perIntentF1 = compared?.per_intent_f1 || {};
  const rows = Object.entries(nlu.per_intent || {}).map(([intent, m]) => ({ intent, ...m, delta: perIntentF1[intent] ?? null }));
  const columns = [
    { key: "intent", label: "Intent", render: (r) => el("span", { class: "mono" }, r.intent) },
    { key: "precision", label: "Precision", numeric: true, render: (r) => percent(r.precision, 1) },
    { key: "recall", label: "Recall", numeric: true, render: (r) => percent(r.recall, 1) },
    { key: "f1", label: "F1", numeric: true, render: (r) => el("span", { class: r.f1 < 0.7 ? "text-bad" : "" }, percent(r.f1, 1)) },
    { key: "support", label: "Examples", numeric: true, render: (r) => String(r.support ?? "—") },
  ];
  if (compared) columns.push({ key: "delta", label: "F1 vs active", numeric: true, render: (r) => deltaBadge(r.delta) });
  const confusions = nlu.confusions || [];
  const failed = stories.failed || [];
  return el(
    "div",
    { class: "evaluation" },
    el(
      "section",
      { class: "card", "data-testid": "evaluation-summary", "aria-label": "Summary" },
      el(
        "div",
        { class: "card-head" },
        el("h2", { class: "card-title" }, `Results for ${evaluation.model}`),
        el("span", { class: "spacer" }),
        el("span", { class: "muted small" }, `evaluated ${formatTime(evaluation.evaluated_at)}`),
      ),
      el(
        "div",
        { class: "figures" },
        figure("Intent accuracy", percent(nlu.accuracy, 1), compared ? compared.accuracy : undefined),
        figure("Macro F1", percent(nlu.macro_f1, 1), compared ? compared.macro_f1 : undefined),
        figure("NLU examples", String(nlu.examples ?? "—")),
        figure("Stories correct", `${stories.correct ?? "—"} / ${stories.total ?? "—"}`),
      ),
      compared
        ? el("p", { class: "muted small" }, `Changes are against the active model ${compared.model}: green is better, red is worse.`)
        : el("p", { class: "muted small" }, "This is the active model (or there is none to compare with)."),
    ),
    el(
      "section",
      { class: "card", "aria-labelledby": "per-intent-title" },
      el("h2", { id: "per-intent-title", class: "card-title" }, "Per intent"),
      rows.length
        ? sortableTable({ columns, rows, testid: "per-intent-table", rowTestid: "per-intent-row", initial: { key: "f1", direction: "ascending" } })
        : emptyState("No per-intent figures."),
    ),
    el(
      "div",
      { class: "grid-2" },
      el(
        "section",
        { class: "card", "aria-labelledby": "confusions-title", "data-testid": "confusions" },
        el("h2", { id: "confusions-title", class: "card-title" }, `Confusions (${confusions.length})`),
        confusions.length
          ? confusions.map((c) =>
              el(
                "details",
                { class: "confusion", "data-testid": "confusion" },
                el("summary", {}, el("span", { class: "mono" }, c.actual), " taken for ", el("span", { class: "mono" }, c.predicted), el("span", { class: "count" }, `${c.count}×`)),
                el("ul", { class: "examples" }, (c.examples || []).map((e) => el("li", {}, el("q", {}, e.text), " ", confidenceBadge(e.confidence)))),
              ),
            )
          : emptyState("No intent was taken for another."),
      ),
      el(
        "section",
        { class: "card", "aria-labelledby": "failed-title", "data-testid": "failed-stories" },
        el("h2", { id: "failed-title", class: "card-title" }, `Failed stories (${failed.length})`),
        failed.length
          ? failed.map((story) => el("details", { class: "confusion" }, el("summary", {}, story.name), el("pre", { class: "code-block" }, story.yaml)))
          : emptyState("Every test story passed."),
      ),
    ),
  );
}

export async function render(container, { params, navigate }) {
  const error = errorBox("view-error");
  const select = el("select", { id: "eval-model", class: "input", "data-testid": "evaluation-model" });
  const run = button("Run evaluation", { kind: "primary", testid: "evaluation-run", iconName: "play" });
  const bar = progressBar("evaluation-progress");
  const stage = el("span", { class: "job-stage", "data-testid": "evaluation-stage" });
  const jobArea = el("div", { class: "job", hidden: true }, el("div", { class: "job-line" }, stage), bar.node);
  const area = el("div", {}, loading());
  let follower = null;
  let running = false;

  mount(
    container,
    viewHeader("Evaluation", "How well a model understands held-out examples and passes the test stories, compared with the active model."),
    error.node,
    el(
      "section",
      { class: "card" },
      el("div", { class: "inline-form" }, el("label", { for: "eval-model", class: "field-label" }, "Model"), select, run),
      jobArea,
    ),
    area,
  );

  let models;
  try {
    models = await api.models();
  } catch (failure) {
    area.replaceChildren();
    error.show(failure);
    return;
  }
  const list = models.models || [];
  if (!list.length) {
    mount(area, emptyState("No models yet: train one first."));
    run.disabled = true;
    return;
  }
  const chosen = params.get("model") || models.active || list[0].name;
  for (const model of list) {
    select.append(el("option", { value: model.name, selected: model.name === chosen }, `${model.name}${model.active ? " (active)" : ""}`));
  }
  select.addEventListener("change", () => navigate("evaluation", { model: select.value }));

  async function load(model) {
    area.replaceChildren(loading());
    try {
      mount(area, results(await api.evaluation(model)));
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 404) mount(area, emptyState(`${model} has not been evaluated yet. Run the evaluation above.`));
      else {
        area.replaceChildren();
        error.show(failure);
      }
    }
  }

  function follow(job) {
    follower?.stop();
    jobArea.hidden = false;
    run.disabled = true;
    running = true;
    const show = (current) => {
      bar.set(current.status === "succeeded" ? 1 : current.progress, current.stage || current.status);
      bar.state(current.status);
      stage.textContent = `${current.status}${current.stage ? ` · ${current.stage}` : ""} · ${Math.round((current.status === "succeeded" ? 1 : current.progress || 0) * 100)}%`;
    };
    show(job);
    follower = followJob(job.id, {
      onJob: show,
      onError: (failure) => error.show(`Lost track of the evaluation: ${failure.message}`),
      onDone: (current) => {
        running = false;
        run.disabled = false;
        if (current.status === "succeeded") {
          announce("Evaluation finished.", "ok");
          load(select.value);
        } else {
          error.show(`The evaluation failed: ${current.error || "see the job log"}`);
        }
      },
    });
  }

  run.addEventListener("click", () =>
    busy(run, async () => {
      error.clear();
      try {
        const { job } = await api.evaluate(select.value);
        announce(`Evaluating ${select.value}…`);
        follow(job);
      } catch (failure) {
        error.show(failure);
      }
    }, "Starting…").then(() => {
      if (running) run.disabled = true;
    }),
  );

  const jobId = params.get("job");
  if (jobId) {
    try {
      const job = await api.job(jobId);
      if (RUNNING.has(job.status)) {
        follow(job);
        area.replaceChildren(emptyState("The evaluation is running…"));
        return () => follower?.stop();
      }
    } catch {
      // fall through to the stored results
    }
  }
  await load(chosen);
  return () => follower?.stop();
}
