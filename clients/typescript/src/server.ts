// Starts a real `sachet serve` on a free port with a fresh data folder, for
// one test file, and stops it by its process id.

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** A running server and what a test needs to talk to it. */
export interface RunningServer {
  /** `http://127.0.0.1:PORT`, as the server printed it. */
  baseUrl: string;
  adminPassword: string;
  /** Stops the process (TERM, then KILL after 5 s) and removes its data folder. */
  stop(): Promise<void>;
}

// build/server.js and src/server.ts both sit one level below the package.
const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** `SACHET_BIN`, resolved against this package; `../../target/debug/sachet` by default. */
export function serverBinary(): string {
  return resolve(packageDir, process.env.SACHET_BIN ?? "../../target/debug/sachet");
}

export async function startServer(): Promise<RunningServer> {
  const binary = serverBinary();
  if (!existsSync(binary)) {
    throw new Error(`no server binary at ${binary}: run \`cargo build -p sachet\` or set SACHET_BIN`);
  }

  const dataDir = mkdtempSync(join(tmpdir(), "sachet-ts-client-"));
  const adminPassword = randomBytes(18).toString("base64url");
  const child = spawn(binary, ["serve"], {
    env: {
      ...environmentWithoutSachetSettings(),
      SACHET_DATA_DIR: dataDir,
      SACHET_BIND: "127.0.0.1:0",
      SACHET_INITIAL_ADMIN_PASSWORD: adminPassword,
      SACHET_LOG: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const killOnExit = () => child.kill("SIGKILL");
  process.on("exit", killOnExit);

  const stop = async () => {
    process.off("exit", killOnExit);
    await stopProcess(child);
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const baseUrl = await listeningUrl(child);
    return { baseUrl, adminPassword, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

// Settings from the caller's environment (a database URL, a storage URL, a
// config file) would make this server something other than a fresh one.
function environmentWithoutSachetSettings(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("SACHET_")),
  );
}

function listeningUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolveUrl, reject) => {
    let stdout = "";
    let stderr = "";
    const fail = (reason: string) => {
      clearTimeout(timer);
      reject(new Error(`${reason}\n--- server stdout ---\n${stdout}\n--- server stderr ---\n${stderr}`));
    };
    const timer = setTimeout(() => fail("the server did not print its URL within 30 s"), 30_000);

    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /Sachet listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    child.on("error", (error) => fail(`could not start the server: ${error.message}`));
    child.on("exit", (code, signal) => fail(`the server exited early (code ${code}, signal ${signal})`));
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  const neverStarted = child.pid === undefined;
  if (neverStarted || child.exitCode !== null || child.signalCode !== null) return;

  const exited = new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}
