// @ts-check
// Runs the lumamock binary (built from this checkout, or $LUMAMOCK_BIN) and drives it with the typed client.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { lumaClient, pollUntilDone, readError, readTask } from "../client.mjs";
import { startLumamock } from "./server.mjs";

const KEY = "test-key";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let baseUrl = "";
/** @type {() => void} */
let stop = () => {};

/** @type {import("../schema").components["schemas"]["GenerationRequest"]} */
const sourceExample = {
  user_prompt: "一阵风吹过树林,使女人的面纱微微飘动。",
  model_name: "ray-v2",
  duration: "5s",
  resolution: "720p",
};

before(async () => {
  ({ baseUrl, stop } = await startLumamock(["--api-key", KEY, "--pending", "200ms", "--processing", "300ms", "--seed", "7"]));
  const health = await fetch(`${baseUrl}/healthz`);
  assert.equal(health.status, 200);
}, { timeout: 300_000 });

after(() => stop());

describe("envelope (the default shape)", () => {
  test("submit, poll to completed", async () => {
    const client = lumaClient(baseUrl, KEY);
    const { data, response } = await client.POST("/luma/generations", { body: sourceExample });
    assert.equal(response.status, 200);
    assert.ok(data);
    const task = readTask(data);
    assert.ok(task.envelope, "an envelope: the answer has a data member");
    assert.equal(task.generation, undefined);
    assert.equal(task.envelope.code, 200);
    assert.equal(task.envelope.message, "success");
    assert.equal(task.state, "pending");
    assert.equal(response.headers.get("X-Request-Id"), task.envelope.request_id);

    const { task: done, seen } = await pollUntilDone(client, task.id);
    assert.deepEqual(seen.at(-1), "completed");
    assert.ok(seen.every((s) => ["pending", "processing", "completed"].includes(s)), `states ${seen}`);
    const d = done.envelope?.data;
    assert.ok(d?.video && d.video_raw && d.thumbnail && d.last_frame, "a completed task carries its result");
    assert.equal(d.video.width, 1280);
    assert.equal(d.video.height, 720);
    assert.ok(d.updated_at >= d.created_at);
  });

  test("a task failed through the admin API", async () => {
    const client = lumaClient(baseUrl, KEY);
    const { data } = await client.POST("/luma/generations", { body: { user_prompt: "wind" } });
    assert.ok(data);
    const { id } = readTask(data);
    const moved = await fetch(`${baseUrl}/__mock/tasks/${encodeURIComponent(id)}/fail`, { method: "POST" });
    assert.equal(moved.status, 200, await moved.text());
    const { task } = await pollUntilDone(client, id);
    assert.equal(task.state, "failed");
    assert.ok(task.envelope?.data.failure_reason);
  });
});

describe("luma shape (Prefer: schema=luma)", () => {
  test("submit, poll to completed", async () => {
    const client = lumaClient(baseUrl, KEY, { Prefer: "schema=luma" });
    const { data, response } = await client.POST("/luma/generations", { body: { user_prompt: "A gust of wind" } });
    assert.equal(response.status, 200);
    assert.ok(data);
    const task = readTask(data);
    assert.ok(task.generation, "a generation: the answer has no data member");
    assert.equal(task.envelope, undefined);
    assert.match(task.id, UUID, "id is format: uuid in the document");
    assert.equal(task.generation.prompt, "A gust of wind");
    assert.equal(task.generation.video, null);
    assert.ok(!Number.isNaN(Date.parse(task.generation.created_at)));

    const { task: done } = await pollUntilDone(client, task.id);
    assert.equal(done.state, "completed");
    assert.equal(done.id, task.id);
    assert.ok(done.generation?.video?.download_url);
    assert.ok(done.generation.thumbnail && done.generation.last_frame);
  });
});

describe("errors", () => {
  test("400, envelope: every violation, by JSON pointer", async () => {
    const client = lumaClient(baseUrl, KEY);
    const { data, error, response } = await client.POST("/luma/generations", { body: { user_prompt: "" } });
    assert.equal(response.status, 400);
    assert.equal(data, undefined);
    assert.ok(error);
    const e = readError(error);
    assert.ok(e.envelope);
    assert.equal(e.envelope.code, 400);
    assert.deepEqual(
      e.violations.map((v) => [v.in, v.field, v.rule]),
      [["body", "/user_prompt", "minLength"]],
    );
  });

  test("400, luma shape: detail", async () => {
    const client = lumaClient(baseUrl, KEY, { Prefer: "schema=luma" });
    // The types forbid this body; a cast sends it anyway, as a buggy caller would.
    const body = /** @type {any} */ ({ user_prompt: "wind", model_name: "ray-v3" });
    const { error, response } = await client.POST("/luma/generations", { body });
    assert.equal(response.status, 400);
    assert.ok(error);
    const e = readError(error);
    assert.ok(e.luma, "a Luma-style error: the answer has a detail member");
    assert.ok(e.message.length > 0);
    assert.deepEqual(e.violations.map((v) => [v.field, v.rule]), [["/model_name", "enum"]]);
  });

  test("401: wrong key, and no key", async () => {
    for (const key of ["wrong-key", ""]) {
      const client = lumaClient(baseUrl, key);
      const { error, response } = await client.POST("/luma/generations", { body: sourceExample });
      assert.equal(response.status, 401, `key ${JSON.stringify(key)}`);
      assert.match(response.headers.get("WWW-Authenticate") ?? "", /^Bearer/);
      assert.ok(error);
      assert.equal(readError(error).envelope?.code, 401);
    }
  });

  test("404: unknown task", async () => {
    const client = lumaClient(baseUrl, KEY);
    const { error, response } = await client.GET("/luma/generations/{task_id}", {
      params: { path: { task_id: "4665a07c-7641-4809-a133-10786201bb56" } },
    });
    assert.equal(response.status, 404);
    assert.ok(error);
    assert.ok(readError(error).message.length > 0);
  });

  test("429 on demand (Prefer: code=429), with Retry-After", async () => {
    const client = lumaClient(baseUrl, KEY, { Prefer: "code=429" });
    const { error, response } = await client.POST("/luma/generations", { body: sourceExample });
    assert.equal(response.status, 429);
    assert.ok(error);
    assert.match(response.headers.get("Retry-After") ?? "", /^\d+$/);
  });
});
