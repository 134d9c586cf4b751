# Shape: a relay that notifies chat channels: a Log helper class with write_Log(level,
# msg), CustomSMTPServer(smtpd.PureProxy) with no __init__ but a set_env(logger,
# notichanl, notiuser) called after construction that sets name-mangled privates
# (self.__o_Logger, self.__o_Slack, self.__o_Jandi, ...) and builds one notifier per
# configured channel (the Slack one left commented out, so a configured Slack token
# would hit None); a **kwargs process_message that logs the envelope, posts a
# notification per configured channel (stand-ins printing here) and then relays with
# the inherited self._deliver() to the upstream (nothing listens there: every recipient
# comes back refused, which it logs); a bare loop in a try/except KeyboardInterrupt.
import asyncore
import smtpd
import socket
import sys

from _record import record


class Log(object):
    DEBUG, INFO, ERR = 'DEBUG', 'INFO', 'ERROR'

    def write_Log(self, level, msg):
        print('[%s] %s' % (level, msg), file=sys.stderr)


class JandiNoti(object):
    def __init__(self, logger):
        self.logger = logger
        self.channels = []

    def add_channels(self, channels):
        self.channels.extend(channels)

    def send(self, user, text):
        for channel in self.channels:
            print('jandi %s @%s: %s' % (channel, user, text))


class CustomSMTPServer(smtpd.PureProxy):

    def set_env(self, v_logger, v_notichanl, v_notiuser):
        self.__o_Logger = v_logger
        self.__o_Slack = None
        self.__o_NtUr = v_notiuser
        self.__o_NtCl = v_notichanl
        self.__o_Jandi = None

        if v_notichanl.get("slack") != None:
            #self.__o_Slack = SlackNoti(v_logger)
            self.__o_Slack.add_token(v_notichanl['slack'])

        if len(v_notichanl.get("jandi")) > 0:
            self.__o_Jandi = JandiNoti(v_logger)
            self.__o_Jandi.add_channels(v_notichanl.get("jandi"))

        self.__o_Logger.write_Log(Log.DEBUG, 'channels: %s' % sorted(v_notichanl))

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        self.__o_Logger.write_Log(Log.INFO, 'mail %s -> %s (%d bytes)' % (mailfrom, rcpttos, len(data)))
        if self.__o_Jandi != None:
            self.__o_Jandi.send(self.__o_NtUr, 'new mail from %s' % mailfrom)
        refused = self._deliver(mailfrom, rcpttos, data)
        if refused:
            self.__o_Logger.write_Log(Log.ERR, 'refused: %s' % sorted(refused))


def closed_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


if __name__ == '__main__':
    o_logger = Log()
    server = CustomSMTPServer(('127.0.0.1', 0), ('127.0.0.1', closed_port()))
    server.set_env(o_logger, {'jandi': ['ops-alerts']}, 'oncall')
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        o_logger.write_Log(Log.INFO, 'stopped')
