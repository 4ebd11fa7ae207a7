// @ts-check
// Starts the lumamock binary (built from this checkout, or $LUMAMOCK_BIN) on a free loopback port, for a test
// file's suite.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../../..", import.meta.url));

/**
 * Runs `lumamock serve --addr 127.0.0.1:0 ...args` and returns its base URL once it listens, and a function that
 * stops it.
 * @param {string[]} args
 * @returns {Promise<{ baseUrl: string, stop: () => void }>}
 */
export async function startLumamock(args) {
  let bin = process.env.LUMAMOCK_BIN;
  let buildDir = "";
  if (!bin) {
    buildDir = mkdtempSync(join(tmpdir(), "lumamock-ts-"));
    bin = join(buildDir, "lumamock");
    execFileSync("go", ["build", "-o", bin, "./cmd/lumamock"], { cwd: repo, stdio: "inherit" });
  }
  // Port 0: the server picks a free port and prints its address on its first line.
  const proc = spawn(bin, ["serve", "--addr", "127.0.0.1:0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const stop = () => {
    proc.kill();
    if (buildDir) rmSync(buildDir, { recursive: true, force: true });
  };
  // The request log goes to stderr; keep its end for a failure message instead of printing it.
  let log = "";
  proc.stderr?.on("data", (chunk) => {
    log = (log + chunk).slice(-4000);
  });
  try {
    const baseUrl = await new Promise((resolveURL, reject) => {
      const timer = setTimeout(() => reject(new Error("lumamock printed no address in 20 s")), 20_000);
      proc.once("exit", (code) => reject(new Error(`lumamock exited with ${code}:\n${log}`)));
      if (!proc.stdout) return reject(new Error("no stdout"));
      createInterface({ input: proc.stdout }).on("line", (line) => {
        const m = line.match(/serving the Luma API on (http:\/\/\S+)/);
        if (m) {
          clearTimeout(timer);
          resolveURL(m[1]);
        }
      });
    });
    return { baseUrl, stop };
  } catch (e) {
    stop();
    throw e;
  }
}
