// Starts the real Stepwise server binary on 127.0.0.1 with a fresh data dir,
// as `stepwise serve` runs for a therapist, and stops it.

import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";

/** A running server. */
export interface Server {
  /** Its base URL, e.g. http://127.0.0.1:41234. */
  url: string;
  /** The first administrator's token (from admin.token). */
  adminToken: string;
  /** Stops it (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

/** How to start the server. */
export interface ServerOptions {
  /** A data dir to reuse (kept on stop); by default a new one, removed on stop. */
  dataDir?: string;
  /** More environment variables for the server (e.g. libfaketime's). */
  env?: Record<string, string>;
  /** The heartbeat of idle streams (`--heartbeat-ms`); by default the server's. */
  heartbeatMs?: number;
}

/**
 * Starts `binary serve` on port 0, with its JSON log written to `logFile`;
 * resolves once it logged the address it listens on.
 */
export async function startServer(binary: string, logFile: string, options: ServerOptions = {}): Promise<Server> {
  const dir = options.dataDir ? undefined : await mkdtemp(path.join(tmpdir(), "stepwise-e2e-"));
  const dataDir = options.dataDir ?? path.join(dir as string, "data");
  const child = spawn(
    binary,
    [
      "serve",
      "--listen",
      "127.0.0.1:0",
      "--data-dir",
      dataDir,
      "--log-format",
      "json",
      ...(options.heartbeatMs === undefined ? [] : ["--heartbeat-ms", String(options.heartbeatMs)]),
    ],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...options.env } },
  );
  const log = createWriteStream(logFile, { flags: "a" });
  child.stderr.pipe(log);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the server did not log its address within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the server exited (${code}) before serving; see ${logFile}`)));
    createInterface({ input: child.stdout }).on("line", (line) => {
      log.write(`${line}\n`);
      const address = servingAddress(line);
      if (address) {
        clearTimeout(timer);
        resolve(`http://${address}`);
      }
    });
  });
  const adminToken = (await readFile(path.join(dataDir, "admin.token"), "utf8").catch(() => "")).trim();
  return {
    url,
    adminToken,
    async stop() {
      await stopChild(child);
      log.end();
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The address of a JSON log line with message "serving", if it is one. */
function servingAddress(line: string): string | undefined {
  try {
    const event = JSON.parse(line) as { fields?: Record<string, unknown> } & Record<string, unknown>;
    const field = (key: string) => event.fields?.[key] ?? event[key];
    return field("message") === "serving" && typeof field("address") === "string"
      ? (field("address") as string)
      : undefined;
  } catch {
    return undefined;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 25_000);
  await exited;
  clearTimeout(timer);
}
