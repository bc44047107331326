// Drives a running server with ioredis, the Node.js client BullMQ and most Node
// applications use. Run by tests/node_clients.rs against redis-server (so every
// expectation holds for Redis 7.0 itself) and against shoal with 4 shards.
// Exercises what ioredis adds on top of the wire: its ready check (INFO, reading
// `loading:`), automatic pipelining, explicit pipelines, scan streams, blocking pops
// on a second connection, Buffer replies, and reconnect after CLIENT KILL.
// Prints "ok NAME" per check; exits non-zero naming the failing check.
//
// Usage: node ioredis_check.js PORT | unix:SOCKET_PATH

"use strict";
const assert = require("node:assert/strict");
const Redis = require("ioredis");

const target = process.argv[2];
const options = target.startsWith("unix:")
  ? { path: target.slice("unix:".length) }
  : { port: Number(target), host: "127.0.0.1" };

function client(extra = {}) {
  return new Redis({ ...options, maxRetriesPerRequest: 3, ...extra });
}

async function strings(r) {
  assert.equal(await r.set("s:a", "1", "EX", 100), "OK");
  assert.equal(await r.incrby("s:a", 41), 42);
  assert.deepEqual(await r.mget("s:a", "s:none"), ["42", null]);
  assert.equal(await r.set("s:a", "x", "NX"), null);
  const big = Buffer.alloc(100000, 7);
  assert.equal(await r.set("s:big", big), "OK");
  assert.ok((await r.getBuffer("s:big")).equals(big));
  assert.equal(await r.strlen("s:big"), 100000);
  assert.ok((await r.ttl("s:a")) > 0);
}

async function autoPipelining() {
  const r = client({ enableAutoPipelining: true });
  const writes = [];
  for (let i = 0; i < 500; i++) writes.push(r.set(`ap:${i}`, i));
  assert.ok((await Promise.all(writes)).every((x) => x === "OK"));
  const reads = [];
  for (let i = 0; i < 500; i++) reads.push(r.get(`ap:${i}`));
  assert.deepEqual(await Promise.all(reads), [...Array(500).keys()].map(String));
  r.disconnect();
}

async function pipelines(r) {
  const p = r.pipeline();
  p.hset("h", { name: "ada", n: "1" });
  p.hincrby("h", "n", 5);
  p.hgetall("h");
  p.zadd("z", 1, "a", 2.5, "b");
  p.zrange("z", 0, -1, "WITHSCORES");
  p.lpush("l", "x", "y");
  p.lrange("l", 0, -1);
  p.sadd("s", "m");
  p.smembers("s");
  p.get("h"); // WRONGTYPE, reported in place
  const out = await p.exec();
  assert.deepEqual(out.slice(0, 9), [
    [null, 2],
    [null, 6],
    [null, { name: "ada", n: "6" }],
    [null, 2],
    [null, ["a", "1", "b", "2.5"]],
    [null, 2],
    [null, ["y", "x"]],
    [null, 1],
    [null, ["m"]],
  ]);
  assert.match(out[9][0].message, /^WRONGTYPE/);
}

async function scanStream(r) {
  const p = r.pipeline();
  for (let i = 0; i < 300; i++) p.set(`scan:${i}`, i);
  await p.exec();
  const seen = new Set();
  await new Promise((resolve, reject) => {
    r.scanStream({ match: "scan:*", count: 50 })
      .on("data", (keys) => keys.forEach((k) => seen.add(k)))
      .on("end", resolve)
      .on("error", reject);
  });
  assert.equal(seen.size, 300);
}

async function blockingPops(r) {
  const waiter = client();
  const popped = waiter.brpop("jobs", 5);
  // Wait until the pop is blocked, then push from the first connection.
  for (let i = 0; ; i++) {
    const info = await r.info("clients");
    if (/blocked_clients:1\r\n/.test(info)) break;
    assert.ok(i < 500, "never blocked");
    await new Promise((res) => setTimeout(res, 10));
  }
  await r.lpush("jobs", "job-1");
  assert.deepEqual(await popped, ["jobs", "job-1"]);
  assert.equal(await waiter.blpop("jobs:none", 0.05), null);
  waiter.disconnect();
}

async function reconnects() {
  const r = client({ connectionName: "killme" });
  assert.equal(await r.ping(), "PONG");
  const admin = client();
  assert.equal(await admin.client("KILL", "SKIPME", "YES", "TYPE", "normal"), 2);
  // ioredis reconnects on its own and replays the connection name.
  assert.equal(await r.ping(), "PONG");
  assert.equal(await r.client("GETNAME"), "killme");
  r.disconnect();
  admin.disconnect();
}

async function errors(r) {
  await assert.rejects(r.call("NOSUCHCOMMAND", "x"), /^ReplyError: ERR unknown command 'NOSUCHCOMMAND'/);
  await assert.rejects(r.call("GET"), /wrong number of arguments for 'get' command/);
  await assert.rejects(r.incr("h"), /^ReplyError: WRONGTYPE/);
}

async function main() {
  const r = client();
  await r.flushall();
  const checks = [
    ["strings", () => strings(r)],
    ["auto_pipelining", autoPipelining],
    ["pipelines", () => pipelines(r)],
    ["scan_stream", () => scanStream(r)],
    ["blocking_pops", () => blockingPops(r)],
    ["errors", () => errors(r)],
    ["reconnects", reconnects],
  ];
  for (const [name, check] of checks) {
    try {
      await check();
    } catch (e) {
      console.log(`FAILED ${name}: ${e && e.stack}`);
      process.exit(1);
    }
    console.log(`ok ${name}`);
  }
  r.disconnect();
}

main();
