// The stock rasa-webchat widget against our Socket.IO channel. rasa-webchat creates
// its socket with only a `path` option, so the token travels in the socket URL's
// query string (`?token=…`), which socket.io-client sends with the Engine.IO
// handshake; customData goes with every user_uttered, as rasa-webchat always does.

function token() {
  const fromHash = new URLSearchParams(window.location.hash.slice(1)).get("token");
  if (fromHash) return fromHash;
  try {
    return JSON.parse(sessionStorage.getItem("erp-chat:auth") || "null")?.token || null;
  } catch {
    return null;
  }
}

const status = document.getElementById("status");
const bearer = token();
if (!bearer) {
  status.textContent = "No token: open this page with #token=<token>, or sign in at /chat in this tab first.";
} else if (!window.WebChat) {
  status.textContent = "rasa-webchat did not load (is `npm ci` done?).";
} else {
  window.WebChat.default(
    {
      socketUrl: `${window.location.origin}/?token=${encodeURIComponent(bearer)}`,
      socketPath: "/socket.io/",
      customData: { page: { module: "finance", path: window.location.pathname } },
      title: "ERP Assistant",
      subtitle: "via rasa-webchat",
      inputTextFieldHint: "Type a message…",
      embedded: true,
      showFullScreenButton: false,
      params: { storage: "session" },
    },
    document.getElementById("webchat"),
  );
}
