// The training studio's browser app: sign-in, the navigation, and a router by
// location hash (#/conversations, #/conversations/<id>, #/nlu, #/training,
// #/evaluation, #/interactive, #/feedback). Each view is a module with
// render(container, {params, segments}) that may return a clean-up function.
//
// data-testid attributes the browser tests drive:
//   sign-in        signin-username, signin-password, signin-submit, signin-error, signout, who
//   navigation     nav-conversations, nav-nlu, nav-interactive, nav-training, nav-evaluation, nav-feedback, nav-operations
//   operations     operations-days, operations-totals, operations-chart (data-metric), capabilities-table
//   shared         status (aria-live toast), view-error, pager / pager-prev / pager-next,
//                  confirm-dialog, confirm-ok, confirm-cancel, diff-view,
//                  intent-select (+ intent-select-new), annotator, annotator-text, annotator-words,
//                  annotator-toggle, annotator-type (+ annotator-type-new), annotator-add,
//                  entity-chip, entity-remove; inline errors: example-error, parse-error,
//                  prediction-error, interactive-error (role=alert, text from the API's {"error"})
//   conversations  filters, filter-since, filter-until, filter-channel, filter-user, filter-intent,
//                  filter-action, filter-min-confidence, filter-max-confidence, filter-fallback,
//                  filter-negative-feedback, filter-reviewed, filter-tag, filter-apply, filter-reset,
//                  conversations-table, conversation-row
//   conversation   conversation-header, mark-reviewed, mark-flagged (aria-pressed), tag-input, tag-add,
//                  tag-chip, tag-remove, note-input, note-save, marks-error, turn (data-index),
//                  turn-user, turn-intent, turn-correct, turn-save-story, turn-save-test,
//                  bot-message, feedback-badge, turns-pager, turns-pager-bottom
//   story dialog   story-dialog, story-yaml, story-responses, story-preview, story-diff, story-save,
//                  story-error, story-info, story-cancel
//   NLU            nlu-inbox-table, nlu-row, nlu-select, nlu-select-all, nlu-accept, nlu-delete,
//                  nlu-accept-selected, nlu-filter-intent, nlu-filter-max-confidence, nlu-filter-apply,
//                  example-dialog, example-review, nlu-dialog, nlu-save, nlu-cancel, nlu-error,
//                  nlu-info, nlu-skipped
//   training       validate-button, validate-result, train-button, progress (progress bar),
//                  job-status, job-stage, job-log, job-result, models-table, model-row (data-name),
//                  active-badge, model-activate, model-evaluate, rollback-button, models-error
//   evaluation     evaluation-model, evaluation-run, evaluation-progress, evaluation-stage,
//                  evaluation-summary, per-intent-table, per-intent-row,
//                  per-intent-table-sort-<intent|precision|recall|f1|support|delta>, confusions,
//                  confusion, failed-stories, delta
//   interactive    interactive-session, interactive-log, interactive-input, interactive-send,
//                  parse-card, intent-option, parse-confirm, prediction-card, action-option,
//                  action-select, action-other, action-confirm, bot-message, interactive-export,
//                  interactive-new, export-dialog, export-story, export-nlu, export-save-story,
//                  export-save-test, export-save-nlu
//   feedback       feedback-rating, feedback-table, feedback-row, feedback-open

import { ApiError, AuthError, api, auth, whenSignedOut } from "./api.js";
import { el, icon } from "/chat/static/dom.js";
import { errorText } from "./widgets.js";
import * as conversationsView from "./views/conversations.js";
import * as conversationView from "./views/conversation.js";
import * as evaluationView from "./views/evaluation.js";
import * as feedbackView from "./views/feedback.js";
import * as interactiveView from "./views/interactive.js";
import * as nluView from "./views/nlu.js";
import * as operationsView from "./views/operations.js";
import * as trainingView from "./views/training.js";

const STUDIO_ROLES = ["trainer", "administrator"];
const FORBIDDEN = "The training studio is for trainers and administrators.";

const $ = (id) => document.getElementById(id);
const ui = {};
let cleanup = null;

function fillIcons(root = document) {
  for (const slot of root.querySelectorAll("[data-icon]")) {
    if (!slot.firstChild) slot.append(icon(slot.dataset.icon, slot.classList.contains("brand-mark") ? 20 : 18));
  }
}

function setState(name) {
  ui.app.dataset.state = name;
  ui.signin.hidden = name !== "signin";
  ui.shell.hidden = name !== "studio";
}

// ---------------------------------------------------------------- sign-in

