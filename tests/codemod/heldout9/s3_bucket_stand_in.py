# Shape: an "SMTP to S3" archiver: settings from environment variables with defaults at
# import (BUCKET, PREFIX, LISTEN_HOST/PORT), a boto3-style client made at import, and
# S3Archiver(smtpd.SMTPServer) with a 4-argument process_message (default decode_data:
# TypeError on every message under Python 3) that builds a key "<prefix>/<sender>/<n>.eml"
# and calls client.put_object(Bucket=..., Key=..., Body=data); under `if __name__ ==
# "__main__"` the server is built and asyncore.loop() wrapped in try/except
# KeyboardInterrupt calling sys.exit(0). (The S3 client is a stand-in that writes the
# object into a bucket directory next to the program.)
import asyncore
import os
import smtpd
import sys

from _record import record

BUCKET = os.environ.get("ARCHIVE_BUCKET", "mail-archive")
PREFIX = os.environ.get("ARCHIVE_PREFIX", "incoming")
LISTEN_HOST = os.environ.get("LISTEN_HOST", "127.0.0.1")
LISTEN_PORT = int(os.environ.get("LISTEN_PORT_ARCHIVER", "0"))


class FakeS3:
    """Stand-in for boto3.client('s3')."""

    def put_object(self, Bucket, Key, Body):
        path = os.path.join(Bucket, Key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(Body if isinstance(Body, bytes) else Body.encode())
        return {"ResponseMetadata": {"HTTPStatusCode": 200}}


client = FakeS3()


class S3Archiver(smtpd.SMTPServer):
    count = 0

    def process_message(self, peer, mailfrom, rcpttos, data):
        record(peer, mailfrom, rcpttos, data)
        S3Archiver.count += 1
        key = "%s/%s/%d.eml" % (PREFIX, mailfrom, self.count)
        client.put_object(Bucket=BUCKET, Key=key, Body=data)
        print("archived s3://%s/%s" % (BUCKET, key))


if __name__ == "__main__":
    server = S3Archiver((LISTEN_HOST, LISTEN_PORT), None)
    print(server.socket.getsockname()[1], flush=True)
    try:
        asyncore.loop()
    except KeyboardInterrupt:
        sys.exit(0)
