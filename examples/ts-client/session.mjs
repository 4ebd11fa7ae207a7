// @ts-check
// A lumamock session for one test: its own tasks, journals, settings and clock on a shared mock, through the
// admin API (GET /__mock/admin.yaml describes it). Give the client under test `apiUrl` as its base URL.

/**
 * @typedef {object} Settings What each new task of the session gets (PUT .../settings); a field left out
 * takes the server's flag.
 * @property {string} [pending] e.g. "2s"
 * @property {string} [processing]
 * @property {"completed" | "failed"} [outcome]
 * @property {"envelope" | "luma"} [schema]
 * @property {number} [duplicate]
 * @property {"none" | "processing" | "completed" | "failed"} [drop]
 * @property {boolean} [reorder]
 * @property {string} [late]
 * @property {string} [delay] e.g. "300ms", "100ms..900ms" or "lognormal(median=200ms,sigma=0.5)"
 * @property {string} [rate_limit] each API key's requests, e.g. "10/s" or "100/m"; "none" for no limit
 * @property {number} [capacity] tasks of each API key processing at once, the others wait; 0 for no limit
 * @property {string[]} [fault_api] shares of broken answers, e.g. ["reset:2%", "503:5%"]
 */

/** @typedef {{ now: string, frozen: boolean }} Clock The session's time. */

/**
 * The session `name` of the lumamock at baseUrl.
 * @param {string} baseUrl e.g. http://127.0.0.1:8080
 * @param {string} name 1 to 64 characters of A-Z a-z 0-9 . _ -
 */
export function mockSession(baseUrl, name) {
  const admin = `${baseUrl}/__mock/sessions/${encodeURIComponent(name)}`;

  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   */
  async function call(method, path, body) {
    const res = await fetch(admin + path, {
      method,
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${admin}${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  return {
    name,
    /** The API in this session: the base URL for the client under test. */
    apiUrl: `${baseUrl}/__session/${encodeURIComponent(name)}`,
    /** @param {Settings} s @returns {Promise<Settings>} */
    settings: (s) => call("PUT", "/settings", s),
    /** Moves this session's time forward, e.g. "5s"; what falls due runs. @param {string} d @returns {Promise<Clock>} */
    advance: (d) => call("POST", "/clock", { advance: d }),
    /** Stops (true) or restarts (false) this session's time. @param {boolean} on @returns {Promise<Clock>} */
    freeze: (on) => call("POST", "/clock", { freeze: on }),
    /** @returns {Promise<Array<{ id: string, state: string }>>} */
    tasks: () => call("GET", "/tasks"),
    /** @returns {Promise<Array<{ method: string, path: string, task_id?: string, valid: boolean }>>} */
    requests: () => call("GET", "/requests"),
    /** @returns {Promise<Array<{ task_id: string, state: string, outcome: string }>>} */
    callbacks: () => call("GET", "/callbacks"),
    reset: () => call("POST", "/reset"),
    remove: () => call("DELETE", ""),
  };
}
