/*
 * The ERP assistant on any page of a host application, with one script tag:
 *
 *   <script src="http://HOST:5005/chat/static/embed.js" data-module="sales"></script>
 *
 * adds a floating button that opens a side panel holding the chat
 * (/chat?embedded=1 in an iframe, so the host's styles and the chat's never mix).
 * The host tells the assistant which module the user is on with `data-module`
 * (changes to the attribute are followed) or `window.ERPChat.setModule("sales")`.
 * The unread-alerts count is shown on the button.
 */
(() => {
  if (window.ERPChat) return; // included twice
  const script = document.currentScript;
  if (!script || !script.src) return;
  const origin = new URL(script.src, window.location.href).origin;
  const context = { module: script.dataset.module || null, path: window.location.pathname };
  const position = script.dataset.position === "left" ? "left" : "right";

  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = `${origin}/chat/static/embed.css`;
  document.head.append(link);

  const root = document.createElement("div");
  root.className = `erpchat-root erpchat-${position}`;

  const button = document.createElement("button");
  button.type = "button";
  button.className = "erpchat-launcher";
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", "erpchat-panel");
  button.setAttribute("aria-label", "Open the ERP assistant");
  button.innerHTML =
    '<svg class="erpchat-icon-open" width="26" height="26" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false"><path d="M4 5h16v11H9l-5 4V5Z"/><path d="M8 9.5h8M8 12.5h5"/></svg>' +
    '<svg class="erpchat-icon-close" width="24" height="24" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" aria-hidden="true" focusable="false"><path d="M6 6l12 12M18 6 6 18"/></svg>';
  const badge = document.createElement("span");
  badge.className = "erpchat-badge";
  badge.hidden = true;
  badge.setAttribute("aria-hidden", "true");
  button.append(badge);

  const panel = document.createElement("div");
  panel.id = "erpchat-panel";
  panel.className = "erpchat-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", "ERP assistant");
  panel.hidden = true;

  const frame = document.createElement("iframe");
  frame.className = "erpchat-frame";
  frame.title = "ERP assistant chat";
  frame.allow = "microphone; autoplay";
  const query = new URLSearchParams({ embedded: "1", path: context.path });
  if (context.module) query.set("module", context.module);
  frame.src = `${origin}/chat?${query}`;
  panel.append(frame);

  root.append(panel, button);
  let unread = 0;

  function send(message) {
    frame.contentWindow?.postMessage(message, origin);
  }

  function sendContext() {
    send({ type: "erp-chat:context", module: context.module, path: context.path });
  }

  function label() {
    const open = !panel.hidden;
    const alerts = unread ? `, ${unread} unread alert${unread === 1 ? "" : "s"}` : "";
    button.setAttribute("aria-label", `${open ? "Close" : "Open"} the ERP assistant${alerts}`);
  }

  function open() {
    if (!panel.hidden) return;
    panel.hidden = false;
    root.classList.add("erpchat-open");
    button.setAttribute("aria-expanded", "true");
    label();
    frame.focus();
    send({ type: "erp-chat:focus" });
  }

  function close() {
    if (panel.hidden) return;
    const hadFocus = panel.contains(document.activeElement);
    panel.hidden = true;
    root.classList.remove("erpchat-open");
    button.setAttribute("aria-expanded", "false");
    label();
    if (hadFocus || document.activeElement === document.body) button.focus();
  }

  function setContext(next = {}) {
    if ("module" in next) context.module = next.module || null;
    if (typeof next.path === "string") context.path = next.path;
    sendContext();
  }

  button.addEventListener("click", () => (panel.hidden ? open() : close()));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) close();
  });
  window.addEventListener("message", (event) => {
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    const data = event.data || {};
    if (data.type === "erp-chat:ready") sendContext();
    else if (data.type === "erp-chat:close") close();
    else if (data.type === "erp-chat:unread") {
      unread = Math.max(0, Number(data.unread) || 0);
      badge.hidden = unread === 0;
      badge.textContent = unread > 99 ? "99+" : String(unread);
      label();
    }
  });
  // single-page hosts: follow the path, and the data-module attribute if it changes
  const followPath = () => setContext({ path: window.location.pathname });
  window.addEventListener("popstate", followPath);
  window.addEventListener("hashchange", followPath);
  new MutationObserver(() => setContext({ module: script.dataset.module || null })).observe(script, {
    attributes: true,
    attributeFilter: ["data-module"],
  });

  window.ERPChat = {
    open,
    close,
    toggle: () => (panel.hidden ? open() : close()),
    setModule: (module) => setContext({ module }),
    setContext,
    get unread() {
      return unread;
    },
  };

  const mount = () => document.body.append(root);
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
