# Shape: a web project's mail_server.py: a subclass named DebuggingServer of
# smtpd.DebuggingServer whose own process_message(**kwargs) prints a banner, the
# envelope and data.decode('utf-8', errors='ignore') instead of calling the base;
# run_smtp_server() prints a start line, builds the server and runs asyncore.loop() in
# try/except KeyboardInterrupt: pass, on a daemon Thread; the main thread keeps the
# process alive with a busy `while True: pass` inside try/except KeyboardInterrupt that
# prints a shutdown line.
import asyncore
import smtpd
import threading

from _record import record


class DebuggingServer(smtpd.DebuggingServer):
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        print("\n" + "=" * 20 + " [DEBUG EMAIL RECEIVED] " + "=" * 20)
        print(f"From: {mailfrom}")
        print(f"To: {rcpttos}")
        print("-" * 64)
        print(data.decode("utf-8", errors="ignore"))
        print("=" * 66 + "\n")


def run_smtp_server():
    print(">>> Starting local SMTP debug server...")
    server = DebuggingServer(("127.0.0.1", 0), None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    server_thread = threading.Thread(target=run_smtp_server)
    server_thread.daemon = True
    server_thread.start()

    # Keep the main thread alive to see the output
    try:
        while True:
            pass
    except KeyboardInterrupt:
        print("\nShutting down SMTP server.")