function showSignIn(message = "", info = false) {
  stopView();
  setState("signin");
  ui.signinError.textContent = message;
  ui.signinError.hidden = !message;
  ui.signinError.classList.toggle("alert-info", info);
  ui.signinError.classList.toggle("alert-error", !info);
  ui.password.value = "";
  (ui.username.value ? ui.password : ui.username).focus();
}

async function onSignIn(event) {
  event.preventDefault();
  const username = ui.username.value.trim();
  const password = ui.password.value;
  if (!username || !password) {
    showSignIn("Enter your user name and password.");
    return;
  }
  ui.signinButton.disabled = true;
  ui.signinButton.firstElementChild.textContent = "Signing in…";
  try {
    const result = await api.signIn(username, password);
    if (!STUDIO_ROLES.some((role) => (result.roles || []).includes(role))) {
      auth.save(result);
      await signOut(FORBIDDEN, false);
      return;
    }
    auth.save(result);
    startStudio(result);
  } catch (error) {
    showSignIn(error instanceof ApiError && error.status === 401 ? error.message || "Wrong user name or password." : errorText(error));
  } finally {
    ui.signinButton.disabled = false;
    ui.signinButton.firstElementChild.textContent = "Sign in";
  }
}

async function signOut(message = "You have signed out.", info = true) {
  await interactiveView.endSession?.();
  try {
    if (auth.token()) await api.signOut();
  } catch (error) {
    if (!(error instanceof AuthError)) console.warn("sign-out", error);
  }
  auth.clear();
  showSignIn(message, info);
}

function startStudio(profile) {
  setState("studio");
  ui.who.textContent = [profile.full_name || profile.user, profile.company].filter(Boolean).join(" · ");
  ui.who.title = (profile.roles || []).join(", ");
  route();
}

// ---------------------------------------------------------------- router

const ROUTES = {
  conversations: conversationsView,
  nlu: nluView,
  training: trainingView,
  evaluation: evaluationView,
  interactive: interactiveView,
  feedback: feedbackView,
  operations: operationsView,
};

export function parseHash(hash = window.location.hash) {
  const raw = hash.replace(/^#\/?/, "");
  const [path, search = ""] = raw.split("?");
  const segments = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { segments, params: new URLSearchParams(search) };
}

/** Sets the hash for a view and its query (empty values left out). */
export function navigate(path, params = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "" && value !== false) search.set(key, String(value));
  }
  const query = search.toString();
  const target = `#/${path}${query ? `?${query}` : ""}`;
  if (window.location.hash === target) route();
  else window.location.hash = target;
}

function stopView() {
  if (typeof cleanup === "function") {
    try {
      cleanup();
    } catch (error) {
      console.warn("clean-up", error);
    }
  }
  cleanup = null;
}

async function route() {
  if (ui.app.dataset.state !== "studio") return;
  stopView();
  const { segments, params } = parseHash();
  let name = segments[0] || "conversations";
  let view = ROUTES[name];
  if (name === "conversations" && segments[1]) view = conversationView;
  if (!view) {
    name = "conversations";
    view = conversationsView;
  }
  for (const link of ui.nav) {
    const current = link.dataset.nav === name;
    link.classList.toggle("active", current);
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const container = ui.view;
  container.replaceChildren();
  document.querySelectorAll("dialog").forEach((dialog) => dialog.close());
  try {
    const result = await view.render(container, { segments, params, navigate });
    cleanup = result || null;
  } catch (error) {
    if (error instanceof AuthError) return;
    container.append(viewError(error));
  }
}

export function viewError(error) {
  const forbidden = error instanceof ApiError && error.status === 403;
  return el(
    "div",
    { class: "alert alert-error", role: "alert", "data-testid": "view-error" },
    forbidden ? FORBIDDEN : errorText(error),
  );
}

// ---------------------------------------------------------------- start

function init() {
  Object.assign(ui, {
    app: $("app"),
    signin: $("signin"),
    shell: $("shell"),
    form: $("signin-form"),
    username: $("username"),
    password: $("password"),
    signinButton: $("signin-button"),
    signinError: $("signin-error"),
    who: $("who"),
    signout: $("signout-button"),
    view: $("view"),
    nav: [...document.querySelectorAll("[data-nav]")],
  });
  fillIcons();
  ui.form.addEventListener("submit", onSignIn);
  ui.signout.addEventListener("click", () => signOut());
  window.addEventListener("hashchange", route);
  whenSignedOut(() => {
    auth.clear();
    showSignIn("Your session has ended. Please sign in again.");
  });
  const saved = auth.load();
  if (saved) startStudio(saved);
  else showSignIn();
}

init();
