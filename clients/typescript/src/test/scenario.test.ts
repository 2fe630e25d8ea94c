// The client scenario of issue 5, through openapi-fetch and the types that
// openapi-typescript generated from openapi/sachet.json, against a fresh
// server: every call below is type-checked against the committed document.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { isDeepStrictEqual } from "node:util";
import createClient, { type Client } from "openapi-fetch";
import type { components, operations, paths } from "../schema.js";
import { startServer, type RunningServer } from "../server.js";

type ErrorBody = components["schemas"]["ErrorBody"];
type RefusalOutcome = { status: number; error: ErrorBody | undefined } | { noAnswer: string };
type UploadChunk = operations["upload_content"]["requestBody"]["content"]["multipart/form-data"];

const ALL_PERMISSIONS = ["CREATE", "MODIFY", "DELETE", "LOCK", "LIST", "ADMIN", "READ"];
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const FILE_NAME = "scenario.bin";
// Every byte value, in an order that a lost or swapped chunk would break.
const CONTENT = Uint8Array.from({ length: 1000 }, (_, index) => (index * 37 + 11) % 256);
const FIRST_CHUNK_END = 600;
const REFUSED_UPLOAD_ATTEMPTS = 20;

const brokenSteps = new Set<string>();

describe("the TypeScript client scenario", () => {
  let server: RunningServer;
  let anonymous: Client<paths>;
  let admin: Client<paths>;
  let token = "";
  let shareId = "";
  let etag = "";
  const startedAt = Date.now();

  before(async () => {
    server = await startServer();
    anonymous = createClient<paths>({ baseUrl: server.baseUrl });
  });

  after(async () => {
    await server?.stop();
  });

  step("login", [], "login answers 200 with a token for admin", async () => {
    const { data, error, response } = await anonymous.POST("/users/login", {
      body: { username: "admin", password: server.adminPassword },
    });

    assert.equal(response.status, 200);
    assert.equal(error, undefined);
    assert.ok(data);
    assert.match(data.auth_token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.deepEqual(data, {
      status: "success",
      message: "Logged in.",
      username: "admin",
      auth_token: data.auth_token,
    });

    token = data.auth_token;
    admin = createClient<paths>({
      baseUrl: server.baseUrl,
      headers: { Authorization: `Bearer ${token}` },
    });
  });

  step("whoami", ["login"], "whoami answers admin with every permission", async () => {
    const { data, response } = await admin.GET("/whoami");
    assertTypes<Equal<typeof data, components["schemas"]["Whoami"] | undefined>>(true);

    assert.equal(response.status, 200);
    assert.deepEqual(data, { username: "admin", permissions: ALL_PERMISSIONS });
  });

  step("create user", ["login"], "create_user answers 201 with the user's url, and the user reads back", async () => {
    const created = await admin.POST("/users", {
      body: { username: "alice", password: "alice-password-1", permissions: ["READ", "CREATE"] },
    });

    assert.equal(created.response.status, 201);
    assert.deepEqual(created.data, { status: "success", url: "/users/alice" });
    assert.equal(created.response.headers.get("Location"), "/users/alice");

    const read = await admin.GET("/users/{username}", { params: { path: { username: "alice" } } });

    assert.equal(read.response.status, 200);
    assert.ok(read.data);
    assert.match(read.data.register_date, RFC3339_UTC);
    assert.deepEqual(read.data, {
      username: "alice",
      permissions: ["CREATE", "READ"],
      register_date: read.data.register_date,
    });
  });

  step("create share", ["login"], "create_share answers 201 with the share's url", async () => {
    const { data, response } = await admin.POST("/files", { body: { file_name: FILE_NAME } });

    assert.equal(response.status, 201);
    assert.ok(data);
    const id = data.share_id;
    assert.match(id, UUID);
    assert.deepEqual(data, { status: "success", url: `/files/${id}`, share_id: id });
    assert.equal(response.headers.get("Location"), data.url);

    shareId = id;
  });

  step("upload", ["create share"], "upload_content takes two chunks, the last one arriving first", async () => {
    const dzuuid = randomUUID();
    const chunk = (index: number, bytes: Uint8Array): UploadChunk => ({
      dzuuid,
      dzchunkindex: index,
      dztotalchunks: 2,
      upload: toBinaryString(bytes),
    });

    const second = await admin.POST("/files/{id}/content", {
      params: { path: { id: shareId } },
      body: chunk(1, CONTENT.subarray(FIRST_CHUNK_END)),
      bodySerializer: chunkForm,
    });

    assert.equal(second.response.status, 200);
    assert.deepEqual(second.data, { status: "success", message: "Chunk uploaded." });

    const first = await admin.POST("/files/{id}/content", {
      params: { path: { id: shareId } },
      body: chunk(0, CONTENT.subarray(0, FIRST_CHUNK_END)),
      bodySerializer: chunkForm,
    });

    assert.equal(first.response.status, 201);
    assert.deepEqual(first.data, { status: "success", message: "Upload completed." });
  });

  step("read share", ["upload"], "read_share shows the initialized share", async () => {
    const { data, response } = await admin.GET("/files/{id}", { params: { path: { id: shareId } } });

    assert.equal(response.status, 200);
    assert.ok(data);
    assertCreatedDuringThisTest(data.create_date);
    assert.deepEqual(data, {
      share_id: shareId,
      owner_name: "admin",
      file_name: FILE_NAME,
      initialized: true,
      locked: false,
      create_date: data.create_date,
      size: CONTENT.length,
      content_type: "application/octet-stream",
    });
  });

  step("download", ["upload"], "read_content answers 200 with the whole content", async () => {
    const { data, response } = await admin.GET("/files/{id}/content", {
      params: { path: { id: shareId } },
      parseAs: "arrayBuffer",
    });

    assert.equal(response.status, 200);
    assert.ok(data);
    assert.deepEqual(new Uint8Array(data), CONTENT);
    assert.equal(response.headers.get("Content-Length"), String(CONTENT.length));
    assert.equal(response.headers.get("Content-Type"), "application/octet-stream");
    assert.equal(response.headers.get("Content-Disposition"), `inline; filename=${FILE_NAME}`);
    assert.equal(response.headers.get("Accept-Ranges"), "bytes");
    assert.equal(response.headers.get("X-Content-Type-Options"), "nosniff");
    assert.equal(response.headers.get("Content-Range"), null);
    assert.ok(!Number.isNaN(Date.parse(response.headers.get("Last-Modified") ?? "")));
    etag = response.headers.get("ETag") ?? "";
    assert.match(etag, /^"[^"]+"$/);
  });

  step("range", ["download"], "read_content with a Range answers 206 with those bytes", async () => {
    const { data, response } = await admin.GET("/files/{id}/content", {
      params: { path: { id: shareId }, header: { Range: "bytes=100-299" } },
      parseAs: "arrayBuffer",
    });

    assert.equal(response.status, 206);
    assert.ok(data);
    assert.deepEqual(new Uint8Array(data), CONTENT.subarray(100, 300));
    assert.equal(response.headers.get("Content-Range"), `bytes 100-299/${CONTENT.length}`);
    assert.equal(response.headers.get("Content-Length"), "200");
    assert.equal(response.headers.get("Accept-Ranges"), "bytes");
    assert.equal(response.headers.get("ETag"), etag);
  });

  step("lock", ["upload"], "lock_share answers 200", async () => {
    const { data, response } = await admin.POST("/files/{id}/lock", {
      params: { path: { id: shareId } },
    });

    assert.equal(response.status, 200);
    assert.deepEqual(data, { status: "success", message: "Share has been locked." });
  });

  // A refused chunk is answered before its body is read. Over a real
  // connection that answer must still reach the client, every time, so the
  // refusal is tried several times with fresh uploads.
  step("refused replacement", ["lock"], "replace_content of the locked share is a typed 423, and the content stays", async () => {
    const outcomes: RefusalOutcome[] = [];
    for (let attempt = 0; attempt < REFUSED_UPLOAD_ATTEMPTS; attempt++) {
      outcomes.push(await refusedReplacement());
    }
    const expected = { status: 423, error: { status: "fail", message: "Share is locked." } };
    const broken = outcomes.filter((outcome) => !isDeepStrictEqual(outcome, expected));
    assert.deepEqual(
      broken,
      [],
      `${broken.length} of ${outcomes.length} refused uploads did not deliver the 423 to the client`,
    );

    const share = await admin.GET("/files/{id}", { params: { path: { id: shareId } } });
    assert.equal(share.data?.locked, true);
    assert.equal(share.data?.size, CONTENT.length);

    const content = await admin.GET("/files/{id}/content", {
      params: { path: { id: shareId } },
      parseAs: "arrayBuffer",
    });
    assert.equal(content.response.status, 200);
    assert.deepEqual(new Uint8Array(content.data ?? new ArrayBuffer(0)), CONTENT);
  });

  step("logout", ["login"], "logout revokes the token", async () => {
    const { data, response } = await admin.POST("/users/logout", { body: { token } });

    assert.equal(response.status, 200);
    assert.deepEqual(data, { status: "success", message: "Token revoked." });
  });

  step("revoked token", ["logout"], "the revoked token is a typed 401", async () => {
    const { data, error, response } = await admin.GET("/whoami");
    assertTypes<Equal<typeof error, ErrorBody | undefined>>(true);

    assert.equal(response.status, 401);
    assert.equal(data, undefined);
    assert.deepEqual(error, { status: "fail", message: "Token has been revoked." });
  });

  /** One replacement chunk for the locked share: its status and typed error, or why it broke. */
  async function refusedReplacement(): Promise<RefusalOutcome> {
    try {
      const { data, error, response } = await admin.PUT("/files/{id}/content", {
        params: { path: { id: shareId } },
        body: {
          dzuuid: randomUUID(),
          dzchunkindex: 0,
          dztotalchunks: 1,
          upload: toBinaryString(new TextEncoder().encode("replacement")),
        },
        bodySerializer: chunkForm,
      });
      assertTypes<Equal<typeof error, ErrorBody | undefined>>(true);
      assert.equal(data, undefined);
      return { status: response.status, error };
    } catch (failure) {
      return { noAnswer: describeFetchFailure(failure) };
    }
  }

  function assertCreatedDuringThisTest(createDate: string) {
    assert.match(createDate, RFC3339_UTC);
    const created = Date.parse(createDate);
    assert.ok(
      created >= startedAt - 60_000 && created <= Date.now() + 60_000,
      `create_date ${createDate} is not around the time of this test`,
    );
  }
});

// The steps share state: a step whose prerequisite failed (or was skipped)
// is skipped, instead of failing for a reason that is not its own.
function step(id: string, needs: string[], title: string, body: () => Promise<void>) {
  it(title, async (context) => {
    const missing = needs.find((need) => brokenSteps.has(need));
    if (missing) {
      brokenSteps.add(id);
      context.skip(`needs the step "${missing}", which did not pass`);
      return;
    }
    try {
      await body();
    } catch (error) {
      brokenSteps.add(id);
      throw error;
    }
  });
}

// `upload` is `format: binary`, which openapi-typescript types as `string`:
// the chunk travels in the generated type as a binary string (one char per
// byte) and becomes a file part here.
function chunkForm(body: UploadChunk): FormData {
  const form = new FormData();
  form.append("dzuuid", body.dzuuid);
  form.append("dzchunkindex", String(body.dzchunkindex));
  form.append("dztotalchunks", String(body.dztotalchunks));
  form.append("upload", new Blob([Buffer.from(body.upload, "latin1")]), FILE_NAME);
  return form;
}

function describeFetchFailure(failure: unknown): string {
  if (!(failure instanceof Error)) return String(failure);
  const cause = failure.cause instanceof Error ? failure.cause : undefined;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  return cause ? `${failure.message} (${code ?? cause.message})` : failure.message;
}

function toBinaryString(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("latin1");
}

// Compile-time proof that a value has the generated type: each is assignable
// to the other, and neither is `any` (`unknown` fails the first test). `tsc`
// rejects `true` where the verdict is `false`.
type Equal<A, B> = IsAny<A> extends true
  ? false
  : IsAny<B> extends true
    ? false
    : [A] extends [B]
      ? [B] extends [A]
        ? true
        : false
      : false;
type IsAny<T> = 0 extends 1 & T ? true : false;
function assertTypes<Verdict extends boolean>(_verdict: Verdict) {}
