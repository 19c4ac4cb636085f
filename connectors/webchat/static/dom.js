// Element helpers. Text from the server always goes in as text nodes, never as HTML.

const SVG_NS = "http://www.w3.org/2000/svg";

function build(node, attributes, children) {
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
      continue;
    }
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** el("button", {type: "button", class: "x", onclick: fn}, "text", otherNode) */
export function el(tag, attributes = {}, ...children) {
  return build(document.createElement(tag), attributes, children);
}

export function svg(tag, attributes = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attributes, children);
}

/** Small inline icons (stroke icons drawn here: nothing is fetched). */
const ICONS = {
  send: "M4 12 20 4l-4 16-4-7-8-1Z M12 13l8-9",
  mic: "M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3Z M5 11a7 7 0 0 0 14 0 M12 18v3",
  stop: "M7 7h10v10H7Z",
  bell: "M6 16V11a6 6 0 0 1 12 0v5l2 2H4l2-2Z M10 20a2 2 0 0 0 4 0",
  up: "M7 11v9H4v-9h3Z M7 11l4-8c1.5 0 2.5 1 2.5 2.5V9h5a2 2 0 0 1 2 2.3l-1.2 7A2 2 0 0 1 17.3 20H7",
  down: "M7 13V4H4v9h3Z M7 13l4 8c1.5 0 2.5-1 2.5-2.5V15h5a2 2 0 0 0 2-2.3l-1.2-7A2 2 0 0 0 17.3 4H7",
  close: "M6 6l12 12 M18 6 6 18",
  chat: "M4 5h16v11H9l-5 4V5Z",
  out: "M15 4h4v16h-4 M10 8l-4 4 4 4 M6 12h10",
  play: "M8 5v14l11-7-11-7Z",
  // the training studio's
  inbox: "M4 13h4l2 3h4l2-3h4 M4 13l2-8h12l2 8v6H4v-6Z",
  nlu: "M4 6h16 M4 12h10 M4 18h7 M17 15l2 2 3-4",
  train: "M12 3v4 M12 17v4 M4.9 4.9l2.8 2.8 M16.3 16.3l2.8 2.8 M3 12h4 M17 12h4 M4.9 19.1l2.8-2.8 M16.3 7.7l2.8-2.8",
  chart: "M4 20V10 M10 20V4 M16 20v-7 M22 20H2",
  thumbs: "M7 11v9H4v-9h3Z M7 11l4-8c1.5 0 2.5 1 2.5 2.5V9h5a2 2 0 0 1 2 2.3l-1.2 7A2 2 0 0 1 17.3 20H7",
  flag: "M5 21V4 M5 4h11l-2 4 2 4H5",
  check: "M5 12l5 5 9-10",
  back: "M15 6l-6 6 6 6",
  studio: "M4 18l5-5 3 3 8-8 M14 8h6v6",
  link: "M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1 M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1",
};

export function icon(name, size = 20) {
  return svg(
    "svg",
    {
      class: `icon icon-${name}`,
      width: size,
      height: size,
      viewBox: "0 0 24 24",
      fill: "none",
      stroke: "currentColor",
      "stroke-width": "1.8",
      "stroke-linecap": "round",
      "stroke-linejoin": "round",
      "aria-hidden": "true",
      focusable: "false",
    },
    svg("path", { d: ICONS[name] || "" }),
  );
}

/** Replaces a container's content. */
export function mount(container, ...children) {
  container.replaceChildren();
  build(container, {}, children);
  return container;
}

/** An RFC 4122 v4 id; crypto.randomUUID exists only on secure origins, this everywhere. */
export function uuid() {
  if (globalThis.crypto?.randomUUID) {
    try {
      return crypto.randomUUID();
    } catch {
      // not a secure context
    }
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
