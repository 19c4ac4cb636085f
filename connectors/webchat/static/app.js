// The chat page: sign-in, the conversation (history restored, live messages,
// typing, streamed drafts), buttons, feedback, the alerts badge, voice, and the
// page context sent with each message. Full page at /chat, or inside the
// embed.js side panel at /chat?embedded=1&module=<module>.

import { ApiError, AuthError, api, auth, conversations } from "./api.js";
import { ChatTransport } from "./chat.js";
import { el, icon } from "./dom.js";
import { renderDraft, renderMessage, renderTyping, retireButtons } from "./render.js";
import { VoiceError, VoiceRecorder, playReply, voiceSupport } from "./voice.js";

const ALERTS_POLL_MS = 45_000;
const TYPING_TIMEOUT_MS = 60_000;
const params = new URLSearchParams(window.location.search);
const embedded = params.get("embedded") === "1";
const page = {
  module: params.get("module") || null,
  path: params.get("path") || window.location.pathname,
};

const MODULE_NAMES = {
  finance: "Finance",
  sales: "Sales",
  purchasing: "Purchasing",
  warehouse: "Warehouse",
  inventory: "Inventory",
  dashboard: "Dashboard",
};

const SUGGESTIONS = {
  finance: ["Which customers owe us money?", "What's our cash balance?", "Cash flow outlook for the next 6 weeks"],
  sales: ["Sales last month", "Customers in Chattogram", "Which customers owe us money?"],
  purchasing: ["What's waiting for my approval?", "POs pending approval", "How much do we owe suppliers?"],
  warehouse: ["What should I reorder?", "Stock in Gazipur", "What's the returns policy?"],
  general: ["Dashboard", "Any alerts?", "What's the travel policy?"],
};

const $ = (id) => document.getElementById(id);
const ui = {};
let session = null; // {token, user, full_name, company, roles, expires_at}
let transport = null;
let alertsTimer = null;
let typingTimer = null;
let retryTimer = null;
const drafts = new Map(); // stream_id → {node, append}
const recorder = new VoiceRecorder();
let typingNode = null;

// ---------------------------------------------------------------- set-up

function fillIcons(root = document) {
  for (const slot of root.querySelectorAll("[data-icon]")) {
    if (!slot.firstChild) slot.append(icon(slot.dataset.icon, slot.classList.contains("brand-mark") ? 22 : 20));
  }
}

function setView(name) {
  ui.app.dataset.state = name;
  ui.signin.hidden = name !== "signin";
  ui.chat.hidden = name !== "chat";
}

function postToHost(message) {
  if (embedded && window.parent !== window) window.parent.postMessage(message, "*");
}

function moduleLabel(module) {
  return MODULE_NAMES[module] || (module ? module[0].toUpperCase() + module.slice(1) : "");
}

function showModule() {
  ui.moduleChip.hidden = !page.module;
  ui.moduleChip.textContent = page.module ? `Context: ${moduleLabel(page.module)}` : "";
  ui.moduleChip.title = page.module ? `Your questions are sent with the ${moduleLabel(page.module)} screen as context` : "";
}

function notice(text, timeout = 8000) {
  ui.notice.textContent = text;
  ui.notice.hidden = !text;
  clearTimeout(notice.timer);
  if (text && timeout) notice.timer = setTimeout(() => notice(""), timeout);
}

function connection(text) {
  ui.connection.textContent = text || "";
  ui.connection.hidden = !text;
}

// ---------------------------------------------------------------- sign-in

function showSignIn(message = "") {
  setView("signin");
  ui.signinError.textContent = message;
  ui.signinError.hidden = !message;
  ui.signinError.classList.toggle("info", message.startsWith("You have signed out"));
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
  ui.signinButton.textContent = "Signing in…";
  try {
    const result = await api.signIn(username, password);
    auth.save(result);
    startChat(result);
  } catch (error) {
    const text =
      error instanceof ApiError && error.status === 429
        ? error.message || "Too many attempts. Wait a minute and try again."
        : error.message || "Sign-in failed.";
    showSignIn(text);
  } finally {
    ui.signinButton.disabled = false;
    ui.signinButton.textContent = "Sign in";
  }
}

async function signOut(message = "You have signed out.") {
  const token = session?.token;
  stopChat();
  auth.clear();
  if (token) {
    try {
      await api.signOut(token);
    } catch (error) {
      if (!(error instanceof AuthError)) console.warn("sign-out", error);
    }
  }
  showSignIn(message);
}

function sessionEnded() {
  stopChat();
  auth.clear();
  showSignIn("Your session has ended. Please sign in again.");
}

// ---------------------------------------------------------------- the conversation

