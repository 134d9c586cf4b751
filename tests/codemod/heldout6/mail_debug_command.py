# Shape: a Django extensions "mail_debug" management command: Command(BaseCommand) with
# help/args/requires_model_validation, handle(addrport='', *args, **options) splitting
# "addr:port" (CommandError on a bad port), an inner_run() closure that writes "Now
# accepting mail at addr:port" through self.stdout and builds an unkept
# smtpd.DebuggingServer((addr, port), None) before a bare asyncore.loop(); handle() calls
# inner_run() in try/except KeyboardInterrupt: pass. (BaseCommand is a small stand-in;
# the server is kept in a local to print its real port.)
import asyncore
import smtpd
import sys


class CommandError(Exception):
    pass


class OutputWrapper:
    def __init__(self, out, ending="\n"):
        self._out = out
        self.ending = ending

    def write(self, msg):
        if not msg.endswith(self.ending):
            msg += self.ending
        self._out.write(msg)


class BaseCommand:
    def __init__(self):
        self.stdout = OutputWrapper(sys.stdout)


class Command(BaseCommand):
    help = "Starts a test mail server for development."
    args = "[optional port number or ippaddr:port]"

    requires_model_validation = False

    def handle(self, addrport="", *args, **options):
        if args:
            raise CommandError("Usage is runserver %s" % self.args)
        if not addrport:
            addr = ""
            port = "1025"
        else:
            try:
                addr, port = addrport.split(":")
            except ValueError:
                addr, port = "", addrport
        if not addr:
            addr = "127.0.0.1"

        if not port.isdigit():
            raise CommandError("%r is not a valid port number." % port)
        else:
            port = int(port)

        def inner_run():
            # use self.stdout so Django management handles encoding
            self.stdout.write("Now accepting mail at %s:%s" % (addr, port))
            _server = smtpd.DebuggingServer((addr, port), None)
            print(_server.socket.getsockname()[1], flush=True)
            asyncore.loop()

        try:
            inner_run()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    Command().handle("127.0.0.1:0")
