// The safety plan's text boxes read back as the entries people wrote, commas
// in names and hours included.

import assert from "node:assert/strict";
import { test } from "node:test";
import { agencies, contacts } from "../src/plan_lines";

test("a contact's name may hold a comma; the phone number splits the line", () => {
  assert.deepEqual(contacts("Dr. Lee, Jr., +44 20 7946 0958\nMum, 0151 496 0000\nMy neighbour"), [
    { name: "Dr. Lee, Jr.", phone: "+44 20 7946 0958" },
    { name: "Mum", phone: "0151 496 0000" },
    { name: "My neighbour", phone: "" },
  ]);
});

test("a name with a comma and no number stays whole", () => {
  assert.deepEqual(contacts("Sam, my brother"), [{ name: "Sam, my brother", phone: "" }]);
});

test("an agency's hours may hold commas, and a line without a number is all name", () => {
  assert.deepEqual(agencies("Crisis team, 0800 123 456, Mon–Fri, 9–17\nSamaritans, 116 123, 24/7\nGP practice"), [
    { name: "Crisis team", phone: "0800 123 456", hours: "Mon–Fri, 9–17" },
    { name: "Samaritans", phone: "116 123", hours: "24/7" },
    { name: "GP practice", phone: "", hours: "" },
  ]);
});
