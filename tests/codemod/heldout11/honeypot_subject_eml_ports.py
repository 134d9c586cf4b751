# Shape: a student honeypot: Server(smtpd.SMTPServer) with a 4-argument process_message
# (safe: every server is built with decode_data=True) that finds the Subject with a
# regex, logs the envelope through a global log-file object, and writes the data
# (encoded back to bytes) to "<time>-<subject letters>.eml"; SMTPHoneypot(ports=dict(),
# IPaddress='localhost') builds one unkept server per port of a dict (SSH, HTTP, FTP,
# SMTP: all port 0 here), logs "Started Listening at ..." for each and runs one bare
# asyncore.loop(); main() calls it. (Times are a counter here; the harness talks to the
# last server, whose port is printed alone.)
import asyncore
import re
import smtpd

from _record import record

Output = None


class logFile(object):
    def __init__(self, name='honeypot.log'):
        self.name = name
        self.n = 0

    def stamp(self):
        self.n += 1
        return '[%04d]' % self.n

    def LineTimestamped(self, line):
        print('%s %s' % (self.stamp(), line))

    def WriteWithTimeStamped(self, line):
        with open(self.name, 'a') as f:
            f.write('%s %s\n' % (self.stamp(), line))


def FormatTime():
    return Output.stamp().strip('[]')


class Server(smtpd.SMTPServer):
    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        subject = ''
        oMatch = re.search(r'Subject: (.*)', data)
        if oMatch:
            subject = repr(oMatch.groups()[0])

        # Logging
        Output.LineTimestamped('Email: %s %s %s %s' % (repr(peer[0]), repr(mailfrom), repr(rcpttos), subject))

        # Fetching mail content from the data
        f = open('%s-%s.eml' % (FormatTime(), ''.join([c for c in subject.replace(' ', '_') if c.lower() in 'abcdefghijklmnopqrstuvwxyz0123456789_'])), 'wb')
        f.write(data.encode())
        f.close()


def SMTPHoneypot(ports=dict(), IPaddress = 'localhost'):
    """
    Creating a Honeypot server with localhost as default IP address
    """
    global Output

    Output = logFile()
    for port in ports.values():
        server = Server((IPaddress, port), None, decode_data=True)
        Output.WriteWithTimeStamped(f"Started Listening at {IPaddress} : {port}")
        print(f"listening at {IPaddress}:{server.socket.getsockname()[1]}")
    print(server.socket.getsockname()[1], flush=True)
    asyncore.loop()


def main():
    """
    Equivalent to int main() function of C/C++
    """
    ports = {
        "SSH" : 0,
        "HTTP" : 0,
        "FTP" : 0,
        "SMTP" : 0
    }
    SMTPHoneypot(ports=ports, IPaddress='127.0.0.1')


if __name__ == "__main__":
    main()
