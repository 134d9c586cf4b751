# Shape: a class exercise: smtpd.SMTPServer itself instantiated (no subclass, so its
# process_message raises NotImplementedError), the loop on a named thread.
import asyncore
import smtpd
import sys
import threading

server = smtpd.SMTPServer(("127.0.0.1", 0), None)
loop_thread = threading.Thread(target=asyncore.loop, name="Asyncore Loop", daemon=True)
loop_thread.start()
print(server.socket.getsockname()[1], flush=True)
sys.stdin.readline()
server.close()
loop_thread.join(10)
print("done", flush=True)
