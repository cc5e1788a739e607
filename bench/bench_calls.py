"""Benchmark: call-next -> `called` on the hall displays, and ticket issue throughput.

Starts the real server (`motcua serve`, eventlet), opens 14 counters, connects
N display clients (N - 4 in a separate load process, 4 timing probes here),
then has the 14 counters press "call next", round after round, first at
random moments within a second (a very busy hall), then all in the same
millisecond, and measures from each POST to each probe's `called` event.
The same rounds run against a bare Flask-SocketIO app (bench/bare_server.py)
with and without TCP_NODELAY, so figures read as ratios on a noisy machine.
Ticket issue throughput: T tickets posted from 8 threads, then every field's
numbers checked for duplicates and gaps in the database.

--pin gives the server core 0 alone and the clients the other cores, as in a
center where the displays are other machines; without it they share all cores.

--processes N starts a redis-server of its own and N motcua processes on one
database with server.message_queue; displays, probes and counters are spread
over the processes round-robin, so a call often reaches a display through Redis.

usage: python bench/bench_calls.py [--clients 200] [--rounds 30] [--tickets 3000] [--no-deflate] [--pin]
                                   [--processes N]
"""
import argparse
import asyncio
import json
import os
import random
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import aiohttp
import requests
import yaml
from serving import wait_until_serving

ROOT = Path(__file__).resolve().parent.parent
PROBES = 4
COUNTERS = 14
LATE_S = 5.0  # a probe that has not heard a call by then is recorded at this latency
# Displays are browsers, and Chromium offers permessage-deflate on every websocket;
# a server that accepts compresses each message once per client. --no-deflate turns it off.
DEFLATE = {"compress": 15}
# --pin: the cores the server may use (the benchmark and its clients take the others).
SERVER_CPUS: set[int] = set()


def start_server(cmd, **kwargs):
    """Popen a server process, on SERVER_CPUS alone when --pin is given."""
    if SERVER_CPUS:
        kwargs["preexec_fn"] = lambda: os.sched_setaffinity(0, SERVER_CPUS)
    return subprocess.Popen(cmd, **kwargs)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url, path, proc):
    try:
        wait_until_serving(url, path, proc)
    except RuntimeError as failure:
        sys.exit(str(failure))


async def display(session, url, on_called=None, ready=None, counts=None):
    """A Socket.IO client speaking the protocol directly; cheap enough to run hundreds."""
    ws_url = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
    async with session.ws_connect(ws_url, max_msg_size=0, **DEFLATE) as ws:
        async for msg in ws:
            data = msg.data
            if data.startswith("42"):
                if data.startswith('42["called"'):
                    now = time.perf_counter()
                    if counts is not None:
                        counts[0] += 1
                    if on_called:
                        on_called(json.loads(data[2:])[1], now)
            elif data == "2":
                await ws.send_str("3")
            elif data.startswith("0"):
                await ws.send_str("40")
            elif data.startswith("40") and ready:
                ready()


async def load_main(url, n):
    """Run in a child process: n displays that only receive, reporting what they got."""
    connected, counts = [0], [0]

    def ready():
        connected[0] += 1
        if connected[0] == n:
            print("ready", flush=True)

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        tasks = [asyncio.create_task(display(session, url, ready=ready, counts=counts)) for _ in range(n)]
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        for _ in range(60):  # an overloaded server may still be sending: wait until it stops
            seen = counts[0]
            await asyncio.sleep(0.5)
            if counts[0] == seen:
                break
        print(f"received {counts[0]}", flush=True)
        for t in tasks:
            t.cancel()


