# Shape: an automation tool's integration-test mail server: a guarded import (try the
# third-party smtpd_tls, fall back to smtpd and print that STARTTLS is not supported),
# ports from argv as "port1:port2" (default here "0:0"), a certificate named after the
# script that only the TLS branch would use, then one smtpd.DebuggingServer per port
# (smtp_server1 and smtp_server2, never read again), "Start SMTP server on port <n>"
# printed for each as configured, and asyncore.loop() in try/except KeyboardInterrupt:
# pass.
import asyncore
import os.path
import ssl
import sys

# Handle TLS and non-TLS support
try:
    import smtpd_tls
    HAS_TLS = True
except ImportError:
    import smtpd
    HAS_TLS = False
    print("Library smtpd-tls is missing or not supported, hence starttls is NOT supported.")

# Handle custom ports
port = "0:0"
if len(sys.argv) > 1:
    port = sys.argv[1]
ports = port.split(":")
if len(ports) > 1:
    port1, port2 = int(ports[0]), int(ports[1])
else:
    port1, port2 = int(port), None

# Handle custom certificate
basename = os.path.splitext(sys.argv[0])[0]
certfile = basename + ".crt"
if len(sys.argv) > 2:
    certfile = sys.argv[2]

ssl_ctx = None
if HAS_TLS and os.path.exists(certfile):
    ssl_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ssl_ctx.load_cert_chain(certfile=certfile)

if HAS_TLS and ssl_ctx is not None:
    print("Using %s" % certfile)
    smtp_server1 = smtpd_tls.DebuggingServer(("127.0.0.1", port1), None, ssl_ctx=ssl_ctx,
                                             starttls=True)
    print("Start SMTP server on port", port1)
    if port2:
        smtp_server2 = smtpd_tls.DebuggingServer(("127.0.0.1", port2), None,
                                                 ssl_ctx=ssl_ctx, startssl=True)
        print("Start SMTP server on port", port2)
else:
    smtp_server1 = smtpd.DebuggingServer(("127.0.0.1", port1), None)
    print(smtp_server1.socket.getsockname()[1], flush=True)
    print("Start SMTP server on port", port1)
    if port2 is not None:
        smtp_server2 = smtpd.DebuggingServer(("127.0.0.1", port2), None)
        print("Start SMTP server on port", port2)

try:
    asyncore.loop()
except KeyboardInterrupt:
    pass
