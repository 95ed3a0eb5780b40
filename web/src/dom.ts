// Building the page. Everything the dashboard shows goes through `el`, which
// only ever creates elements and text nodes: strings become text, never
// markup, so what a client wrote (a goal titled `<img onerror=...>`) is shown
// as typed. There is no innerHTML anywhere, and the server's Content Security
// Policy (require-trusted-types-for 'script') makes the browser refuse it.

/** A child of an element: text, a node, or nothing. Arrays are flattened. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

/** Attributes and event listeners of an element. */
export interface Attrs {
  /** Event listeners, by event name ("click", "submit", ...). */
  on?: { [event: string]: (event: Event) => void };
  /** Any other attribute; `false`, `null` and `undefined` leave it out. */
  [name: string]: string | number | boolean | null | undefined | Attrs["on"];
}

// Attributes that could run code or load things: set only through `on`, or
// not at all.
const FORBIDDEN = /^(on|style$|srcdoc$|formaction$)/i;

/** An element with attributes and children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (name === "on") {
      for (const [event, listener] of Object.entries(value as NonNullable<Attrs["on"]>)) {
        node.addEventListener(event, listener);
      }
      continue;
    }
    if (value === false || value === null || value === undefined) continue;
    setAttribute(node, name, value === true ? "" : String(value));
  }
  append(node, ...children);
  return node;
}

/** Sets an attribute, refusing the ones that could run code. */
export function setAttribute(node: Element, name: string, value: string): void {
  if (FORBIDDEN.test(name)) {
    throw new Error(`refusing to set the attribute ${name}`);
  }
  if (name === "href" && !value.startsWith("#")) {
    // Links go only to views of this page; no data ever becomes a URL.
    throw new Error("links must point inside the dashboard (#/...)");
  }
  node.setAttribute(name, value);
}

/** Appends children (text as text nodes). */
export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) {
      append(parent, ...(child as Child[]));
    } else if (child instanceof Node) {
      parent.appendChild(child);
    } else {
      parent.appendChild(document.createTextNode(String(child)));
    }
  }
}

/** Replaces all children of `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** Text for screen readers only (a visual equivalent is on screen). */
export function srOnly(text: string): HTMLSpanElement {
  return el("span", { class: "visually-hidden" }, text);
}

/** Decorative text that screen readers skip. */
export function decorative(text: string): HTMLSpanElement {
  return el("span", { "aria-hidden": "true" }, text);
}
