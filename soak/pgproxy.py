"""The soak's way to PostgreSQL (`python -m soak.pgproxy HOST PORT` or `... unix SOCKET_PATH`): a
TCP relay on a free loopback port between the served processes and the soak's database server,
which the soak cuts to restart PostgreSQL as the processes see it (the database server itself may
be a shared one, which must not be restarted). Cut, it resets every connection (the server rolls
back their open transactions, as a crash does) and refuses new ones until it is put back.

Commands, one a line on stdin, each answered by one line on stdout:
    down    every connection reset, new ones refused; answers "ok"
    up      connections accepted again; answers "ok"
The first line it prints is its port. End of input stops it."""

from __future__ import annotations

import asyncio
import socket
import sys


class Relay:
    def __init__(self, upstream: tuple[str, ...]) -> None:
        self.upstream = upstream
        self.server: asyncio.base_events.Server | None = None
        self.port = 0
        self.links: set[asyncio.StreamWriter] = set()

    async def _connect(self):
        if self.upstream[0] == "unix":
            return await asyncio.open_unix_connection(self.upstream[1])
        return await asyncio.open_connection(self.upstream[0], int(self.upstream[1]))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await self._connect()
        except OSError:
            writer.close()
            return
        self.links.update((writer, up_writer))

        async def pump(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    target.write(data)
                    await target.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                _reset(target)

        await asyncio.gather(pump(reader, up_writer), pump(up_reader, writer))
        self.links.difference_update((writer, up_writer))

    async def up(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port or 0, reuse_address=True)
        self.port = self.server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for writer in list(self.links):
            _reset(writer)
        self.links.clear()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a reset (SO_LINGER 0), as a dying server's connections end."""
    sock = writer.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        except OSError:
            pass
    writer.close()


async def main() -> None:
    relay = Relay(tuple(sys.argv[1:3]))
    await relay.up()
    print(relay.port, flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        command = line.strip()
        if command == "down":
            await relay.down()
        elif command == "up":
            await relay.up()
        else:
            print(f"unknown command {command!r}", flush=True)
            continue
        print("ok", flush=True)
    await relay.down()


if __name__ == "__main__":
    asyncio.run(main())
