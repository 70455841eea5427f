#!/usr/bin/env python3
"""A TCP proxy for bench/team.sh: adds DELAY_MS to every round trip (half each way) between
linkus and PostgreSQL, and counts round trips: each time the client sends after the server
last spoke (or first) is one, appended as a line to COUNT_FILE.

    latency_proxy.py LISTEN_PORT UPSTREAM_PORT DELAY_MS COUNT_FILE
"""
import asyncio
import sys

LISTEN, UPSTREAM, DELAY_MS, COUNT_FILE = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
HALF = DELAY_MS / 2000.0


async def pump(reader, writer, state, from_client):
    queue = asyncio.Queue()

    async def sender():
        while True:
            item = await queue.get()
            if item is None:
                break
            due, data = item
            wait = due - asyncio.get_running_loop().time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        writer.close()

    task = asyncio.create_task(sender())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if from_client and state["last"] != "client":
                with open(COUNT_FILE, "a") as f:
                    f.write("rt\n")
            state["last"] = "client" if from_client else "server"
            await queue.put((asyncio.get_running_loop().time() + HALF, data))
    except ConnectionError:
        pass
    await queue.put(None)
    await task


async def handle(client_reader, client_writer):
    try:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", UPSTREAM)
    except OSError:
        client_writer.close()
        return
    state = {"last": None}
    await asyncio.gather(
        pump(client_reader, up_writer, state, True),
        pump(up_reader, client_writer, state, False),
        return_exceptions=True,
    )


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", LISTEN)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
