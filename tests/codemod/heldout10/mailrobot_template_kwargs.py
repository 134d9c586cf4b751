# Shape: an operations "mail robot": MailRobot(smtpd.SMTPServer) whose __init__(*args,
# **kwargs) makes an agent-controller client and a template environment before calling
# the base by name (the caller passes decode_data=True); a 4-argument process_message
# parses the message into a key dict (header names, lower case), picks the template named
# by each recipient's local part, prints "Invalid robot address" and raises KeyError when
# no recipient names a robot (smtpd drops the connection), renders the template with the
# keys and hands the script to the agent client; a bare asyncore.loop() under __main__.
import asyncore
import email
import smtpd
import string

from _record import record

TEMPLATES = {
    "bob": "deploy ${subject}\nnotify ${x_test}",
    "carol": "restart ${subject}",
    "dave": "report ${subject} to ${to}",
}


class AgentClient:
    def __init__(self):
        self.jobs = 0

    def execute(self, robot, script):
        self.jobs += 1
        print("job %d for robot %s:" % (self.jobs, robot))
        for line in script.splitlines():
            print("    " + line)


class TemplateEnvironment:
    def __init__(self, templates):
        self.templates = templates

    def get_template(self, name):
        return string.Template(self.templates[name])


class MailRobot(smtpd.SMTPServer):

    def __init__(self, *args, **kwargs):
        self.acl = AgentClient()
        self.jenv = TemplateEnvironment(TEMPLATES)
        smtpd.SMTPServer.__init__(self, *args, **kwargs)

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        message = email.message_from_string(data)
        keys = {}
        for key, value in message.items():
            keys[key.lower().replace("-", "_")] = value
        robots = [r.split("@")[0] for r in rcpttos if r.split("@")[0] in TEMPLATES]
        if not robots:
            print("Invalid robot address %s" % ", ".join(rcpttos))
            raise KeyError(rcpttos[0])
        for robot in robots:
            script = self.jenv.get_template(robot).safe_substitute(keys)
            self.acl.execute(robot, script)


if __name__ == "__main__":
    robot = MailRobot(("127.0.0.1", 0), None, decode_data=True)
    print(robot.socket.getsockname()[1], flush=True)
    asyncore.loop()
