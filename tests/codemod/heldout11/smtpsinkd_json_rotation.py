# Shape: an SMTP sink daemon (two-space indents, Python 2 prints made calls):
# SmtpSinkServer(smtpd.SMTPServer) with a class-level mangled __lock, __init__(host, port,
# sink_dir='/tmp/smtpsink', msg_ct=50, **kwargs) that prints "SMTPSink ready for
# service.", forwards **kwargs to the base called by name, creates the sink directory and
# keeps the message count; a 4-argument process_message(self, peer, mailfrom, rcptto,
# data) (default decode_data: TypeError on every message under Python 3) that would take
# the lock, prune old files, name the file from the local time and dump the envelope and
# data as JSON; an argparse main (optional host and port, --sink-dir, --msg-ct,
# --version) with asyncore.loop() in try/except KeyboardInterrupt that closes the server.
import argparse
import asyncore
import json
import os
import re
import smtpd
import threading
import time

from _record import record

VERSION='0.0.2'

class SmtpSinkServer(smtpd.SMTPServer):
  """SMTP Sink class."""

  __lock = threading.Lock()

  def __init__(self, host, port, sink_dir='/tmp/smtpsink', msg_ct=50, **kwargs):
    print('SMTPSink ready for service.')
    smtpd.SMTPServer.__init__(self, (host, port), None, **kwargs)
    self._sink_dir = sink_dir
    if not os.path.exists(self._sink_dir):
      os.makedirs(self._sink_dir)
    self._msg_ct = msg_ct

  def process_message(self, peer, mailfrom, rcptto, data):
    """Save the received message into a log."""
    record(peer, mailfrom, rcptto, data)
    self.__lock.acquire()
    pat = re.compile(r'\d\d\d\d-\d\d-\d\d \d\d:\d\d:\d\d.\d+$')
    msgs = [f for f in sorted(os.listdir(self._sink_dir)) if pat.match(f)]
    if len(msgs) > self._msg_ct:
      for doomed in msgs[:-self._msg_ct]:
        os.unlink(os.path.join(self._sink_dir, doomed))
    fn = time.strftime('%Y-%m-%d %H:%M:%S.', time.localtime())
    i = 0
    while os.path.exists(os.path.join(self._sink_dir, fn + str(i))):
      i += 1
    fn = fn + str(i)
    f = open(os.path.join(self._sink_dir, fn), 'w')
    f.write(json.dumps({
      'peer': peer,
      'mailfrom': mailfrom,
      'rcptto': rcptto,
      'data': data,
      }))
    f.close()
    self.__lock.release()


if __name__ == '__main__':
  parser = argparse.ArgumentParser(prog='smtpsinkd.py',
    usage='%(prog)s [host [port]] [flags]',
    description='SMTP Sink server')
  parser.add_argument('host', nargs='?', default='127.0.0.1')
  parser.add_argument('port', nargs='?', type=int, default=0)
  parser.add_argument('--sink-dir', default='log',
      help='The dir to dump mail messages in.')
  parser.add_argument('--msg-ct', default=50, type=int,
      help='Number of messages to keep.')
  parser.add_argument('-v', '--version', action='version',
      version='%(prog)s ' + VERSION)
  args = parser.parse_args()
  smtpsink = SmtpSinkServer(args.host, args.port,
      sink_dir=args.sink_dir, msg_ct=args.msg_ct)
  print(smtpsink.socket.getsockname()[1], flush=True)
  try:
    asyncore.loop()
  except KeyboardInterrupt:
    smtpsink.close()
