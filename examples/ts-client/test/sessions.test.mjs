// @ts-check
// A parallel suite against one lumamock: every test works in a session of its own, with its own settings and
// clock, and sees only its own tasks and requests, whatever the others do at the same time.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";

import { lumaClient, readTask } from "../client.mjs";
import { mockSession } from "../session.mjs";
import { startLumamock } from "./server.mjs";

const KEY = "test-key";
let baseUrl = "";
/** @type {() => void} */
let stop = () => {};

before(async () => {
  ({ baseUrl, stop } = await startLumamock(["--api-key", KEY, "--seed", "7"]));
}, { timeout: 300_000 });

after(() => stop());

/**
 * A session of its own for one test, frozen so that only the test moves its time, and removed at its end.
 * @param {import("node:test").TestContext} t
 * @param {import("../session.mjs").Settings} settings
 */
async function ownSession(t, settings) {
  const session = mockSession(baseUrl, `ts-${randomUUID()}`);
  await session.settings(settings);
  await session.freeze(true);
  t.after(() => session.remove());
  return session;
}

describe("every test in its own session", { concurrency: true }, () => {
  for (const outcome of /** @type {const} */ (["completed", "failed", "completed", "failed"])) {
    test(`a task that ends ${outcome}, on its own clock`, async (t) => {
      const session = await ownSession(t, { pending: "1s", processing: "2s", outcome });
      const client = lumaClient(session.apiUrl, KEY); // the code under test only knows its base URL
      const { data } = await client.POST("/luma/generations", { body: { user_prompt: `a fox, ${outcome}` } });
      assert.ok(data);
      const { id } = readTask(data);

      await session.advance("1s");
      const mid = await client.GET("/luma/generations/{task_id}", { params: { path: { task_id: id } } });
      assert.equal(mid.data && readTask(mid.data).state, "processing");
      await session.advance("2s");
      const end = await client.GET("/luma/generations/{task_id}", { params: { path: { task_id: id } } });
      assert.equal(end.data && readTask(end.data).state, outcome);

      // Only its own task and its own three requests, whatever the other tests sent meanwhile.
      assert.deepEqual((await session.tasks()).map((x) => x.id), [id]);
      assert.equal((await session.requests()).length, 3);
    });
  }

  test("a busy provider, in its session alone: one task processes, the next waits", async (t) => {
    const session = await ownSession(t, { pending: "0s", processing: "1m", capacity: 1, rate_limit: "none", fault_api: [] });
    const client = lumaClient(session.apiUrl, KEY);
    for (const prompt of ["first", "second"]) {
      await client.POST("/luma/generations", { body: { user_prompt: prompt } });
    }
    await session.advance("1s");
    assert.deepEqual((await session.tasks()).map((x) => x.state), ["processing", "pending"]);
    await session.advance("1m");
    assert.deepEqual((await session.tasks()).map((x) => x.state), ["completed", "processing"]);
  });

  test("a reset of one session leaves the others alone", async (t) => {
    const mine = await ownSession(t, { pending: "1h" });
    const other = await ownSession(t, { pending: "1h" });
    const a = lumaClient(mine.apiUrl, KEY);
    const b = lumaClient(other.apiUrl, KEY);
    await a.POST("/luma/generations", { body: { user_prompt: "mine" } });
    const { data } = await b.POST("/luma/generations", { body: { user_prompt: "theirs" } });
    assert.ok(data);
    await mine.reset();
    assert.equal((await mine.tasks()).length, 0);
    assert.deepEqual((await other.tasks()).map((x) => x.id), [readTask(data).id]);
    // A task is a 404 from any other session.
    const { response } = await a.GET("/luma/generations/{task_id}", { params: { path: { task_id: readTask(data).id } } });
    assert.equal(response.status, 404);
  });
});
