"""A real SMTP server on loopback for the email tests (aiosmtpd): prints each message it takes
as one JSON line {"to": [...], "from": ..., "subject": ..., "body": ...}, decoded."""
import json
import sys
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


class Sink:
    async def handle_DATA(self, server, session, envelope):
        m = message_from_bytes(envelope.content, policy=policy.default)
        line = {"to": envelope.rcpt_tos, "from": envelope.mail_from, "subject": str(m["subject"]), "body": m.get_content()}
        print(json.dumps(line, ensure_ascii=False), flush=True)
        return "250 OK"


controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
