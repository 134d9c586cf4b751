# Shape: a dev mail catcher: a module global output_dir set by the argparse main (-o,
# --output-dir); DebuggingServer(smtpd.DebuggingServer) (the subclass takes the base's
# name) whose __init__(localaddr, remoteaddr) reads the global into self.path before
# calling the base by name; a 4-argument process_message (default decode_data: TypeError
# on every message under Python 3) that would call the base's process_message by name,
# flush stdout and, with a path, write the data to a file named from the time (a
# counter here); main() configures logging, builds the server, logs the address and
# runs asyncore.loop() in try/except KeyboardInterrupt, logging the stop.
import argparse
import asyncore
import logging
import os
import smtpd
import sys

from _record import record

output_dir = None
count = [0]


class DebuggingServer(smtpd.DebuggingServer):
    def __init__(self, localaddr, remoteaddr):
        global output_dir
        self.path = output_dir
        smtpd.DebuggingServer.__init__(self, localaddr, remoteaddr)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        smtpd.DebuggingServer.process_message(self,
                                              peer,
                                              mailfrom,
                                              rcpttos,
                                              data)
        sys.stdout.flush()
        if self.path is None:
            return
        count[0] += 1
        filename = 'mail-%04d.eml' % count[0]
        with open(os.path.join(self.path, filename), 'w') as f:
            f.write(data)
        logging.info('saved %s', filename)


def main():
    global output_dir
    parser = argparse.ArgumentParser()
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('-p', '--port', type=int, default=0)
    parser.add_argument('-o', '--output-dir', default='mails')
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format='%(levelname)s %(message)s')
    output_dir = args.output_dir
    if output_dir and not os.path.isdir(output_dir):
        os.makedirs(output_dir)
    server = DebuggingServer((args.host, args.port), None)
    logging.info('listening on %s', args.host)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        logging.info('stopped')


if __name__ == '__main__':
    main()