function stopChat() {
  transport?.close();
  transport = null;
  session = null;
  clearInterval(alertsTimer);
  clearTimeout(retryTimer);
  clearTimeout(typingTimer);
  drafts.clear();
  typingNode = null;
  ui.history.replaceChildren();
  ui.live.replaceChildren();
  ui.welcome.hidden = true;
  setUnread(0);
  connection("");
  notice("");
}

function startChat(profile) {
  session = profile;
  setView("chat");
  ui.who.textContent = [profile.full_name || profile.user, profile.company].filter(Boolean).join(" · ");
  ui.who.title = (profile.roles || []).join(", ");
  showModule();
  transport = new ChatTransport({ token: profile.token, sessionId: conversations.load(profile.user) });
  transport.addEventListener("status", (e) => onStatus(e.detail));
  transport.addEventListener("session", (e) => onSession(e.detail));
  transport.addEventListener("message", (e) => onBotMessage(e.detail));
  transport.addEventListener("echo", (e) => onEcho(e.detail));
  transport.addEventListener("typing", (e) => setTyping(e.detail.typing));
  transport.addEventListener("stream", (e) => onStream(e.detail));
  transport.addEventListener("alerts", (e) => setUnread(e.detail.unread));
  transport.addEventListener("refused", (e) => {
    setTyping(false);
    if (e.detail.signedOut) sessionEnded();
    else notice(e.detail.message || "The assistant could not take that message.");
  });
  transport.connect();
  refreshAlerts();
  alertsTimer = setInterval(refreshAlerts, ALERTS_POLL_MS);
  if (!embedded || document.hasFocus()) ui.input.focus();
}

async function onStatus({ state }) {
  if (state === "online") {
    connection("");
  } else if (state === "connecting") {
    connection("Connecting…");
  } else if (state === "offline") {
    connection("Reconnecting… Messages you send now go out when the connection is back.");
  } else if (state === "refused") {
    // the server turned the connection down: a dead token, or a passing problem
    try {
      await api.me(session.token);
      connection("The assistant is not answering. Retrying…");
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => transport?.retry(), 5000);
    } catch (error) {
      if (error instanceof AuthError) sessionEnded();
      else connection("The assistant cannot be reached. Retrying…");
      if (!(error instanceof AuthError)) retryTimer = setTimeout(() => transport?.retry(), 5000);
    }
  }
}

async function onSession({ sessionId, first }) {
  conversations.save(session.user, sessionId);
  if (!first) return;
  try {
    const data = await api.history(session.token, sessionId);
    showHistory(data?.messages || []);
  } catch (error) {
    if (error instanceof AuthError) return sessionEnded();
    notice("The earlier conversation could not be loaded.");
    showWelcome();
  }
}

function showHistory(messages) {
  const nodes = [];
  for (const message of messages) {
    transport.markSeen(message.id, message.seq);
    const node = renderMessage(
      { ...message, sender: message.sender === "user" ? "user" : "bot" },
      { onButton, onFeedback },
    );
    if (node) nodes.push(node);
  }
  // buttons answered by a later message cannot be used again; the one clicked is marked
  let answered = false;
  let reply = null; // the user message right after, which may be a click
  for (let i = nodes.length - 1; i >= 0; i -= 1) {
    if (nodes[i].classList.contains("msg-user")) {
      answered = true;
      reply = nodes[i].querySelector(".msg-text")?.textContent ?? "";
    } else if (answered && nodes[i].querySelector(".reply-button")) {
      const buttons = [...nodes[i].querySelectorAll(".reply-button")];
      retireButtons(nodes[i], buttons.find((b) => b.textContent === reply) || null);
      reply = null;
    }
  }
  ui.history.replaceChildren(...nodes);
  if (!nodes.length && !ui.live.childElementCount) showWelcome();
  scrollToEnd(true, "instant");
}

function showWelcome() {
  const roles = session?.roles || [];
  const fromRole = roles.map((r) => r.split("_")[0]).find((r) => SUGGESTIONS[r]);
  const key = SUGGESTIONS[page.module] ? page.module : fromRole || "general";
  const first = (session?.full_name || session?.user || "").split(" ")[0];
  const chips = el("div", { class: "suggestions", role: "group", "aria-label": "Suggested questions" });
  for (const text of [...new Set([...SUGGESTIONS[key], ...SUGGESTIONS.general])].slice(0, 4)) {
    const chip = el("button", { type: "button", class: "suggestion" }, text);
    chip.addEventListener("click", () => sendText(text));
    chips.append(chip);
  }
  ui.welcome.replaceChildren(
    el("div", { class: "welcome-mark", "aria-hidden": "true" }, icon("chat", 28)),
    el("h2", {}, first ? `Hello, ${first}` : "Hello"),
    el(
      "p",
      { class: "muted" },
      "Ask about balances, customers, orders, stock or company policies. I answer from live ERP data and ask before changing anything.",
    ),
    chips,
  );
  ui.welcome.hidden = false;
}

