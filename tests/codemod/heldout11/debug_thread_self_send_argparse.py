# Shape: a local SMTP test script (comments in Chinese in the original): an empty
# _DebuggingServer(smtpd.DebuggingServer) subclass "to extend when needed";
# start_debug_smtp(port=5000) builds it on 127.0.0.1 and runs
# threading.Thread(target=asyncore.loop, kwargs={"timeout": 1}) as a daemon, sleeps
# 0.2 s and returns (server, thread); send_test_email() completes a bare recipient name
# with @example.com, builds an EmailMessage and sends it with smtplib to the same port;
# an argparse main (recipient, --subject, --port) starts the server, sends one mail and
# then keeps the server up until stdin closes (port 0 here).
import argparse
import asyncore
import smtpd
import smtplib
import sys
import threading
import time
from email.message import EmailMessage


class _DebuggingServer(smtpd.DebuggingServer):
    # 继承以便在需要时扩展
    pass


def start_debug_smtp(port: int = 5000):
    server = _DebuggingServer(("127.0.0.1", port), None)

    thread = threading.Thread(target=asyncore.loop, kwargs={"timeout": 1})
    thread.daemon = True
    thread.start()

    # 给服务器一点时间启动
    time.sleep(0.2)
    return server, thread


def send_test_email(to_addr: str, subject: str = "测试邮件", body: str = "这是一封本地测试邮件。",
                    port: int = 5000, from_addr: str = "tester@example.com"):
    if "@" not in to_addr:
        to_addr = f"{to_addr}@example.com"

    msg = EmailMessage()
    msg["From"] = from_addr
    msg["To"] = to_addr
    msg["Subject"] = subject
    msg.set_content(body)

    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.send_message(msg)
    print(f"已发送测试邮件到 {to_addr}", flush=True)


def main():
    parser = argparse.ArgumentParser(description="本地 SMTP 测试")
    parser.add_argument("to", nargs="?", default="someone")
    parser.add_argument("--subject", default="测试邮件")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()

    server, thread = start_debug_smtp(args.port)
    port = server.socket.getsockname()[1]
    send_test_email(args.to, subject=args.subject, port=port)
    time.sleep(0.5)  # let the loop thread print the message first
    print(port, flush=True)
    sys.stdin.read()  # "press Ctrl+D to stop" in the adapted script
    server.close()
    print("stopped")


if __name__ == "__main__":
    main()
