"""The load generator's own ceiling: how many requests/s it drives against a server that does
nothing but answer.

``python -m benchmarks.ceiling --port P`` serves every request with the same small 200
response (keep-alive, Content-Length), with no framework at all. What the generator reaches
against it bounds every figure over the wire: a figure near the ceiling would measure the
generator, not the app.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from pathlib import Path

from benchmarks.load import RequestMix, run_load
from benchmarks.servers import free_port, serve

RESPONSE = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 15\r\n\r\n"
    b'{"status":"ok"}'
)


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            writer.write(RESPONSE)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _serve(port: int) -> None:
    server = await asyncio.start_server(_answer, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def measure_ceiling(
    workdir: Path,
    *,
    generator: str,
    server_cpu: int | None,
    load_cpu: int | None,
    duration_s: float,
    warmup_s: float,
    concurrency: int = 16,
) -> float:
    """Requests/s the generator reaches against the do-nothing server, pinned like the apps."""
    port = free_port()
    command = [sys.executable, "-m", "benchmarks.ceiling", "--port", str(port)]
    with serve(command, port=port, cpu=server_cpu, log_path=workdir / "server-ceiling.log"):
        stats = run_load(
            f"http://127.0.0.1:{port}",
            RequestMix.get(["/health"]),
            concurrency=concurrency,
            duration_s=duration_s,
            warmup_s=warmup_s,
            cpu=load_cpu,
            generator=generator,
        )
    return stats.requests_per_s


def main() -> int:
    """Serve until interrupted."""
    cli = argparse.ArgumentParser(prog="python -m benchmarks.ceiling")
    cli.add_argument("--port", type=int, required=True)
    args = cli.parse_args()
    with contextlib.suppress(KeyboardInterrupt):  # SIGINT is how the benchmark stops it
        asyncio.run(_serve(args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