def start_load(urls, n):
    """n displays spread over the servers, one load process per server."""
    flags = [] if DEFLATE else ["--no-deflate"]
    procs = [subprocess.Popen([sys.executable, __file__, "--load", url, "--clients", str(n // len(urls)), *flags],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for url in urls]
    for proc in procs:
        line = proc.stdout.readline().strip()
        if line != "ready":
            sys.exit(f"load clients failed: {line!r}")
    return procs


def stop_load(procs):
    received = 0
    for proc in procs:
        proc.stdin.write("\n")
        proc.stdin.flush()
        received += int(proc.stdout.readline().split()[1])
        proc.wait(timeout=30)
    return received


class CallFailed(Exception):
    """A call-next answered with an error (503 `busy` when the server is overloaded)."""


async def rounds(urls, n_rounds, press, spread, failures):
    """Each round all 14 counters press once, at random moments within `spread`
    seconds (0: all at once). Latency = POST sent -> each probe has the event;
    a failed call goes into `failures` and counts as LATE_S."""
    arrivals = {}
    waiters = {}
    connected = []

    def on_called(event, now):
        key = str(event["ticket"]["id"])
        arrivals.setdefault(key, []).append(now)
        if len(arrivals[key]) == PROBES and key in waiters:
            waiters[key].set()

    latencies = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        probes = [asyncio.create_task(display(session, urls[i % len(urls)], on_called,
                                              ready=lambda: connected.append(1)))
                  for i in range(PROBES)]
        while len(connected) < PROBES:
            await asyncio.sleep(0.01)

        async def one(counter):
            await asyncio.sleep(random.uniform(0, spread))
            t0 = time.perf_counter()
            try:
                key = await press(session, counter)
            except CallFailed as failure:  # never reached the displays: counted as late
                failures.append(str(failure))
                latencies.extend([LATE_S] * PROBES)
                return
            if key is None:
                return
            waiters.setdefault(key, asyncio.Event())
            if len(arrivals.get(key, [])) < PROBES:
                try:
                    await asyncio.wait_for(waiters[key].wait(), LATE_S)
                except asyncio.TimeoutError:  # counted as LATE_S: a p99 this high says enough
                    pass
            got = [t - t0 for t in arrivals.get(key, [])]
            latencies.extend(got + [LATE_S] * (PROBES - len(got)))

        for _ in range(n_rounds):
            await asyncio.gather(*(one(c) for c in range(1, COUNTERS + 1)))
            await asyncio.sleep(0.15)
        for p in probes:
            p.cancel()
    return latencies


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


SPREADS = {"staggered": 1.0, "all at once": 0.0}


def cpu_seconds(procs):
    """User + system CPU time the processes have used so far (Linux /proc)."""
    total = 0
    for proc in procs:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def measure(urls, args, press, servers):
    """Latencies per press pattern, how many `called` the load clients received, the
    CPU seconds the servers (with Redis) and the load clients used meanwhile, and the
    calls that failed."""
    load = start_load(urls, args.clients - PROBES)
    before = cpu_seconds(servers), cpu_seconds(load)
    failures = []
    lat = {name: asyncio.run(rounds(urls, args.rounds, press, spread, failures)) for name, spread in SPREADS.items()}
    cpu = cpu_seconds(servers) - before[0], cpu_seconds(load) - before[1]
    return lat, stop_load(load), cpu, failures


def redis_server(workdir):
    """A redis-server of the benchmark's own (Debian's, installed by `make test`)."""
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    sys.exit("redis-server did not start")


def motcua_server(workdir, ports, coalesce_ms=None, message_queue=""):
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    raw["database"]["path"] = str(workdir / "bench.db")
    if coalesce_ms is not None:
        raw["server"]["state_coalesce_ms"] = coalesce_ms
    raw["server"]["async_mode"] = "eventlet"
    raw["center"].pop("hours", None)  # measure on any day
    raw["kiosk"] = {"max_tickets_per_minute": 0}  # 8 threads play kiosks at machine speed
    raw["server"]["max_connections_per_address"] = 0  # every simulated display is on 127.0.0.1
    raw["server"]["max_connections"] = 100000
    raw["server"]["message_queue"] = message_queue
    for c in raw["counters"]:
        c["services"] = [s["code"] for s in raw["services"]]
    raw["counters"] += [{"name": f"Quầy {i}", "services": c["services"]} for i in range(8, COUNTERS + 1)]
    cfg = workdir / "config.yaml"
    cfg.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    cli = [sys.executable, "-m", "shared.cli", "--config", str(cfg)]
    token = subprocess.run(cli + ["token", "create", "--role", "officer"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.splitlines()[-1]
    invites = [subprocess.run(cli + ["device", "invite", "--kind", "kiosk", "--name", f"Kiosk {i}"], cwd=ROOT,
                              check=True, capture_output=True, text=True).stdout.strip().rsplit("/", 1)[1]
               for i in range(8)]
    procs = [start_server(cli + ["serve", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for port in ports]
    return procs, token, raw, invites


def issue_throughput(url, total, services, invites):
    """8 enrolled kiosks issuing at machine speed, each on its own connection."""
    per_thread = total // 8
    errors = []

    def kiosk(i):
        with requests.Session() as s:
            secret = s.post(url + "/api/devices/enrol", json={"code": invites[i]}, timeout=10).json()["secret"]
            s.headers["Authorization"] = f"Bearer {secret}"
            for k in range(per_thread):
                r = s.post(url + "/api/tickets", json={"service": services[(i + k) % len(services)]}, timeout=10)
                if r.status_code != 201:
                    errors.append(r.status_code)

    threads = [threading.Thread(target=kiosk, args=(i,)) for i in range(8)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return per_thread * 8 / (time.perf_counter() - t0), errors


def noop_throughput(url, total):
    per_thread = total // 8

    def kiosk():
        with requests.Session() as s:
            for _ in range(per_thread):
                s.get(url + "/ping", timeout=10)

    threads = [threading.Thread(target=kiosk) for _ in range(8)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return per_thread * 8 / (time.perf_counter() - t0)


def check_numbers(db_path, raw):
    db = sqlite3.connect(db_path)
    problems = 0
    for s in raw["services"]:
        seqs = [r[0] for r in db.execute("SELECT seq FROM tickets WHERE issued_service = ? ORDER BY seq", (s["code"],))]
        numbers = [r[0] for r in db.execute("SELECT number FROM tickets WHERE issued_service = ?", (s["code"],))]
        problems += (seqs != list(range(1, len(seqs) + 1))) + (len(numbers) != len(set(numbers)))
    return problems


def report(name, lat, received, expected, cpu, failures):
    """Print p50/p99 per press pattern, the failed calls and the CPU each delivered
    `called` cost; return {pattern: (p50, p99)}."""
    print(f"{name} (load clients received {received}/{expected} `called` events)")
    if failures:
        print(f"  {len(failures)} calls failed: " + ", ".join(sorted(set(failures))))
    server_cpu, client_cpu = cpu
    print(f"  CPU: server(s) {server_cpu:.1f} s, load clients {client_cpu:.1f} s; per `called` delivered "
          f"{server_cpu / max(received, 1) * 1e6:.0f} us in the server(s), {client_cpu / max(received, 1) * 1e6:.0f} us "
          "in the clients")
    for pattern, values in lat.items():
        print(f"  {pattern:<12} p50 {pct(values, 50):6.1f} ms  p99 {pct(values, 99):6.1f} ms"
              f"  max {max(values) * 1000:6.1f} ms  ({len(values)} samples)")
    return {pattern: (pct(values, 50), pct(values, 99)) for pattern, values in lat.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--tickets", type=int, default=3000)
    parser.add_argument("--coalesce-ms", type=int, help="server.state_coalesce_ms (default: config.yaml's)")
    parser.add_argument("--skip-baseline", action="store_true", help="measure motcua only")
    parser.add_argument("--no-deflate", action="store_true", help="displays do not offer permessage-deflate")
    parser.add_argument("--pin", action="store_true", help="server on core 0 alone, clients on the others")
    parser.add_argument("--processes", type=int, default=1, help="motcua processes sharing one Redis")
    parser.add_argument("--load")
    args = parser.parse_args()
    if args.no_deflate:
        DEFLATE.clear()
    if args.load:
        asyncio.run(load_main(args.load, args.clients))
        return

    if args.pin:
        cores = os.sched_getaffinity(0)
        if len(cores) < 2:
            sys.exit("--pin needs at least 2 cores")
        SERVER_CPUS.add(min(cores))
        os.sched_setaffinity(0, cores - SERVER_CPUS)  # the load process inherits this
    print(f"{os.cpu_count()} cores{' (server pinned to one)' if args.pin else ''}; {args.clients} displays, {COUNTERS} counters pressing at once, "
          f"{args.rounds} rounds; {args.tickets} tickets from 8 threads; {args.processes} motcua process(es)")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        redis, message_queue = redis_server(workdir) if args.processes > 1 else (None, "")
        ports = [free_port() for _ in range(args.processes)]
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        procs, token, raw, invites = motcua_server(workdir, ports, args.coalesce_ms, message_queue)
        try:
            for url, proc in zip(urls, procs):
                wait_up(url, "/api/services", proc)
            rate, errors = issue_throughput(urls[0], args.tickets, [s["code"] for s in raw["services"]], invites)
            problems = check_numbers(str(workdir / "bench.db"), raw)
            headers = {"Authorization": f"Bearer {token}"}

            async def call_next(session, counter):
                url = urls[counter % len(urls)]
                async with session.post(f"{url}/api/counters/{counter}/call-next", headers=headers, json={}) as r:
                    body = await r.json()
                if r.status != 200:
                    raise CallFailed(f"{r.status} {body.get('error')}")
                return str(body["ticket"]["id"]) if body["ticket"] else None

            lat, received, cpu, failures = measure(urls, args, call_next, procs + ([redis] if redis else []))
        finally:
            for proc in procs + ([redis] if redis else []):
                proc.terminate()
                proc.wait()

        expected = len(SPREADS) * args.rounds * COUNTERS * ((args.clients - PROBES) // args.processes * args.processes)
        print(f"ticket issue: {rate:7.0f} tickets/s, {len(errors)} errors, {problems} fields with duplicates or gaps")
        ours = report("motcua call-next -> called", lat, received, expected, cpu, failures)
        if args.skip_baseline or args.processes > 1:
            return

        baselines = {}
        for label, flags in (("bare Flask-SocketIO, TCP_NODELAY", ["--nodelay"]),
                             ("bare Flask-SocketIO, default", [])):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            bare = start_server([sys.executable, str(ROOT / "bench" / "bare_server.py"), str(port), *flags])
            try:
                wait_up(url, "/ping", bare)
                if not baselines:
                    noop = noop_throughput(url, args.tickets)
                counter_ids = iter(range(10**9))

                async def emit(session, counter):
                    key = str(next(counter_ids))
                    async with session.post(f"{url}/emit?id={key}", json={}) as r:
                        await r.read()
                    return key

                blat, breceived, bcpu, bfailures = measure([url], args, emit, [bare])
            finally:
                bare.terminate()
                bare.wait()
            baselines[label] = report(label, blat, breceived, expected, bcpu, bfailures)

        base = baselines["bare Flask-SocketIO, TCP_NODELAY"]
        for pattern in SPREADS:
            (p50, p99), (b50, b99) = ours[pattern], base[pattern]
            print(f"ratio motcua / bare (TCP_NODELAY), {pattern}: p50 {p50 / b50:.2f}x, p99 {p99 / b99:.2f}x")
        print(f"bare GET /ping: {noop:7.0f} req/s; ticket issue is {rate / noop:.2f}x of it")


if __name__ == "__main__":
    main()
