# Shape: a dotfiles shell alias `maild="python -c 'import smtpd, asyncore;
# smtpd.DebuggingServer((\"127.0.0.1\", 25), None); asyncore.loop()'"` saved as a script:
# the whole program is one line of semicolon-separated statements, the DebuggingServer
# instance is never kept in a name (it lives in asyncore's socket map) and the bare loop
# is ended by Ctrl+C with a traceback. (Port 0, and the port printed from the same line
# through the unkept instance.)
import smtpd, asyncore; print(smtpd.DebuggingServer(("127.0.0.1", 0), None).socket.getsockname()[1], flush=True); asyncore.loop()  # noqa: E401, E702, E501, I001
