// @ts-check
// A typed client of the Luma proxy API: openapi-fetch calls, with types that openapi-typescript generated from
// lumamock's openapi.yaml into schema.d.ts. Plain JavaScript; the types are checked by `npm run typecheck`.
import createClient from "openapi-fetch";

/** @typedef {import("./schema").paths} paths */
/** @typedef {import("./schema").components["schemas"]} schemas */
/** @typedef {import("openapi-fetch").Client<paths>} LumaClient */

/**
 * A client of the API at baseUrl that sends key as its bearer token.
 * @param {string} baseUrl e.g. http://127.0.0.1:8080
 * @param {string} key the API key (none sent when empty)
 * @param {Record<string, string>} [headers] more headers for every request, e.g. {Prefer: "schema=luma"}
 * @returns {LumaClient}
 */
export function lumaClient(baseUrl, key, headers = {}) {
  const auth = key ? { Authorization: `Bearer ${key}` } : {};
  return createClient({ baseUrl, headers: { ...auth, ...headers } });
}

/**
 * @typedef {object} Task A task, in whichever of the two shapes it came.
 * @property {string} id data.task_id of an envelope, id of a generation
 * @property {schemas["TaskState"]} state data.task_status of an envelope, state of a generation
 * @property {schemas["TaskEnvelope"]} [envelope] set when the answer was the envelope
 * @property {schemas["Generation"]} [generation] set when it was the raw Luma generation object
 */

/**
 * Reads a TaskResponse. The document's oneOf has no discriminator; the envelope is the shape with a `data`
 * member, and `"data" in body` narrows the union for TypeScript too.
 * @param {schemas["TaskResponse"]} body
 * @returns {Task}
 */
export function readTask(body) {
  if ("data" in body) {
    return { id: body.data.task_id, state: body.data.task_status, envelope: body };
  }
  return { id: body.id, state: body.state, generation: body };
}

/**
 * @typedef {object} ApiError An error answer, in whichever of the two shapes it came.
 * @property {string} message the envelope's message, or the Luma error's detail (its reason when an object)
 * @property {schemas["Violation"][]} violations for a 400, every way the request broke the document
 * @property {schemas["EnvelopeError"]} [envelope]
 * @property {schemas["LumaError"]} [luma]
 */

/**
 * Reads an Error: the Luma-style error is the shape with a `detail` member.
 * @param {schemas["Error"]} body
 * @returns {ApiError}
 */
export function readError(body) {
  if ("detail" in body) {
    const message = typeof body.detail === "string" ? body.detail : body.detail.reason;
    return { message, violations: body.errors ?? [], luma: body };
  }
  return { message: body.message, violations: body.errors ?? [], envelope: body };
}

/**
 * Polls task id until it reaches a final state (completed or failed) and returns every state seen.
 * @param {LumaClient} client
 * @param {string} id
 * @param {{ intervalMs?: number, deadlineMs?: number }} [opts]
 * @returns {Promise<{ task: Task, seen: schemas["TaskState"][] }>}
 */
export async function pollUntilDone(client, id, { intervalMs = 50, deadlineMs = 10_000 } = {}) {
  const end = Date.now() + deadlineMs;
  /** @type {schemas["TaskState"][]} */
  const seen = [];
  for (;;) {
    const { data, error, response } = await client.GET("/luma/generations/{task_id}", {
      params: { path: { task_id: id } },
    });
    if (!data) {
      throw new Error(`GET ${id}: ${response.status} ${error ? readError(error).message : ""}`);
    }
    const task = readTask(data);
    if (seen.at(-1) !== task.state) seen.push(task.state);
    if (task.state === "completed" || task.state === "failed") return { task, seen };
    if (Date.now() > end) throw new Error(`task ${id} still ${task.state} after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