function nearEnd() {
  const log = ui.log;
  return log.scrollHeight - log.scrollTop - log.clientHeight < 120;
}

function scrollToEnd(force = false, behavior = "smooth") {
  if (force || nearEnd()) {
    requestAnimationFrame(() => ui.log.scrollTo({ top: ui.log.scrollHeight, behavior }));
  }
}

function appendLive(node, force = false) {
  const stick = force || nearEnd();
  ui.welcome.hidden = true;
  if (typingNode?.isConnected) ui.live.insertBefore(node, typingNode);
  else ui.live.append(node);
  scrollToEnd(stick);
}

function onBotMessage(message) {
  const node = renderMessage(message, { onButton, onFeedback });
  for (const pending of ui.live.querySelectorAll(".msg-user .pending-mark")) pending.remove();
  if (message.streamId && drafts.has(message.streamId)) {
    const draft = drafts.get(message.streamId);
    drafts.delete(message.streamId);
    if (node) draft.node.replaceWith(node);
    else draft.node.remove();
    return;
  }
  if (node) appendLive(node);
}

function onEcho(echo) {
  const mine = echo.clientId && ui.live.querySelector(`.msg-user[data-client-id="${CSS.escape(echo.clientId)}"]`);
  if (mine) {
    if (echo.id) mine.dataset.id = echo.id;
    mine.querySelector(".pending-mark")?.remove();
    return;
  }
  // sent from another tab of this user
  const node = renderMessage({ ...echo, sender: "user" });
  if (node) appendLive(node);
}

function onStream({ streamId, text }) {
  let draft = drafts.get(streamId);
  if (!draft) {
    draft = renderDraft(streamId);
    drafts.set(streamId, draft);
    appendLive(draft.node);
  }
  draft.append(text);
  scrollToEnd();
}

function setTyping(typing) {
  clearTimeout(typingTimer);
  if (typing) {
    if (!typingNode) typingNode = renderTyping();
    if (!typingNode.isConnected) {
      const stick = nearEnd();
      ui.live.append(typingNode);
      scrollToEnd(stick);
    }
    typingTimer = setTimeout(() => setTyping(false), TYPING_TIMEOUT_MS);
  } else {
    typingNode?.remove();
  }
}

/** Send text (typed, or a suggestion) or a button's payload shown as its title. */
function sendText(text, display = text, { voice = false } = {}) {
  const message = text.trim();
  if (!message || !transport) return false;
  const clientId = transport.send(message, { ...page });
  const node = renderMessage({
    sender: "user",
    text: display,
    clientId,
    pending: true,
    voice,
    timestamp: Date.now() / 1000,
  });
  appendLive(node, true);
  setTyping(true);
  return true;
}

function onButton(_message, choice) {
  return sendText(choice.payload || choice.title, choice.title || choice.payload);
}

async function onFeedback(message, rating) {
  try {
    await api.feedback(session.token, transport.sessionId, message.id, rating);
    return true;
  } catch (error) {
    if (error instanceof AuthError) sessionEnded();
    else notice("Your rating could not be saved. Try again.");
    return false;
  }
}

// ---------------------------------------------------------------- alerts

function setUnread(count) {
  const unread = Math.max(0, Number(count) || 0);
  ui.alertsBadge.hidden = unread === 0;
  ui.alertsBadge.textContent = unread > 99 ? "99+" : String(unread);
  ui.alertsButton.setAttribute(
    "aria-label",
    unread ? `Alerts: ${unread} unread. Show my alerts` : "Alerts: none unread. Show my alerts",
  );
  ui.alertsButton.dataset.unread = String(unread);
  postToHost({ type: "erp-chat:unread", unread });
}

async function refreshAlerts() {
  if (!session) return;
  try {
    const data = await api.alerts(session.token);
    setUnread(data?.unread ?? 0);
  } catch (error) {
    if (error instanceof AuthError) sessionEnded();
  }
}

// ---------------------------------------------------------------- voice

function micState(state) {
  const labels = {
    idle: "Speak your question",
    recording: "Stop recording and send",
    busy: "Working on your recording…",
  };
  ui.mic.dataset.state = state;
  ui.mic.setAttribute("aria-label", labels[state]);
  ui.mic.setAttribute("aria-pressed", state === "recording" ? "true" : "false");
  ui.mic.disabled = state === "busy";
  ui.mic.replaceChildren(icon(state === "recording" ? "stop" : "mic"));
}

