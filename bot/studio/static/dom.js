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

/** Small inline stroke icons, drawn here: nothing is fetched. */
const ICONS = {
  inbox: "M4 13h4l2 3h4l2-3h4 M4 13l2-8h12l2 8v6H4v-6Z",
  chat: "M4 5h16v11H9l-5 4V5Z",
  nlu: "M4 6h16 M4 12h10 M4 18h7 M17 15l2 2 3-4",
  train: "M12 3v4 M12 17v4 M4.9 4.9l2.8 2.8 M16.3 16.3l2.8 2.8 M3 12h4 M17 12h4 M4.9 19.1l2.8-2.8 M16.3 7.7l2.8-2.8",
  chart: "M4 20V10 M10 20V4 M16 20v-7 M22 20H2",
  play: "M8 5v14l11-7-11-7Z",
  thumbs: "M7 11v9H4v-9h3Z M7 11l4-8c1.5 0 2.5 1 2.5 2.5V9h5a2 2 0 0 1 2 2.3l-1.2 7A2 2 0 0 1 17.3 20H7",
  down: "M7 13V4H4v9h3Z M7 13l4 8c1.5 0 2.5-1 2.5-2.5V15h5a2 2 0 0 0 2-2.3l-1.2-7A2 2 0 0 0 17.3 4H7",
  up: "M7 11v9H4v-9h3Z M7 11l4-8c1.5 0 2.5 1 2.5 2.5V9h5a2 2 0 0 1 2 2.3l-1.2 7A2 2 0 0 1 17.3 20H7",
  flag: "M5 21V4 M5 4h11l-2 4 2 4H5",
  close: "M6 6l12 12 M18 6 6 18",
  out: "M15 4h4v16h-4 M10 8l-4 4 4 4 M6 12h10",
  check: "M5 12l5 5 9-10",
  back: "M15 6l-6 6 6 6",
  studio: "M4 18l5-5 3 3 8-8 M14 8h6v6",
};

export function icon(name, size = 18) {
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
