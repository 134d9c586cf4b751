# Shape: a project's "run this before flows that send e-mail" debug server: smtpd and
# asyncore imported in try/except that prints and exits 1 when they are missing, a
# DebugServer(smtpd.DebuggingServer) whose **kwargs process_message prints its own block
# (peer, from, to, the data as is) and returns, and a main that prints where it listens
# and loops until Ctrl+C.
import sys

try:
    import asyncore
    import smtpd
except Exception as e:
    print("smtpd not available in this Python runtime:", e)
    sys.exit(1)

from _record import record


class DebugServer(smtpd.DebuggingServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("\n--- SMTP Debug Message ---")
        print("Peer:", peer[0])
        print("From:", mailfrom)
        print("To:", rcpttos)
        print("Data:\n")
        print(data)
        print("--- End Message ---\n")
        return


def main():
    server = DebugServer(("127.0.0.1", 0), None)
    print("SMTP debug server running; waiting for messages")
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print("Stopping SMTP debug server")


if __name__ == "__main__":
    main()
