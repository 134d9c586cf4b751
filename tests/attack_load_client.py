"""Load generator for tests/test_load.py, run as a subprocess.

``python attack_load_client.py PORT COUNT``: opens COUNT connections at once, each
sends one message whose body is its number, and prints one JSON line: the numbers
whose whole dialogue succeeded and the errors of the others. Every step has a timeout.
"""

import asyncio
import json
import sys

STEP_TIMEOUT = 30.0


async def reply(reader: asyncio.StreamReader) -> bytes:
    lines = []
    while True:
        line = await asyncio.wait_for(reader.readline(), STEP_TIMEOUT)
        if not line:
            raise ConnectionError("closed after %r" % b"".join(lines))
        lines.append(line)
        if line[3:4] != b"-":
            return b"".join(lines)


async def expect(reader: asyncio.StreamReader, code: bytes) -> None:
    got = await reply(reader)
    if not got.startswith(code):
        raise AssertionError("expected %r, got %r" % (code, got))


async def one(port: int, number: int, connected: asyncio.Event, counter: list) -> None:
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port), STEP_TIMEOUT
    )
    try:
        await expect(reader, b"220 ")
        counter[0] += 1
        if counter[0] == counter[1]:
            connected.set()
        await asyncio.wait_for(connected.wait(), STEP_TIMEOUT)  # all open at once
        writer.write(
            b"EHLO load.example\r\nMAIL FROM:<load@example.com>\r\n"
            b"RCPT TO:<sink@example.com>\r\nDATA\r\n"
        )
        for code in (b"250", b"250 OK", b"250 OK", b"354"):
            await expect(reader, code)
        writer.write(b"message %d\r\n.\r\nQUIT\r\n" % number)
        await expect(reader, b"250 OK")
        await expect(reader, b"221 Bye")
    finally:
        writer.close()


async def main(port: int, count: int) -> None:
    connected = asyncio.Event()
    counter = [0, count]
    results = await asyncio.gather(
        *(one(port, n, connected, counter) for n in range(count)), return_exceptions=True
    )
    done = [n for n, r in enumerate(results) if r is None]
    errors = sorted({repr(r) for r in results if r is not None})
    print(json.dumps({"done": done, "errors": errors[:20]}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
