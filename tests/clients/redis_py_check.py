"""Drives a running server with redis-py, the way Python applications use it.

Run by tests/python_clients.rs against a shoal started on port 0 (and, in a second run,
against redis-server, so every expectation here is known to hold for Redis 7.0 itself).
Each check exercises what redis-py does on top of the wire: its connection handshake
(CLIENT SETINFO, HELLO 3), its reply parsers (INFO, CLIENT LIST, CONFIG GET, scores as
floats, RESP3 maps and sets), pipelines, scan iterators, blocking pops with timeouts,
and a connection pool shared by threads. Exits non-zero with the failing check's name.

Usage: redis_py_check.py PORT | unix:SOCKET_PATH
"""

import sys
import threading
import time

import redis


def check_strings(r):
    assert r.ping() is True
    assert r.set("s:a", "1", ex=100) is True
    assert r.get("s:a") == "1"
    assert 0 < r.ttl("s:a") <= 100
    assert r.incr("s:a", 41) == 42
    assert r.incrbyfloat("s:f", 1.5) == 1.5
    assert r.set("s:a", "x", nx=True) is None
    assert r.mset({"s:b": "2", "s:c": "3"}) is True
    assert r.mget(["s:a", "s:b", "s:c", "s:missing"]) == ["42", "2", "3", None]
    assert r.getdel("s:c") == "3"
    assert r.append("s:b", "22") == 3
    assert r.strlen("s:b") == 3
    assert r.getrange("s:b", 0, 1) == "22"
    assert r.setbit("s:bits", 7, 1) == 0
    assert r.bitcount("s:bits") == 1
    assert r.exists("s:a", "s:b", "s:nope") == 2
    assert r.type("s:a") == "string"
    assert r.object("encoding", "s:a") == "int"
    assert r.expire("s:b", 50) is True
    assert r.persist("s:b") is True
    assert r.ttl("s:b") == -1
    assert r.rename("s:b", "s:renamed") is True
    assert r.delete("s:a", "s:renamed", "s:nope") == 2


def check_hashes(r):
    assert r.hset("h", mapping={"name": "ada", "visits": "1"}) == 2
    assert r.hincrby("h", "visits", 2) == 3
    assert r.hgetall("h") == {"name": "ada", "visits": "3"}
    assert r.hmget("h", ["name", "nope"]) == ["ada", None]
    assert sorted(r.hkeys("h")) == ["name", "visits"]
    assert r.hexists("h", "name")
    assert dict(r.hscan_iter("h")) == {"name": "ada", "visits": "3"}
    assert r.hdel("h", "name", "nope") == 1


def check_lists_and_blocking(r, pool):
    assert r.rpush("q", "a", "b", "c") == 3
    assert r.lrange("q", 0, -1) == ["a", "b", "c"]
    assert r.lpop("q") == "a"
    assert r.lmove("q", "q2", "RIGHT", "LEFT") == "c"
    assert r.blpop(["q:empty", "q"], timeout=1) == ("q", "b")
    started = time.monotonic()
    assert r.brpop(["q:empty"], timeout=0.1) is None
    assert time.monotonic() - started < 5
    # A pop blocked on one connection is served by a push from another.
    got = []
    waiter = threading.Thread(
        target=lambda: got.append(redis.Redis(connection_pool=pool).blpop(["q:wake"], timeout=10))
    )
    waiter.start()
    deadline = time.monotonic() + 10
    while int(r.info("clients")["blocked_clients"]) == 0:
        assert time.monotonic() < deadline, "waiter never blocked"
        time.sleep(0.01)
    r.rpush("q:wake", "hello")
    waiter.join(10)
    assert got == [("q:wake", "hello")], got


def check_sets_and_sorted_sets(r):
    assert r.sadd("tags", "a", "b", "c") == 3
    assert r.smembers("tags") == {"a", "b", "c"}
    assert r.sismember("tags", "a") == 1
    assert r.sinter("tags", "tags") == {"a", "b", "c"}
    assert set(r.sscan_iter("tags")) == {"a", "b", "c"}
    assert r.zadd("board", {"ann": 10, "bob": 20.5, "cy": 5}) == 3
    assert r.zincrby("board", 2, "cy") == 7.0
    assert r.zrange("board", 0, -1, withscores=True) == [("cy", 7.0), ("ann", 10.0), ("bob", 20.5)]
    assert r.zrevrange("board", 0, 0) == ["bob"]
    assert r.zrank("board", "ann") == 1
    assert r.zscore("board", "bob") == 20.5
    assert r.zrangebyscore("board", 6, 15) == ["cy", "ann"]
    assert r.zpopmin("board") == [("cy", 7.0)]
    assert dict(r.zscan_iter("board")) == {"ann": 10.0, "bob": 20.5}


