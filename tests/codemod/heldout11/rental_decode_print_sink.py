# Shape: a rental web site's development SMTP container: CustomSMTPServer(smtpd.SMTPServer)
# with a docstring in Russian ("test SMTP server that prints received mail to the
# terminal"), a **kwargs process_message annotated -> None that decodes the bytes with
# data.decode('utf-8') first, then prints the peer, sender, recipients, length and the
# decoded content; built at module level on the compose service's host name (127.0.0.1:0
# here), a print of the address, and a bare asyncore.loop().
import smtpd
import asyncore

from _record import record


class CustomSMTPServer(smtpd.SMTPServer):
    """Тестовый SMTP-сервер для приема писем и вывода их содержимого в терминал"""
    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs) -> None:
        record(peer, mailfrom, rcpttos, data, **kwargs)
        decoded_message = data.decode('utf-8')
        print('Received message from:', peer[0])
        print('Message addressed from:', mailfrom)
        print('Message addressed to  :', rcpttos)
        print('Message length        :', len(data))
        print('Message content:')
        print(decoded_message)


server = CustomSMTPServer(('127.0.0.1', 0), None)

print('SMTP server running on localhost:1025')
print(server.socket.getsockname()[1], flush=True)
asyncore.loop()
