# Shape: an "smtpstub" command: usage text for -h, the port from sys.argv (default
# given in the script), smtpd.DebuggingServer(('localhost', port), None) instantiated
# directly, a start-up line, and a bare asyncore.loop().
import asyncore
import smtpd
import sys

if __name__ == "__main__":
    progname = sys.argv[0]
    args = sys.argv[1:]
    if len(args) > 1 or args in (["-h"], ["-help"], ["--help"]):
        print(
            """Usage: %(progname)s [port]
        Where 'port' is SMTP port number, 0 (any free port) by default."""
            % locals()
        )
        sys.exit(1)
    port = int(args[0]) if args else 0
    s = smtpd.DebuggingServer(("127.0.0.1", port), None)
    print("smtpstub starting on port")
    print(s.socket.getsockname()[1], flush=True)
    asyncore.loop()
