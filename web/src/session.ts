// The therapist's token, kept for this tab only (sessionStorage): it never
// goes into a URL, a cookie, localStorage or a log.

const KEY = "stepwise.token";

/** The token of the signed-in therapist, if any. */
export function token(): string | null {
  return sessionStorage.getItem(KEY);
}

/** Remembers the token for this tab. */
export function keepToken(value: string): void {
  sessionStorage.setItem(KEY, value);
}

/** Forgets the token (sign out, or the server no longer accepts it). */
export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}
