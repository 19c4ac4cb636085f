// The web chat's HTTP calls and where it keeps the sign-in.
//
// The token lives in sessionStorage: it survives a reload and moving between
// pages of the host application in the same tab, and dies with the tab, so a
// shared office computer is not left signed in (and no other site's tab can
// reuse it). Only the conversation id, which is no secret, is kept in
// localStorage, per user, so that a new tab or tomorrow's sign-in resumes the
// same conversation.

const TOKEN_KEY = "erp-chat:auth";

export class AuthError extends Error {}

export class ApiError extends Error {
  constructor(status, message, data = null) {
    super(message);
    this.status = status;
    this.data = data;
  }
}

/** A sign-in kept in sessionStorage under `key` (the web chat's, the studio's). */
export function tokenStore(key) {
  return {
    load() {
      try {
        const saved = JSON.parse(sessionStorage.getItem(key) || "null");
        if (!saved || !saved.token) return null;
        if (saved.expires_at && Date.parse(saved.expires_at) <= Date.now()) {
          this.clear();
          return null;
        }
        return saved;
      } catch {
        return null;
      }
    },
    save(session) {
      sessionStorage.setItem(key, JSON.stringify(session));
    },
    clear() {
      sessionStorage.removeItem(key);
    },
  };
}

export const auth = tokenStore(TOKEN_KEY);

export const conversations = {
  key: (user) => `erp-chat:session:${user}`,
  load(user) {
    return localStorage.getItem(this.key(user)) || null;
  },
  save(user, sessionId) {
    if (sessionId) localStorage.setItem(this.key(user), sessionId);
  },
};

async function request(method, path, { token, body, form, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (form) payload = form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, signal, credentials: "omit" });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new ApiError(0, "The assistant cannot be reached. Check your connection.");
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.status === 401 && token) throw new AuthError(data?.error || "Signed out");
  if (!response.ok) {
    throw new ApiError(response.status, data?.error || `The request failed (${response.status}).`);
  }
  return data;
}

export const api = {
  signIn: (username, password) => request("POST", "/chat/session", { body: { username, password } }),
  signOut: (token) => request("DELETE", "/chat/session", { token }),
  me: (token) => request("GET", "/chat/me", { token }),
  history: (token, sessionId) =>
    request("GET", `/chat/history?session_id=${encodeURIComponent(sessionId)}`, { token }),
  feedback: (token, sessionId, messageId, rating) =>
    request("POST", "/chat/feedback", {
      token,
      body: { session_id: sessionId, message_id: messageId, rating },
    }),
  alerts: (token) => request("GET", "/chat/alerts", { token }),
  voice: (token, sessionId, audio) => {
    const form = new FormData();
    const type = audio.type || "audio/webm";
    const extension = type.includes("ogg") ? "ogg" : type.includes("mp4") ? "m4a" : "webm";
    form.append("audio", audio, `recording.${extension}`);
    form.append("sender", sessionId);
    return request("POST", "/webhooks/voice/webhook", { token, form });
  },
};
