// Sign-in: the therapist pastes the token their administrator gave them.
// It is checked with AccountService.GetCurrentAccount and then kept in this
// tab's sessionStorage only.

import { accounts } from "../api";
import { el, replace } from "../dom";
import { explain } from "../errors";
import { type Account, Role } from "../gen/stepwise/v1/account_pb";
import { forgetToken, keepToken } from "../session";
import type { View } from "./common";

/** The sign-in form; `signedIn` runs with the therapist's account. */
export function signInView(notice: string | undefined, signedIn: (account: Account) => void): View {
  const input = el("input", {
    id: "token",
    name: "token",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    "aria-describedby": "token-help",
  });
  const message = el("div", { class: "form-message", role: "alert" });
  if (notice) replace(message, el("p", { class: "notice notice-error" }, notice));
  const button = el("button", { type: "submit", class: "primary" }, "Sign in");

  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    const value = input.value.trim();
    if (!value) {
      replace(message, el("p", { class: "notice notice-error" }, "Paste your therapist token first."));
      input.focus();
      return;
    }
    button.disabled = true;
    replace(message);
    keepToken(value);
    try {
      const account = await accounts.getCurrentAccount({});
      if (account.role !== Role.THERAPIST) {
        forgetToken();
        const role = account.role === Role.ADMIN ? "an administrator" : "a client";
        replace(
          message,
          el(
            "p",
            { class: "notice notice-error" },
            `This token belongs to ${role} account. The dashboard is for therapists: sign in with a therapist's token.`,
          ),
        );
        return;
      }
      input.value = "";
      signedIn(account);
    } catch (error) {
      forgetToken();
      const problem = explain(error);
      const text =
        problem.kind === "signed-out"
          ? "The server does not know this token. Check that you pasted all of it, or ask your administrator for a new one."
          : problem.message;
      replace(message, el("p", { class: "notice notice-error" }, text));
    } finally {
      button.disabled = false;
    }
  }

  const form = el(
    "form",
    { class: "signin", method: "post", novalidate: true, on: { submit: (e) => void submit(e) } },
    el("label", { for: "token" }, "Therapist token"),
    input,
    el(
      "p",
      { id: "token-help", class: "help" },
      "The token your administrator gave you. It is kept in this browser tab only and forgotten when you close it.",
    ),
    message,
    button,
  );
  const node = el(
    "section",
    { class: "signin-page", "aria-labelledby": "signin-title" },
    el("h1", { id: "signin-title" }, "Sign in to the Stepwise dashboard"),
    el(
      "p",
      null,
      "Follow your clients' goals, check-ins and confidence as they practise between sessions.",
    ),
    form,
  );
  return { node, dispose() {} };
}
