"""The ceiling: an asyncio protocol that answers SMTP correctly and does nothing else.

It parses just enough to answer (commands by their first four bytes, DATA ended only
by CRLF.CRLF), keeps no message, and answers each read with one write. Every other
engine does at least this much work, so its cost per message is the floor the others
are reported against.
"""

import asyncio
import signal
import socket

from _common import HOST, Sink, announce_port, parse_options, report_and_exit

OPTIONS = parse_options()
SINK = Sink(OPTIONS.handler_sleep)
HOSTNAME = socket.getfqdn().encode()

REPLIES = {
    b"EHLO": b"250-" + HOSTNAME + b"\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250 HELP\r\n",
    b"HELO": b"250 " + HOSTNAME + b"\r\n",
    b"MAIL": b"250 OK\r\n",
    b"RCPT": b"250 OK\r\n",
    b"RSET": b"250 OK\r\n",
    b"NOOP": b"250 OK\r\n",
    b"DATA": b"354 End data with <CR><LF>.<CR><LF>\r\n",
    b"QUIT": b"221 Bye\r\n",
}
END_OF_DATA = b"\r\n.\r\n"


class NullSMTP(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buffer = b""
        self.in_data = False
        transport.write(b"220 " + HOSTNAME + b" null responder\r\n")

    def data_received(self, data):
        buffer = self.buffer + data if self.buffer else data
        out = []
        while buffer:
            if self.in_data:
                end = buffer.find(END_OF_DATA)
                if end < 0:
                    # Keep only what could start the terminator: the body is not stored.
                    buffer = buffer[-4:]
                    break
                buffer = buffer[end + 5 :]
                self.in_data = False
                SINK.take(b"")
                out.append(b"250 OK\r\n")
                continue
            eol = buffer.find(b"\r\n")
            if eol < 0:
                break
            verb = buffer[:4].upper()
            buffer = buffer[eol + 2 :]
            out.append(REPLIES.get(verb, b"500 Error: command not recognized\r\n"))
            if verb == b"DATA":
                # The CRLF that ended the DATA line may start the terminator (empty body).
                self.in_data = True
                buffer = b"\r\n" + buffer
            elif verb == b"QUIT":
                self.transport.write(b"".join(out))
                self.transport.close()
                return
        self.buffer = buffer
        if out:
            self.transport.write(b"".join(out))


async def serve():
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    server = await loop.create_server(NullSMTP, sock=sock)
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
