# Shape: a desktop "local mail viewer" (Tkinter): ViewerServer(smtpd.SMTPServer) whose
# __init__(localaddr, listbox) keeps the list box and calls the base with remoteaddr None;
# a **kwargs process_message that parses message_from_bytes and inserts "<sender>:
# <subject>" into the list box; the GUI's root.after(50, poll) re-arms a poll() that runs
# asyncore.loop(timeout=0, count=1), and root.mainloop() runs until Ctrl+C, caught to
# destroy the window. (Tk is a small stand-in without a display: after() and mainloop()
# keep the same order of calls; the list box prints what is inserted.)
import asyncore
import email
import smtpd
import time

from _record import record


class Listbox:
    def __init__(self):
        self.items = []

    def insert(self, index, text):
        self.items.append(text)
        print("[list] %s" % text)


class Tk:
    """Stand-in for tkinter.Tk: a timer queue run by mainloop()."""

    def __init__(self):
        self._timers = []
        self._alive = True

    def after(self, ms, func):
        self._timers.append((time.monotonic() + ms / 1000.0, func))

    def mainloop(self):
        while self._alive and self._timers:
            self._timers.sort(key=lambda t: t[0])
            when, func = self._timers.pop(0)
            delay = when - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            func()

    def destroy(self):
        self._alive = False
        print("window closed")


class ViewerServer(smtpd.SMTPServer):
    def __init__(self, localaddr, listbox):
        smtpd.SMTPServer.__init__(self, localaddr, None)
        self.listbox = listbox

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        msg = email.message_from_bytes(data)
        self.listbox.insert("end", "%s: %s" % (mailfrom, msg["Subject"]))


root = Tk()
listbox = Listbox()
server = ViewerServer(("127.0.0.1", 0), listbox)


def poll():
    asyncore.loop(timeout=0, count=1)
    root.after(50, poll)


print(server.socket.getsockname()[1], flush=True)
root.after(50, poll)
try:
    root.mainloop()
except KeyboardInterrupt:
    root.destroy()
print("messages shown:", len(listbox.items))
