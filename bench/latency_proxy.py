#!/usr/bin/env python3
"""A TCP proxy for bench/team.sh: adds DELAY_MS to every round trip (half each way) between
linkus and PostgreSQL, and counts round trips: each time the client sends after the server
last spoke (or first) is one, appended as a line to COUNT_FILE.

    latency_proxy.py LISTEN_PORT UPSTREAM_PORT DELAY_MS COUNT_FILE

One reader and one writer thread per direction: the reader stamps each chunk with the time it
is due, the writer sleeps until then (time.sleep, a fraction of a millisecond off) and sends
it, in order. An event loop's timers are a millisecond coarse and its callbacks wait behind
each other: the first version of this proxy, on asyncio, added 2.6 ms for 2 and more under
load, which charged the team journal for a database farther away than the one measured.
"""
import queue
import socket
import sys
import threading
import time

LISTEN, UPSTREAM, DELAY_MS, COUNT_FILE = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
HALF = DELAY_MS / 2000.0
COUNT_LOCK = threading.Lock()


def pump(source, target, state, from_client):
    chunks = queue.SimpleQueue()

    def writer():
        while True:
            item = chunks.get()
            if item is None:
                break
            due, data = item
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                target.sendall(data)
            except OSError:
                break
        try:
            target.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    sending = threading.Thread(target=writer, daemon=True)
    sending.start()
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            if from_client and state["last"] != "client":
                with COUNT_LOCK, open(COUNT_FILE, "a") as f:
                    f.write("rt\n")
            state["last"] = "client" if from_client else "server"
            chunks.put((time.monotonic() + HALF, data))
    except OSError:
        pass
    chunks.put(None)
    sending.join()


def handle(client):
    try:
        upstream = socket.create_connection(("127.0.0.1", UPSTREAM))
    except OSError:
        client.close()
        return
    for s in (client, upstream):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    state = {"last": None}
    back = threading.Thread(target=pump, args=(upstream, client, state, False), daemon=True)
    back.start()
    pump(client, upstream, state, True)
    back.join()
    client.close()
    upstream.close()


def main():
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", LISTEN))
    server.listen(128)
    print("ready", flush=True)
    while True:
        client, _ = server.accept()
        threading.Thread(target=handle, args=(client,), daemon=True).start()


main()
