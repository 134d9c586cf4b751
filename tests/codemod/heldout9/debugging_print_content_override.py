# Shape: a "headers only" debug server: HeadersOnlyServer(smtpd.DebuggingServer) that
# overrides DebuggingServer's private _print_message_content(peer, data) to print only
# the header block (decoded from bytes, one "| " line each) and the body size, keeping
# DebuggingServer.process_message's banner lines and option lines; main() builds it with
# decode_data left at its default and runs asyncore.loop(timeout=1) in try/except
# KeyboardInterrupt printing "done".
import asyncore
import smtpd


class HeadersOnlyServer(smtpd.DebuggingServer):
    def _print_message_content(self, peer, data):
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        head, _, body = text.partition("\n\n")
        for line in head.splitlines():
            print("| " + line)
        print("| X-Peer: " + peer[0])
        print("(%d body bytes)" % len(body))


def main():
    server = HeadersOnlyServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop(timeout=1)
    except KeyboardInterrupt:
        print("done")


if __name__ == "__main__":
    main()
