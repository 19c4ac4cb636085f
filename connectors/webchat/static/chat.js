// The Socket.IO conversation: sign-in token as `auth`, session_request/confirm,
// messages numbered by the server (`seq`) so that a reconnect asks for what was
// missed, ids to drop anything seen twice, and an outbox so a message typed
// while offline is sent (once: it carries a client_id) when the link is back.
//
// Events (ChatTransport is an EventTarget; each CustomEvent's detail):
//   status   {state: "connecting"|"online"|"offline"|"refused"}
//   session  {sessionId, first}       first: the first confirm of this page load
//   message  {id, seq, text, buttons, custom, streamId}   a bot message
//   echo     {id, seq, text, clientId}                    a user message the server recorded
//   typing   {typing}
//   stream   {streamId, text}
//   alerts   {unread}
//   refused  {message, signedOut}     the server turned a message down

import { io } from "/chat/vendor/socket.io-client/socket.io.esm.min.js";
import { uuid } from "./dom.js";

const CLIENT = "erp-webchat";
const OUTBOX_MS = 5 * 60 * 1000; // older unacknowledged messages are not resent

function buttonsOf(data) {
  const replies = data.quick_replies || data.buttons || [];
  return replies
    .filter((b) => b && (b.title || b.payload))
    .map((b) => ({ title: b.title ?? b.payload, payload: b.payload ?? b.title }));
}

export class ChatTransport extends EventTarget {
  constructor({ token, sessionId = null }) {
    super();
    this.token = token;
    this.sessionId = sessionId;
    this.lastSeq = 0;
    this.seen = new Set();
    this.outbox = new Map(); // client_id → {body, at}, until the server echoes it
    this.confirmed = false;
    this.socket = null;
  }

  emitEvent(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** Remember an id (from history) so that a replay of it is not shown twice. */
  markSeen(id, seq) {
    if (id) this.seen.add(String(id));
    if (Number.isInteger(seq)) this.lastSeq = Math.max(this.lastSeq, seq);
  }

  firstTime(data) {
    if (Number.isInteger(data.seq)) this.lastSeq = Math.max(this.lastSeq, data.seq);
    if (data.id === undefined || data.id === null) return true;
    const id = String(data.id);
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    return true;
  }

  connect() {
    this.emitEvent("status", { state: "connecting" });
    const socket = io(window.location.origin, {
      path: "/socket.io",
      auth: { token: this.token },
      transports: ["websocket", "polling"],
      reconnectionDelayMax: 8000,
    });
    this.socket = socket;
    socket.on("connect", () => this.requestSession());
    socket.on("connect_error", (error) => {
      // refused by the server (bad or dead token) → the client does not retry by itself
      this.emitEvent("status", { state: socket.active ? "offline" : "refused", error });
    });
    socket.on("disconnect", (reason) => {
      this.confirmed = false;
      this.emitEvent("status", { state: socket.active ? "offline" : "refused", reason });
    });
    socket.on("session_confirm", (data) => {
      const sessionId = (data && data.session_id) || data;
      const first = !this.hadSession;
      if (this.sessionId && sessionId !== this.sessionId) {
        this.lastSeq = 0; // a different conversation: its numbers start again
      }
      this.sessionId = sessionId;
      this.hadSession = true;
      this.confirmed = true;
      this.emitEvent("status", { state: "online" });
      this.emitEvent("session", { sessionId, first });
      this.flushOutbox();
    });
    socket.on("bot_uttered", (data) => {
      if (!data || !this.firstTime(data)) return;
      this.emitEvent("message", {
        id: data.id ?? null,
        seq: data.seq ?? null,
        sender: "bot",
        text: data.text || "",
        buttons: buttonsOf(data),
        custom: data.custom || null,
        streamId: data.stream_id || null,
        timestamp: data.timestamp || Date.now() / 1000,
      });
    });
    socket.on("user_echo", (data) => {
      if (!data) return;
      if (data.client_id) this.outbox.delete(data.client_id);
      if (!this.firstTime(data)) return;
      this.emitEvent("echo", {
        id: data.id ?? null,
        seq: data.seq ?? null,
        text: data.text || "",
        clientId: data.client_id || null,
        timestamp: data.timestamp || Date.now() / 1000,
      });
    });
    socket.on("bot_typing", (data) => this.emitEvent("typing", { typing: Boolean(data?.typing) }));
    socket.on("bot_stream", (data) => {
      if (data?.stream_id && data.text) {
        this.emitEvent("stream", { streamId: data.stream_id, text: data.text });
      }
    });
    socket.on("error", (data) => {
      // the server's own refusals (not transport errors): a dead session, a bad message
      this.emitEvent("refused", { message: data?.error || "", signedOut: Boolean(data?.signed_out) });
    });
    socket.on("alerts", (data) => {
      if (Number.isFinite(Number(data?.unread))) this.emitEvent("alerts", { unread: Number(data.unread) });
    });
  }

  requestSession() {
    // `client` tells the server this page reads ids, seq and stream_id (rasa-webchat does not)
    const request = { client: CLIENT };
    if (this.sessionId) request.session_id = this.sessionId;
    if (this.lastSeq > 0) request.last_seq = this.lastSeq;
    this.socket.emit("session_request", request);
  }

  /** Retry after the server refused the connection (e.g. it restarted and lost nothing). */
  retry() {
    if (this.socket && !this.socket.connected) this.socket.connect();
  }

  get online() {
    return Boolean(this.socket?.connected && this.confirmed);
  }

  /** Send a message (the text typed, or a button's payload); returns its client_id. */
  send(message, page) {
    const clientId = uuid();
    const body = { message, session_id: this.sessionId, customData: { page }, client_id: clientId };
    this.outbox.set(clientId, { body, at: Date.now() });
    if (this.online) this.socket.emit("user_uttered", body);
    return clientId;
  }

  /** Resend what the server has not acknowledged; it drops a client_id it has handled. */
  flushOutbox() {
    for (const [clientId, { body, at }] of this.outbox) {
      if (Date.now() - at > OUTBOX_MS) this.outbox.delete(clientId);
      else this.socket.emit("user_uttered", { ...body, session_id: this.sessionId });
    }
  }

  close() {
    this.outbox.clear();
    if (this.socket) {
      this.socket.removeAllListeners();
      this.socket.disconnect();
    }
    this.socket = null;
  }
}
