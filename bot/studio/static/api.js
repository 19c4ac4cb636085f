// The studio's HTTP calls (docs/STUDIO.md) and where it keeps the sign-in.
//
// The token lives in sessionStorage, like the web chat's: it survives a reload
// and dies with the tab. Every /studio/api call sends it as a Bearer token.
// A 401 throws AuthError (the app returns to the sign-in form); any other
// failure throws ApiError with the server's {"error"} text and the whole body
// (a 409 carries the fresh diff in it).

import { ApiError, AuthError, tokenStore } from "/chat/static/api.js";

const TOKEN_KEY = "erp-studio:auth";

export { ApiError, AuthError };

export const auth = {
  ...tokenStore(TOKEN_KEY),
  token() {
    return this.load()?.token || null;
  },
};

/** Called with the AuthError on every 401, so the app can show the sign-in form. */
let onSignedOut = () => {};
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

function query(params = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined || value === "") continue;
    search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export async function request(method, path, { body, params, token = auth.token(), signal } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path + query(params), { method, headers, body: payload, signal, credentials: "omit" });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "The studio cannot be reached. Check that the Rasa server is running.");
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.status === 401 && token) {
    const error = new AuthError(data?.error || "Your session has ended. Please sign in again.");
    onSignedOut(error);
    throw error;
  }
  if (!response.ok) {
    throw new ApiError(response.status, data?.error || `The request failed (${response.status}).`, data);
  }
  return data;
}

const enc = encodeURIComponent;
const get = (path, params) => request("GET", path, { params });
const post = (path, body = {}) => request("POST", path, { body });

export const api = {
  // sign-in (the web chat's session endpoints)
  signIn: (username, password) => request("POST", "/chat/session", { body: { username, password }, token: null }),
  signOut: () => request("DELETE", "/chat/session"),

  // conversations
  conversations: (params) => get("/studio/api/conversations", params),
  conversation: (id, offset = 0, limit = 50) => get(`/studio/api/conversations/${enc(id)}`, { offset, limit }),
  mark: (id, marks) => request("PATCH", `/studio/api/conversations/${enc(id)}`, { body: marks }),
  exportStory: (id, kind, untilTurn, name) =>
    get(`/studio/api/conversations/${enc(id)}/story`, { kind, until_turn: untilTurn, name }),

  // stories
  previewStory: (body) => post("/studio/api/stories/preview", body),
  saveStory: (body) => post("/studio/api/stories", body),

  // NLU
  nluInbox: (params) => get("/studio/api/nlu/inbox", params),
  nluIntents: () => get("/studio/api/nlu/intents"),
  previewNlu: (examples) => post("/studio/api/nlu/preview", { examples }),
  saveNlu: (examples, bases, inboxIds) =>
    post("/studio/api/nlu/examples", inboxIds?.length ? { examples, bases, inbox_ids: inboxIds } : { examples, bases }),
  dismissInbox: (id) => request("DELETE", `/studio/api/nlu/inbox/${enc(id)}`),

  // training and models
  validate: () => post("/studio/api/validate"),
  train: () => post("/studio/api/training"),
  job: (id) => get(`/studio/api/jobs/${enc(id)}`),
  jobLog: (id, offset) => get(`/studio/api/jobs/${enc(id)}/log`, { offset }),
  jobs: (kind) => get("/studio/api/jobs", { kind }),
  models: () => get("/studio/api/models"),
  activate: (name) => post(`/studio/api/models/${enc(name)}/activate`),
  rollback: () => post("/studio/api/models/rollback"),

  // evaluation
  evaluate: (model) => post("/studio/api/evaluations", { model }),
  evaluation: (model) => get(`/studio/api/evaluations/${enc(model)}`),

  // interactive learning
  interactiveStart: () => post("/studio/api/interactive"),
  interactiveParse: (sid, text) => post(`/studio/api/interactive/${enc(sid)}/parse`, { text }),
  interactiveMessage: (sid, message) => post(`/studio/api/interactive/${enc(sid)}/message`, message),
  interactiveAct: (sid, action) => post(`/studio/api/interactive/${enc(sid)}/act`, { action }),
  interactiveExport: (sid) => get(`/studio/api/interactive/${enc(sid)}/export`),
  interactiveEnd: (sid) => request("DELETE", `/studio/api/interactive/${enc(sid)}`),

  // feedback
  feedback: (params) => get("/studio/api/feedback", params),

  // operations
  operations: (params) => get("/studio/api/operations", params),
};