async function onMic() {
  if (recorder.recording) {
    micState("busy");
    const audio = await recorder.stop();
    if (!audio) {
      micState("idle");
      notice("Nothing was recorded.");
      return;
    }
    await sendVoice(audio);
    micState("idle");
    return;
  }
  try {
    await recorder.start();
    micState("recording");
    notice("Listening… press the microphone again to send.", 0);
  } catch (error) {
    micState("idle");
    notice(error instanceof VoiceError ? error.message : "The microphone could not be started.");
  }
}

async function sendVoice(audio) {
  notice("");
  setTyping(true);
  try {
    const reply = await api.voice(session.token, transport.sessionId, audio);
    setTyping(false);
    if (reply?.transcript) {
      appendLive(renderMessage({ sender: "user", text: reply.transcript, voice: true, timestamp: Date.now() / 1000 }), true);
    } else {
      notice("I could not make out any words. Try again, a little closer to the microphone.");
    }
    for (const message of reply?.messages || []) {
      const node = renderMessage(
        {
          id: message.id,
          sender: "bot",
          text: message.text,
          buttons: message.buttons || message.quick_replies || [],
          custom: message.custom,
          timestamp: Date.now() / 1000,
        },
        { onButton, onFeedback: message.id ? onFeedback : null },
      );
      if (node) appendLive(node);
    }
    if (reply?.audio && !(await playReply(reply.audio))) {
      notice("The spoken reply could not be played; the text is above.");
    }
  } catch (error) {
    setTyping(false);
    if (error instanceof AuthError) return sessionEnded();
    notice(error.message || "The recording could not be sent.");
  }
}

// ---------------------------------------------------------------- composer and host

function autosize() {
  ui.input.style.height = "auto";
  ui.input.style.height = `${Math.min(ui.input.scrollHeight, 160)}px`;
}

function onSubmit(event) {
  event.preventDefault();
  const text = ui.input.value;
  if (!text.trim()) return;
  if (sendText(text)) {
    ui.input.value = "";
    autosize();
  }
}

function onKey(event) {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    ui.composer.requestSubmit();
  }
}

function onHostMessage(event) {
  if (event.source !== window.parent || !event.data || typeof event.data !== "object") return;
  if (event.data.type === "erp-chat:context") {
    if (typeof event.data.module === "string" || event.data.module === null) page.module = event.data.module || null;
    if (typeof event.data.path === "string") page.path = event.data.path;
    showModule();
  } else if (event.data.type === "erp-chat:focus") {
    (session ? ui.input : ui.username).focus();
  }
}

async function boot() {
  Object.assign(ui, {
    app: $("app"),
    signin: $("signin"),
    signinForm: $("signin-form"),
    signinError: $("signin-error"),
    signinButton: $("signin-button"),
    username: $("username"),
    password: $("password"),
    chat: $("chat"),
    who: $("who"),
    moduleChip: $("module-chip"),
    alertsButton: $("alerts-button"),
    alertsBadge: $("alerts-badge"),
    signOut: $("signout-button"),
    close: $("close-button"),
    connection: $("connection"),
    log: $("log"),
    history: $("history"),
    welcome: $("welcome"),
    live: $("live"),
    notice: $("notice"),
    composer: $("composer"),
    input: $("input"),
    mic: $("mic-button"),
  });
  fillIcons();
  if (window.matchMedia("(max-width: 480px)").matches) ui.input.placeholder = "Ask a question…";
  else if (embedded || window.matchMedia("(max-width: 600px)").matches) {
    ui.input.placeholder = "Ask about cash, orders, stock…";
  }
  document.documentElement.classList.toggle("embedded", embedded);
  ui.close.hidden = !embedded;
  ui.signinForm.addEventListener("submit", onSignIn);
  ui.composer.addEventListener("submit", onSubmit);
  ui.input.addEventListener("keydown", onKey);
  ui.input.addEventListener("input", autosize);
  ui.signOut.addEventListener("click", () => signOut());
  ui.alertsButton.addEventListener("click", () => sendText("any alerts?", "Any alerts?"));
  ui.close.addEventListener("click", () => postToHost({ type: "erp-chat:close" }));
  ui.mic.addEventListener("click", onMic);
  if (voiceSupport()) ui.mic.classList.add("unsupported");
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && embedded) postToHost({ type: "erp-chat:close" });
  });
  window.addEventListener("message", onHostMessage);
  postToHost({ type: "erp-chat:ready" });

  const saved = auth.load();
  if (!saved) return showSignIn();
  try {
    const me = await api.me(saved.token);
    startChat({ ...saved, ...me, token: saved.token });
  } catch (error) {
    if (error instanceof AuthError) {
      auth.clear();
      showSignIn("Your session has ended. Please sign in again.");
    } else {
      startChat(saved); // offline for now: the socket keeps trying
    }
  }
}

boot();
