// Reading the safety plan's text boxes: one entry per line, written as
// "name, phone" or "name, phone, hours". Names and hours may hold commas
// ("Dr. Lee, Jr."; "Mon–Fri, 9–17"); a phone number never does, so the first
// part after the name that is shaped like a phone number splits a line, and a
// line without one is all name.

/** Digits with the separators people write in phone numbers. */
const PHONE = /^\+?[\d\s().\/-]*\d[\d\s().\/-]*$/;

/** The non-empty lines of a text box, trimmed. */
export function lines(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

/** A line's parts before its phone number, the number, and the parts after. */
function split(line: string): { name: string; phone: string; after: string } {
  const parts = line.split(",");
  const at = parts.findIndex((part, index) => index > 0 && PHONE.test(part.trim()));
  if (at < 0) {
    return { name: line.trim(), phone: "", after: "" };
  }
  return {
    name: parts.slice(0, at).join(",").trim(),
    phone: (parts[at] ?? "").trim(),
    after: parts.slice(at + 1).join(",").trim(),
  };
}

/** "Name, phone" lines as contacts (the phone is optional). */
export function contacts(text: string): { name: string; phone: string }[] {
  return lines(text).map((line) => {
    const { name, phone, after } = split(line);
    // Nothing written is dropped: what follows the number stays with it.
    return { name, phone: after ? `${phone}, ${after}` : phone };
  });
}

/** "Name, phone, hours" lines as agencies (phone and hours optional). */
export function agencies(text: string): { name: string; phone: string; hours: string }[] {
  return lines(text).map((line) => {
    const { name, phone, after } = split(line);
    return { name, phone, hours: after };
  });
}
