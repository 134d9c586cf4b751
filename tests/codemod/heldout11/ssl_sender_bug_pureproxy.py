# Shape: a student "encrypting proxy": hard-coded relay credentials at module level,
# MySMTPproxy(smtpd.PureProxy) with a send_mail(smtp_ssl_host, smtp_ssl_port, user,
# password, recipient, data) helper whose try block calls smtplib.SMTP_SSL(self,
# smtp_ssl_host, smtp_ssl_port) (self passed as the host: it fails before any network
# use) and whose except prints the error; a **kwargs process_message that makes a key
# folder per sender, prints the envelope and calls send_mail for each recipient; the
# server is built unkept at module level and a bare asyncore.loop() runs it.
import asyncore
import os
import smtpd
import smtplib

from _record import record

#Credentials smtp for the relay
user = 'relayuser'
password = 'relaypass'
address = 'smtp.relay.invalid'
domain = 'smtp.gmail.com'
port = 465 #'2525'


class MySMTPproxy(smtpd.PureProxy):

    def send_mail(self, smtp_ssl_host, smtp_ssl_port, user, password, recipient, data):
        try:
            server = smtplib.SMTP_SSL(self, smtp_ssl_host, smtp_ssl_port)
            # server = smtplib.SMTP(smtp_ssl_host, smtp_ssl_port)
            sender = 'Student'

            if server.has_extn('STARTTLS'):
                server.starttls()
                server.ehlo()  # re-identify ourselves over TLS connection

            server.login(user, password)
            server.sendmail(sender, recipient, data)
            server.quit()
            print('Email sent to', recipient)
        except Exception as e:
            print('Error: unable to send email:', e)

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        record(peer, mailfrom, rcpttos, data, **kwargs)
        if not os.path.exists(mailfrom):
            os.mkdir(mailfrom)  # gen_keys(user) made the key pair here
        print('Receiving message from:', peer[0])
        print('Message addressed from:', mailfrom)
        print('Message addressed to  :', rcpttos)
        for recipient in rcpttos:
            self.send_mail(domain, port, user, password, recipient, data)


print(MySMTPproxy(('127.0.0.1', 0), (address, port)).socket.getsockname()[1], flush=True)

asyncore.loop()
