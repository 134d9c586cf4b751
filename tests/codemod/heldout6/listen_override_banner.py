# Shape: a classroom SMTP receiver: CustomSMTPServer(smtpd.SMTPServer) whose process_message
# spells out mail_options=None, rcpt_options=None and prints four Spanish PyMOTW-style
# lines, and which overrides listen(self, num: int) -> None to print a "ready" line
# before returning super().listen(num) (SMTPServer.__init__ calls it); module-level server,
# a bare asyncore.loop(), and a print after the loop that Ctrl+C never lets run. (The peer
# is printed without its port.)
import asyncore
import smtpd

from _record import record


class CustomSMTPServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data, mail_options=None, rcpt_options=None):
        record(peer, mailfrom, rcpttos, data, mail_options=mail_options, rcpt_options=rcpt_options)
        print("Recibiendo mensaje de:", peer[0])
        print("Mensaje enviado por:  ", mailfrom)
        print("Mensaje enviado a:    ", rcpttos)
        print("Tamaño del mensaje:   ", len(data))

    def listen(self, num: int) -> None:
        print("El servidor SMTP está listo para recibir mensajes")
        return super().listen(num)


server = CustomSMTPServer(("127.0.0.1", 0), None)
# server = smtpd.DebuggingServer(('127.0.0.1', 2525), None)
print(server.socket.getsockname()[1], flush=True)

asyncore.loop()

print("Servidor escuchando:")
