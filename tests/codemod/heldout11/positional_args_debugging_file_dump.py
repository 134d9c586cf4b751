# Shape: a debugging sink writing files: `from smtpd import DebuggingServer`,
# MyDebuggingServer(DebuggingServer) overriding the private _print_message_content(peer,
# data) to write the lines (X-Peer inserted after the headers, repr() of bytes lines) to
# a text file named from the wall clock to the second (a counter here), and a **kwargs
# process_message whose banner and option prints are commented out so it only calls
# that; under __main__ the instance is built with all six positional arguments
# (localaddr, None, 33554432, None, False, True: decode_data=True) and bound to a
# variable named smtpd; a bare asyncore.loop().
from smtpd import DebuggingServer
import asyncore
import time

from _record import record

count = [0]


class MyDebuggingServer(DebuggingServer):

    def _print_message_content(self, peer, data):
        count[0] += 1
        with open('message-%04d.txt' % count[0], "w") as output:
            inheaders = 1
            lines = data.splitlines()
            for line in lines:
                # headers first
                if inheaders and not line:
                    peerheader = 'X-Peer: ' + peer[0]
                    if not isinstance(data, str):
                        # decoded_data=false; make header match other binary output
                        peerheader = repr(peerheader.encode('utf-8'))
                    output.write(peerheader + "\n")
                    inheaders = 0
                if not isinstance(data, str):
                    # Avoid spurious 'str on bytes instance' warning.
                    line = repr(line)
                output.write(line + "\n")

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        # print('---------- MESSAGE FOLLOWS ----------')
        # if kwargs:
        #     if kwargs.get('mail_options'):
        #         print('mail options: %s' % kwargs['mail_options'])
        #     if kwargs.get('rcpt_options'):
        #         print('rcpt options: %s\n' % kwargs['rcpt_options'])
        self._print_message_content(peer, data)
        # print('------------ END MESSAGE ------------')


if __name__ == '__main__':
    smtpd = MyDebuggingServer( ("127.0.0.1", 0), None, 33554432, None, False, True)
    print(smtpd.socket.getsockname()[1], flush=True)
    asyncore.loop()
