# Shape: a monitoring-alert responder (tab-indented, Python 2 era): AlertSmtpServer(
# smtpd.SMTPServer) whose __init__(host, log_file, log_size, log_level) takes the size and
# level as strings, maps the level with an if/elif chain, adds a RotatingFileHandler to a
# named logger, logs "Alert responding smtp server running ..." and only then calls the
# base by name; a 4-argument process_message (default decode_data: TypeError on every
# message under Python 3) that would re-read a config file on every message, log the
# peer and sender and resolve a host name to decide on a DNS failover; a bare loop.
import asyncore
import configparser
import logging
import logging.handlers
import smtpd
import socket

from _record import record

config = configparser.ConfigParser()
with open('dynect.cfg', 'w') as cfg:  # /etc/gomez_alerts/dynect.cfg in the original
	cfg.write('[dns_settings]\nfailover_address = 192.0.2.44\n')


class AlertSmtpServer(smtpd.SMTPServer):

	def __init__(self, host, log_file, string_size, llevel):
		self.host = host
		self.log_file = log_file
		self.log_byte_size = int(string_size)

		if llevel == "DEBUG":
			self.log_level = logging.DEBUG
		elif llevel == "INFO":
			self.log_level = logging.INFO
		elif llevel == "WARNING":
			self.log_level = logging.WARNING
		elif llevel == "ERROR":
			self.log_level = logging.ERROR
		else:
			self.log_level = logging.CRITICAL

		#set the logging leve
		self.logger = logging.getLogger('alertSmtpLogger')
		self.logger.setLevel(self.log_level)

		# Add the log message handler to the logger
		handler = logging.handlers.RotatingFileHandler(self.log_file, maxBytes=self.log_byte_size, backupCount=5)

		self.logger.addHandler(handler)

		self.logger.info("Alert responding smtp sever running on port 25")

		smtpd.SMTPServer.__init__(self, (self.host, 0), None)

	def process_message(self, peer, mailfrom, rcpttos, data):
		record(peer, mailfrom, rcpttos, data)
		self.logger.debug("Entering process_message")
		self.logger.debug("email from peer: (" + str(peer[0]) + ")")
		self.logger.debug("email from: " +  mailfrom)

		config.read_file(open('dynect.cfg'))
		self.failover_address = config.get('dns_settings', 'failover_address')

		# Do your authentication of email test here
		if True:
			original_ip = ""
			try:
				original_ip = socket.gethostbyname(self.host)
			except:
				self.logger.warning("Could not get ip for " + self.host)
				return
			if original_ip != self.failover_address:
				self.logger.info("failing over " + self.host + " to " + self.failover_address)
			else:
				self.logger.info("already failed over")


server = AlertSmtpServer('127.0.0.1', 'alert_smtp.log', '1048576', 'INFO')
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
