"""The hand migration: the same sink served by plain aiosmtpd on an asyncio loop.

--handler async:    handle_DATA calls the application directly, on the event loop
                    (what a straight port of process_message does; a blocking
                    application then blocks the loop).
--handler executor: handle_DATA hands the application to loop.run_in_executor(None)
                    (the default pool), as aiosmtpd's docs advise for blocking work.

The socket is bound here and served with loop.create_server(sock=...), as aiosmtpd's
Controller would, minus its fixed-port readiness check; the host name is looked up
once, as Controller does.
"""

import asyncio
import signal
import socket

from _common import HOST, Sink, announce_port, parse_options, report_and_exit
from aiosmtpd.smtp import SMTP

OPTIONS = parse_options()
SINK = Sink(OPTIONS.handler_sleep)


class AsyncHandler:
    async def handle_DATA(self, server, session, envelope):
        SINK.take(envelope.content)
        return "250 OK"


class ExecutorHandler:
    async def handle_DATA(self, server, session, envelope):
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, SINK.take, envelope.content)
        return "250 OK"


async def serve():
    loop = asyncio.get_running_loop()
    handler = ExecutorHandler() if OPTIONS.handler == "executor" else AsyncHandler()
    hostname = socket.getfqdn()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    server = await loop.create_server(
        lambda: SMTP(handler, hostname=hostname, loop=loop), sock=sock
    )
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    announce_port(sock.getsockname()[1])
    await stop.wait()
    server.close()


def main():
    asyncio.run(serve())
    report_and_exit(SINK)


if __name__ == "__main__":
    main()
