# A service taking its own settings out of **kwargs (pop, del) before the base
# __init__ gets the rest, with a default of its own for smtpd's decode_data.
import asyncore
import smtpd

from _record import record


class ArchiveServer(smtpd.SMTPServer):
    def __init__(self, *args, **kwargs):
        self.archive = kwargs.pop("archive")
        self.label = kwargs.pop("label", "inbox")
        self.verbose = kwargs["verbose"]
        del kwargs["verbose"]
        kwargs.setdefault("decode_data", True)
        super().__init__(*args, **kwargs)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.archive.append(data)
        if self.verbose:
            print(self.label, len(self.archive), mailfrom, type(data).__name__, flush=True)


server = ArchiveServer(
    ("127.0.0.1", 0), None, archive=[], verbose=True, data_size_limit=4096
)
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
