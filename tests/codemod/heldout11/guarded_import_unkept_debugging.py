# Shape: a mail-sending tool's bundled test server: module metadata (__author__,
# __license__, __date__, __version__ = "0.1"), every import inside try/except ImportError
# that prints the error joined with os.linesep and exits with -2; smtp_server(port) makes
# an unkept smtpd.DebuggingServer(("localhost", port), None) (127.0.0.1 and port 0 here,
# its port printed from inside the function); main() calls it and runs asyncore.loop()
# in try/except KeyboardInterrupt: pass.
__author__ = "A. Developer <dev@example.com>"
__license__ = "GNU General Public License version 3"
__date__ = "26/12/2010"
__version__ = "0.1"

try:
    import sys
    import os
    import asyncore
    import smtpd
except ImportError:
    # Checks the installation of the necessary python modules
    print((os.linesep * 2).join(["An error found importing one module:",
    str(sys.exc_info()[1]), "You need to install it", "Stopping..."]))
    sys.exit(-2)

def smtp_server(port):
    """Starts a smtp server for test purposes."""
    server = smtpd.DebuggingServer(("127.0.0.1", port), None)
    print(server.socket.getsockname()[1], flush=True)


def main():
    """Main section"""

    smtp_server(0)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        pass

if __name__ == "__main__":
    main()
