// Starts a real `sachet serve` on a free port with a fresh data folder and
// stops it by its process id.

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** `SACHET_BIN`, resolved against this package; `../../target/debug/sachet` by default. */
export function serverBinary() {
  return resolve(packageDir, process.env.SACHET_BIN ?? "../../target/debug/sachet");
}

/** @returns {Promise<{ baseUrl: string, adminPassword: string, pid: number, stop: () => Promise<void> }>} */
export async function startServer() {
  const binary = serverBinary();
  if (!existsSync(binary)) {
    throw new Error(`no server binary at ${binary}: run \`cargo build -p sachet\` or set SACHET_BIN`);
  }

  const dataDir = mkdtempSync(join(tmpdir(), "sachet-swagger-ui-"));
  const adminPassword = randomBytes(18).toString("base64url");
  // Settings from the caller's environment (a database URL, a storage URL,
  // a config file) would make this server something other than a fresh one.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("SACHET_")));
  const child = spawn(binary, ["serve"], {
    env: {
      ...env,
      SACHET_DATA_DIR: dataDir,
      SACHET_BIND: "127.0.0.1:0",
      SACHET_INITIAL_ADMIN_PASSWORD: adminPassword,
      SACHET_LOG: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid;
  const killOnExit = () => {
    if (pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(pid, "SIGKILL");
  };
  process.on("exit", killOnExit);

  const stop = async () => {
    process.off("exit", killOnExit);
    if (pid !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolveExit) => child.once("exit", resolveExit));
      process.kill(pid, "SIGTERM");
      const timer = setTimeout(() => process.kill(pid, "SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  try {
    const baseUrl = await listeningUrl(child);
    return { baseUrl, adminPassword, pid, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function listeningUrl(child) {
  return new Promise((resolveUrl, reject) => {
    let stdout = "";
    let stderr = "";
    const fail = (reason) => {
      clearTimeout(timer);
      reject(new Error(`${reason}\n--- server stdout ---\n${stdout}\n--- server stderr ---\n${stderr}`));
    };
    const timer = setTimeout(() => fail("the server did not print its URL within 30 s"), 30_000);
    child.stderr.on("data", (chunk) => {
      stderr += chunk.toString();
    });
    child.stdout.on("data", (chunk) => {
      stdout += chunk.toString();
      const match = /Sachet listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]);
      }
    });
    child.on("error", (error) => fail(`could not start the server: ${error.message}`));
    child.on("exit", (code, signal) => fail(`the server exited early (code ${code}, signal ${signal})`));
  });
}
