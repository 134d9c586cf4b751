# Shape: a "send without auth" helper script (French comments and emoji prints):
# start_local_smtp_server(port=1025) imports smtpd and asyncore inside the function,
# defines LocalSMTPServer(SMTPServer) there with a **kwargs process_message printing
# "Email reçu de ...", the recipients and the size, builds it unkept-by-caller, runs
# asyncore.loop(timeout=1) in a daemon Thread whose target prints a start line first,
# sleeps 1 s and returns the thread; send_email_no_auth() starts it and sends one message
# through it with smtplib.sendmail (bare "\n" line ends). Adapted: port 0, and the script
# keeps serving until stdin closes instead of ending after its own mail.
import smtplib
import sys
from threading import Thread
import time

from _record import record

PORT = [None]


def start_local_smtp_server(port=1025):
    """Démarre un mini serveur SMTP en arrière-plan"""
    from smtpd import SMTPServer
    import asyncore

    class LocalSMTPServer(SMTPServer):
        def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
            record(peer, mailfrom, rcpttos, data, **kwargs)
            print(f"📨 Email reçu de {mailfrom}")
            print(f"   Pour: {rcpttos}")
            print(f"   Taille: {len(data)} octets")
            # Ici tu pourrais sauvegarder le mail dans un fichier
            return

    server = LocalSMTPServer(('127.0.0.1', port), None)
    PORT[0] = server.socket.getsockname()[1]

    def run_server():
        print(f"🖥️  Serveur SMTP démarré sur localhost")
        asyncore.loop(timeout=1)

    thread = Thread(target=run_server, daemon=True)
    thread.start()
    time.sleep(1)  # Laisse le temps de démarrer
    return thread


# Utilisation
def send_email_no_auth():
    # Démarre le serveur
    start_local_smtp_server(0)

    # Envoie via ce serveur
    with smtplib.SMTP('127.0.0.1', PORT[0]) as server:
        server.sendmail(
            'moi@localhost',
            ['ton_email@example.com'],
            'Subject: Donnees\n\nContenu ici'
        )
    print("✅ Email envoyé via serveur local", flush=True)


if __name__ == '__main__':
    send_email_no_auth()
    print(PORT[0], flush=True)
    sys.stdin.read()
    print("fin")
