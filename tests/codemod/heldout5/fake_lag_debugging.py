# Shape: a client-timeout test helper: Server(smtpd.DebuggingServer) with
# __init__(localaddr, remoteaddr, fake_lag=None) calling super().__init__, and
# process_message(self, *args, **kwargs) calling super(Server, self).process_message(*args,
# **kwargs) and then sleeping fake_lag seconds (the event loop stalls); argparse for
# host, port and lag under __main__, a bare loop.
import asyncore
import smtpd
import time

from _record import record


class Server(smtpd.DebuggingServer):
    def __init__(self, localaddr, remoteaddr, fake_lag=None):
        super().__init__(localaddr, remoteaddr)
        self.fake_lag = fake_lag

    def process_message(self, *args, **kwargs):
        record(*args, **kwargs)
        super(Server, self).process_message(*args, **kwargs)  # noqa: UP008
        if self.fake_lag:
            time.sleep(self.fake_lag)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="SMTP server that answers slowly")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--lag", type=float, default=0.05)
    args = parser.parse_args()
    server = Server((args.host, args.port), None, fake_lag=args.lag)
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()
