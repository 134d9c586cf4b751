# Shape: a cloud platform's deployment mail robot: MailRobot(smtpd.SMTPServer) whose
# __init__(*args, **kwargs) makes an email.parser.Parser(), an agent-controller client and
# a template folder before calling smtpd.SMTPServer.__init__ by name; a 4-argument
# process_message (default decode_data: TypeError on every message under Python 3) that
# would parse the data with parsestr, ignore mail for another mail server, read
# key/value "hrd" settings from the payload, run a remote deployment script and mail
# the result back with the platform's mail client in a bare try/except; a
# MailRobotFactory whose start() builds the robot (never kept) and runs
# asyncore.loop(timeout=300). (The platform objects are small local stand-ins; the port
# line is read from asyncore.socket_map since the robot is not kept; 127.0.0.1 port 0.)
import asyncore
import email.parser
import smtpd

from _record import record

CONFIG = {"mailrobot.mailserver": "example.com"}


class AgentController:
    def executeJumpScript(self, organization, name, args):
        return {"state": "OK", "result": {"app": args["appkwargs"].get("appdeck.app.name")}}


class MailClient:
    def send(self, to, sender, subject, body):
        print("mail to %s: %s" % (to, subject))


class MailRobot(smtpd.SMTPServer):

    def __init__(self, *args, **kwargs):
        self.emailparser = email.parser.Parser()
        self.acl = AgentController()
        self.mailclient = MailClient()
        self.templatefolder = "apps/mailrobot/templates"
        smtpd.SMTPServer.__init__(self, *args, **kwargs)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        mailserver = CONFIG.get("mailrobot.mailserver")
        msg = self.emailparser.parsestr(data)
        if mailserver != msg["To"].split("@")[1]:
            print("Received a message which is not going to be processed. "
                  "Mail server does not match")
            return
        mailfrom = msg["From"]
        try:
            appdict = {}
            for line in msg.get_payload().splitlines():
                if line.startswith("appdeck") and "=" in line:
                    key, value = line.split("=", 1)
                    appdict[key.strip()] = value.strip()
            print("Processing message from %s" % msg["From"])
            result = self.acl.executeJumpScript("jumpscale", "mailrobotrequest",
                                                args={"appkwargs": appdict})
            appname = appdict.get("appdeck.app.name", "default")
            if result["state"] != "OK":
                self.mailclient.send([mailfrom], "mailrobot@example.com",
                                     "Deployment %s Failed" % appname, "failed")
            else:
                self.mailclient.send([mailfrom], "mailrobot@example.com",
                                     "Deployment %s Succesfull" % appname, str(result))
        except:  # noqa: E722
            self.mailclient.send([mailfrom], "mailrobot@example.com", "Deployment Failed",
                                 "A generic error has occured.")


class MailRobotFactory(object):  # noqa: UP004
    def start(self):
        MailRobot(("127.0.0.1", 0), None)
        for dispatcher in list(asyncore.socket_map.values()):
            print(dispatcher.socket.getsockname()[1], flush=True)
        asyncore.loop(timeout=300)


if __name__ == "__main__":
    MailRobotFactory().start()
