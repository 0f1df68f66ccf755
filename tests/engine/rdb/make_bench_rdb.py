#!/usr/bin/env python3
"""Writes a large, listpack-heavy RDB with the local redis-server, for rdb_decoder_bench.

Usage: make_bench_rdb.py <out.rdb> [scale]   (scale 1 = about 150 MB)
Starts redis-server on a free port in a temp dir, fills it through redis-cli --pipe with small
hashes, zsets, lists and streams (listpack encodings), sets (intset and hashtable), strings, then
SAVEs and copies dump.rdb.
"""
import os, random, shutil, socket, subprocess, sys, tempfile, time

def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)

def commands(scale):
    rnd = random.Random(1)
    for i in range(int(300000 * scale)):
        args = ["HSET", "h:%d" % i]
        for j in range(12):
            args += ["field%d" % j, str(rnd.randint(0, 10**6)) if j % 2 else "v%x" % rnd.getrandbits(40)]
        yield resp(*args)
    for i in range(int(150000 * scale)):
        args = ["ZADD", "z:%d" % i]
        for j in range(15):
            args += ["%.3f" % rnd.uniform(-1e6, 1e6), "member:%d" % j]
        yield resp(*args)
    for i in range(int(150000 * scale)):
        args = ["RPUSH", "l:%d" % i] + ["item-%d-%d" % (i, j) for j in range(20)]
        yield resp(*args)
    for i in range(int(100000 * scale)):
        yield resp("SADD", "si:%d" % i, *[str(j * 3) for j in range(20)])
        yield resp("SADD", "ss:%d" % i, *["s%d" % j for j in range(10)])
    for i in range(int(200000 * scale)):
        yield resp("SET", "str:%d" % i, "value-%d-%s" % (i, "x" * (i % 50)))
    for i in range(int(5000 * scale)):
        for j in range(40):
            yield resp("XADD", "st:%d" % i, "*", "sensor", str(j), "reading", "%.2f" % rnd.random())

def main():
    out, scale = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    d = tempfile.mkdtemp()
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    srv = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--dir", d,
                            "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if subprocess.run(["redis-cli", "-p", str(port), "PING"], capture_output=True).stdout.strip() == b"PONG":
                break
            time.sleep(0.1)
        pipe = subprocess.Popen(["redis-cli", "-p", str(port), "--pipe"], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL)
        buf = []
        for c in commands(scale):
            buf.append(c)
            if len(buf) >= 10000:
                pipe.stdin.write(b"".join(buf)); buf = []
        pipe.stdin.write(b"".join(buf)); pipe.stdin.close(); pipe.wait()
        subprocess.run(["redis-cli", "-p", str(port), "SAVE"], check=True, capture_output=True)
        shutil.copy(os.path.join(d, "dump.rdb"), out)
        print(out, os.path.getsize(out), "bytes")
    finally:
        srv.kill(); srv.wait(); shutil.rmtree(d, ignore_errors=True)

main()