def check_pipeline_and_scan(r):
    pipe = r.pipeline(transaction=False)
    for i in range(1000):
        pipe.set(f"p:{i}", i)
    assert pipe.execute() == [True] * 1000
    pipe = r.pipeline(transaction=False)
    for i in range(1000):
        pipe.get(f"p:{i}")
    assert pipe.execute() == [str(i) for i in range(1000)]
    assert sorted(r.scan_iter(match="p:*", count=100)) == sorted(f"p:{i}" for i in range(1000))
    assert len(r.keys("p:1??")) == 100


def check_server(r):
    info = r.info()
    for field in ("redis_version", "connected_clients", "used_memory", "keyspace_hits", "uptime_in_seconds"):
        assert field in info, field
    assert isinstance(info["used_memory"], int)
    assert "db0" in info and info["db0"]["keys"] == r.dbsize()
    assert isinstance(r.info("commandstats")["cmdstat_set"]["calls"], int)
    assert r.config_get("maxmemory") == {"maxmemory": "0"}
    assert r.config_set("maxmemory-policy", "allkeys-lru") is True
    assert r.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
    assert r.client_setname("py-check") is True
    assert r.client_getname() == "py-check"
    assert any(c["name"] == "py-check" for c in r.client_list())
    assert isinstance(r.memory_usage("tags"), int)
    assert len(r.time()) == 2
    assert isinstance(r.lastsave(), object)
    assert r.dbsize() > 0
    assert r.flushdb() is True
    assert r.dbsize() == 0
    try:
        r.execute_command("NOSUCHCOMMAND", "x")
        raise AssertionError("unknown command accepted")
    except redis.ResponseError as e:
        assert str(e).startswith("unknown command 'NOSUCHCOMMAND'"), str(e)
    r.set("str", "v")
    try:
        r.lpush("str", "x")
        raise AssertionError("WRONGTYPE not raised")
    except redis.ResponseError as e:
        assert str(e).startswith("WRONGTYPE"), str(e)


def check_resp3(where):
    r = redis.Redis(**where, protocol=3, decode_responses=True)
    assert r.ping() is True
    r.hset("h3", mapping={"a": "1"})
    assert r.hgetall("h3") == {"a": "1"}
    r.sadd("s3", "x", "y")
    assert r.smembers("s3") == {"x", "y"}
    r.zadd("z3", {"m": 1.5})
    assert r.zscore("z3", "m") == 1.5
    assert r.zrange("z3", 0, -1, withscores=True) == [["m", 1.5]]
    assert r.get("nope") is None
    r.close()


def check_pool_threads(pool):
    errors = []

    def worker(n):
        try:
            r = redis.Redis(connection_pool=pool)
            for i in range(200):
                r.incr("counter")
                r.set(f"t:{n}:{i}", i)
                assert r.get(f"t:{n}:{i}") == str(i)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert redis.Redis(connection_pool=pool).get("counter") == "1600"


def main():
    target = sys.argv[1]
    if target.startswith("unix:"):
        where = {"unix_socket_path": target[len("unix:") :]}
        pool = redis.ConnectionPool(
            connection_class=redis.UnixDomainSocketConnection,
            path=where["unix_socket_path"],
            decode_responses=True,
            max_connections=32,
        )
    else:
        where = {"port": int(target)}
        pool = redis.ConnectionPool(**where, decode_responses=True, max_connections=32)
    r = redis.Redis(connection_pool=pool)
    r.flushall()
    checks = [
        ("strings", lambda: check_strings(r)),
        ("hashes", lambda: check_hashes(r)),
        ("lists_and_blocking", lambda: check_lists_and_blocking(r, pool)),
        ("sets_and_sorted_sets", lambda: check_sets_and_sorted_sets(r)),
        ("pipeline_and_scan", lambda: check_pipeline_and_scan(r)),
        ("pool_threads", lambda: check_pool_threads(pool)),
        ("resp3", lambda: check_resp3(where)),
        ("server", lambda: check_server(r)),
    ]
    for name, check in checks:
        try:
            check()
        except Exception as e:  # noqa: BLE001 - the name of the check is the report
            import traceback

            traceback.print_exc()
            print(f"FAILED {name}: {e!r}")
            return 1
        print(f"ok {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
