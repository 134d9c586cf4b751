# Shape: a toy greylisting server: a module-level dict of (client IP, sender, recipient)
# triplets seen; GreylistServer(smtpd.SMTPServer) built with decode_data=True and a
# 4-argument process_message that answers "451 4.7.1 Greylisted, please try again later"
# the first time a triplet is seen (any new recipient in the envelope counts) and accepts
# on a retry, printing "accepted <sender> -> <recipients>"; a main() that loops with
# asyncore.loop() in try/except KeyboardInterrupt and prints how many triplets it knows.
import asyncore
import smtpd

from _record import record

SEEN = {}


class GreylistServer(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        new = False
        for rcpt in rcpttos:
            triplet = (peer[0], mailfrom.lower(), rcpt.lower())
            if triplet not in SEEN:
                SEEN[triplet] = 1
                new = True
            else:
                SEEN[triplet] += 1
        if new:
            return "451 4.7.1 Greylisted, please try again later"
        print("accepted %s -> %s" % (mailfrom, ", ".join(rcpttos)))


def main():
    server = GreylistServer(("127.0.0.1", 0), None, decode_data=True)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        print("known triplets:", len(SEEN))


if __name__ == "__main__":
    main()
