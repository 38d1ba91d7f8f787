#!/usr/bin/python3
"""`vkattn chat` driven as a person would, through a pseudo-terminal (the standard library's pty), with the
built-in demo model (no chat template of its own: chatml is used, with a note) and greedy sampling:
  * a reply streams back after each message and the prompt returns;
  * the second turn reuses the KV cache (-v reports reused > 0 and prefills fewer tokens than the whole
    conversation), and its reply equals the reply of a session that re-prefills everything (--no-reuse,
    input piped: also the non-terminal path);
  * /clear forgets the conversation: the same first message gets the same first reply;
  * Ctrl-C stops a long reply without leaving, and the conversation goes on; at the prompt it drops the line
    being typed; /exit and Ctrl-D leave with status 0;
  * a small context (-c 96) fills: the chat says so, drops the oldest turns and keeps answering;
  * an unknown --chat-template is an error naming it.
"""
import argparse
import os
import pty
import re
import select
import subprocess
import sys
import termios
import time

CHECKS = [0]


class Session:
    def __init__(self, cmd, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execvpe(cmd[0], cmd, env)
        self.buf = b""

    def line_editor_waits(self):
        """True when the terminal is in the line editor's raw mode: it is reading a line. During a reply the
        terminal is back in canonical mode, so a reply that happens to end in "\\n> " is not taken for a prompt,
        and nothing is typed before the editor can read it (typed-ahead bytes in canonical mode are echoed by the
        tty, and a typed-ahead Ctrl-D is lost when the editor switches modes, in every readline library)."""
        return not (termios.tcgetattr(self.fd)[3] & termios.ICANON)

    def read_until(self, pattern, timeout=120, prompt=False):
        end = time.time() + timeout
        while True:
            m = re.search(pattern, self.buf, re.S)
            if m and (not prompt or not self.raw or self.line_editor_waits()):
                out, self.buf = self.buf[:m.end()], self.buf[m.end():]
                return out
            left = end - time.time()
            if left <= 0:
                raise TimeoutError("waited for %r; got %r" % (pattern, self.buf[-500:]))
            r, _, _ = select.select([self.fd], [], [], min(left, 0.05) if m else left)
            if r:
                try:
                    data = os.read(self.fd, 4096)
                except OSError:
                    data = b""
                if not data:
                    raise EOFError("session ended; got %r" % self.buf[-500:])
                self.buf += data

    def first_prompt(self, timeout=120):
        """waits for the first prompt and learns whether a line editor (libedit) reads the lines"""
        self.raw = False
        self.read_until(rb"> $", timeout)
        end = time.time() + 2
        while time.time() < end and not self.line_editor_waits():
            time.sleep(0.02)
        self.raw = self.line_editor_waits()

    def send(self, text):
        os.write(self.fd, text)

    def turn(self, text, timeout=120):
        self.send(text.encode() + b"\r")
        return self.read_until(rb"\n> $", timeout, prompt=True).decode("utf-8", "replace")

    def wait(self, timeout=180):
        end = time.time() + timeout
        while time.time() < end:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            try:
                r, _, _ = select.select([self.fd], [], [], 0.2)
                if r:
                    self.buf += os.read(self.fd, 4096)
            except OSError:
                pass
        os.kill(self.pid, 9)
        return None


def reply_of(transcript, sent):
    """the reply text in one turn's terminal output (echo, -v lines and prompt removed)"""
    t = transcript.replace("\r\n", "\n")
    t = t.rsplit(sent, 1)[-1]  # typed-ahead input may be echoed twice (tty echo, then the line editor)
    lines = [ln for ln in t.split("\n") if not ln.startswith("[") and ln != "> "]
    return "\n".join(lines).strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vkattn", required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    env = dict(os.environ, TERM="dumb")
    fails = []

    def check(cond, what):
        CHECKS[0] += 1
        if not cond:
            fails.append(what)
            print("FAIL", what)

    base = [args.vkattn, "chat", "--temp", "0", "-n", "8", "-v", "-sys", "You are terse."]
    s = Session(base, env)
    s.first_prompt()
    t1 = s.turn("Hello there")
    r1 = reply_of(t1, "Hello there")
    check(r1 != "", "first reply is empty: %r" % t1)
    t2 = s.turn("Tell me more")
    m = re.search(r"\[reused (\d+) cached tokens of (\d+); prefilling (\d+)\]", t2)
    check(m and int(m.group(1)) > 0 and int(m.group(3)) < int(m.group(2)),
          "second turn does not reuse the cache: %r" % t2)
    r2 = reply_of(t2, "Tell me more")
    t3 = s.turn("/clear")
    check("[conversation cleared]" in t3, "/clear: %r" % t3)
    t4 = s.turn("Hello there")
    check(reply_of(t4, "Hello there") == r1, "after /clear the same message gets another reply: %r vs %r" % (t4, r1))
    s.send(b"/exit\r")
    check(s.wait() == 0, "/exit does not leave with status 0")

    # the same two turns with no cache reuse, input piped (not a terminal)
    p = subprocess.run(base + ["--no-reuse"], input="Hello there\nTell me more\n", capture_output=True, text=True,
                       timeout=300, env=env)
    check(p.returncode == 0, "piped session failed: %s" % p.stderr)
    fresh = [ln for ln in p.stdout.split("\n") if ln and not ln.startswith("[")]
    check("\n".join(fresh).strip() == (r1 + "\n" + r2).strip(),
          "replies with cache reuse differ from full re-prefill:\n%r\n%r" % (p.stdout, r1 + "\n" + r2))
    check("prefilling" in p.stderr and "reused 0 cached" in p.stderr, "--no-reuse: %s" % p.stderr)

    # Ctrl-C stops a long reply; the session goes on
    s = Session([args.vkattn, "chat", "--temp", "0", "-n", "100000", "--ignore-eos"], env)
    s.first_prompt()
    s.send(b"Tell me a long story\r")
    s.read_until(rb"story\r?\n.{8}", 120)  # some reply text
    s.send(b"\x03")
    t = s.read_until(rb"\n> $", 120, prompt=True).decode("utf-8", "replace")
    check("[stopped]" in t, "Ctrl-C did not stop the reply: %r" % t)
    t = s.turn("And then?")
    check("[stopped]" in t or "context full" in t or len(t) > 10, "no reply after Ctrl-C: %r" % t)
    # Ctrl-C at the prompt drops the line; the session goes on. Repeated: with the driver's threads free to take
    # the signal, about 1 in 500 once ended the session or left the prompt waiting (fixed in cmd_chat.c)
    for _ in range(50):
        s.send(b"half a line\x03")
        s.read_until(rb"\n> $", 30, prompt=True)
    t = s.turn("/clear")
    check("[conversation cleared]" in t, "Ctrl-C at the prompt ended the session or kept the line: %r" % t)
    s.send(b"\x04")  # Ctrl-D at the prompt leaves
    code = s.wait()
    check(code == 0, "Ctrl-D: exit status %r" % code)

    # a small context fills and the conversation goes on
    s = Session([args.vkattn, "chat", "--temp", "0", "-n", "8", "-c", "96", "-sys", "Be brief."], env)
    s.first_prompt()
    out = ""
    for i in range(6):
        out += s.turn("Question number %d, please answer" % i)
    check("context full" in out and "dropped" in out, "the context never filled: %r" % out[-800:])
    last = s.turn("One more")
    check(reply_of(last, "One more") != "", "no reply after the context filled: %r" % last)
    s.send(b"/exit\r")
    check(s.wait() == 0, "exit after the context filled")

    p = subprocess.run([args.vkattn, "chat", "--chat-template", "no-such-template"], input="", capture_output=True,
                       text=True, timeout=120, env=env)
    check(p.returncode != 0 and "no-such-template" in p.stderr, "unknown template: %s" % p.stderr)

    print("%d passed, %d failed" % (CHECKS[0] - len(fails), len(fails)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
