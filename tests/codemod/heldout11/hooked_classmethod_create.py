# Shape: a pluggable mail listener: HookedSMTPServer(smtpd.SMTPServer) with no __init__;
# process_message(*args, **kwargs) logs "Running hook <hook>" with logging.info for each
# of self.hooks and calls it with the same arguments; run() wraps a bare asyncore.loop()
# in try/except Exception that closes (^C is not an Exception and passes through); a
# classmethod create(ip, port, hooks) builds the instance and sets hooks on it afterwards.
# The script's hooks record the message and print a summary.
import asyncore
import logging
import smtpd

from _record import record


class HookedSMTPServer(smtpd.SMTPServer):
    def process_message(self, *args, **kwargs):
        for hook in self.hooks:
            logging.info('Running hook {}'.format(hook))
            hook(*args, **kwargs)

    def run(self):
        try:
            asyncore.loop()
        except Exception:
            self.close()

    @classmethod
    def create(cls, ip, port, hooks):
        instance = cls((ip, port), None)
        instance.hooks = hooks
        return instance


def print_hook(peer, mailfrom, rcpttos, data, **kwargs):
    print('mail from %s to %s, %d bytes, options %s' % (
        mailfrom, ', '.join(rcpttos), len(data), sorted(kwargs.items())))


if __name__ == '__main__':
    logging.basicConfig(level=logging.INFO)
    server = HookedSMTPServer.create('127.0.0.1', 0, [record, print_hook])
    print(server.socket.getsockname()[1], flush=True)
    server.run()
