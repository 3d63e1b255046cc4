#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""cdp_page — open one page in headless Chromium and tell what happened.

  cdp_page.py URL OUT.json [--screenshot FILE.png] [--width PX] [--chromium PATH]
              [--profile DIR] [--timeout S] [--log FILE]

Drives Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe:
commands on fd 3, answers and events on fd 4, NUL-terminated JSON), so that
nothing listens on a port. Loads URL in a new tab WIDTH px wide, waits for the
load event and a quiet second, and writes OUT.json:
  dom         the document as rendered (outerHTML of <html>)
  console     console messages: {"type", "text"} (type error, warning, log, ...)
  exceptions  uncaught exceptions: their text
  log         browser log entries: {"level", "source", "text", "url"}
              (failed loads and Content-Security-Policy violations come here)
  requests    every URL the page requested (the page itself included)
  failed      URLs whose load failed, with the error
  size        [width, height] of the whole page in CSS px
and with --screenshot a PNG of the whole page (not only the window).
Run it where the page cannot reach a network (test_report_html.sh: a new,
empty network namespace and a host resolver that resolves nothing).
Standard library only.
"""

import argparse
import base64
import json
import os
import select
import subprocess
import sys
import tempfile
import time


class Cdp:
    def __init__(self, chromium, profile, extra, log):
        cmd_r, self.cmd_w = os.pipe()
        self.ev_r, ev_w = os.pipe()
        # Chromium reads commands from its fd 3 and writes to its fd 4. Copies
        # first, so that dup2 never maps an fd onto itself (which would keep
        # its close-on-exec flag).
        def fds():
            a, b = os.dup(cmd_r), os.dup(ev_w)
            os.dup2(a, 3)
            os.dup2(b, 4)
        self.proc = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--remote-debugging-pipe", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--disable-sync",
             "--disable-component-update", "--host-resolver-rules=MAP * ~NOTFOUND",
             f"--user-data-dir={profile}"] + extra + ["about:blank"],
            preexec_fn=fds, pass_fds=(3, 4), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=log)
        os.close(cmd_r)
        os.close(ev_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium in time")
            r, _, _ = select.select([self.ev_r], [], [], left)
            if r:
                chunk = os.read(self.ev_r, 1 << 16)
                if not chunk:
                    raise EOFError("Chromium closed its DevTools pipe")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=60):
        self.next_id += 1
        m = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            m["sessionId"] = session
        os.write(self.cmd_w, json.dumps(m).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            r = self._read(deadline)
            if r.get("id") == self.next_id:
                if "error" in r:
                    raise RuntimeError(f"{method}: {r['error']}")
                return r.get("result", {})
            self.events.append(r)

    def wait_event(self, name, timeout):
        deadline = time.monotonic() + timeout
        for e in self.events:
            if e.get("method") == name:
                return True
        while True:
            try:
                e = self._read(deadline)
            except TimeoutError:
                return False
            self.events.append(e)
            if e.get("method") == name:
                return True

    def drain(self, seconds):
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._read(deadline))
        except TimeoutError:
            pass

    def close(self):
        try:
            self.call("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, EOFError, OSError):
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def remote_text(args):
    out = []
    for a in args:
        out.append(str(a.get("value", a.get("description", a.get("type", "")))))
    return " ".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("out")
    ap.add_argument("--screenshot")
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--chromium", default="chromium")
    ap.add_argument("--profile")
    ap.add_argument("--timeout", type=float, default=90)
    ap.add_argument("--log", help="Chromium's standard error (default: discarded)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="cdp-page.") as td:
        log = open(a.log or os.devnull, "w", encoding="utf-8")
        c = Cdp(a.chromium, a.profile or td, [], log)
        try:
            t = c.call("Target.createTarget", {"url": "about:blank"}, timeout=a.timeout)
            s = c.call("Target.attachToTarget", {"targetId": t["targetId"], "flatten": True})["sessionId"]
            for d in ("Runtime", "Log", "Network", "Page"):
                c.call(f"{d}.enable", session=s)
            c.call("Emulation.setDeviceMetricsOverride",
                   {"width": a.width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                   session=s)
            c.call("Page.navigate", {"url": a.url}, session=s)
            if not c.wait_event("Page.loadEventFired", a.timeout):
                raise TimeoutError(f"{a.url}: no load event within {a.timeout} s")
            c.drain(1.0)
            dom = c.call("Runtime.evaluate", {"expression": "document.documentElement.outerHTML",
                                              "returnByValue": True}, session=s)["result"]["value"]
            m = c.call("Page.getLayoutMetrics", session=s)
            size = m.get("cssContentSize") or m["contentSize"]
            w, h = int(size["width"]), int(size["height"])
            if a.screenshot:
                shot = c.call("Page.captureScreenshot",
                              {"format": "png", "captureBeyondViewport": True,
                               "clip": {"x": 0, "y": 0, "width": w, "height": h, "scale": 1}},
                              session=s, timeout=a.timeout)
                with open(a.screenshot, "wb") as f:
                    f.write(base64.b64decode(shot["data"]))
            c.drain(0.2)
        finally:
            c.close()
            log.close()
    res = {"dom": dom, "console": [], "exceptions": [], "log": [], "requests": [], "failed": [],
           "size": [w, h]}
    urls = {}
    for e in c.events:
        p, m = e.get("params", {}), e.get("method")
        if m == "Runtime.consoleAPICalled":
            res["console"].append({"type": p.get("type"), "text": remote_text(p.get("args", []))})
        elif m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            res["exceptions"].append(d.get("exception", {}).get("description") or d.get("text"))
        elif m == "Log.entryAdded":
            en = p.get("entry", {})
            res["log"].append({k: en.get(k) for k in ("level", "source", "text", "url")})
        elif m == "Network.requestWillBeSent":
            urls[p.get("requestId")] = p["request"]["url"]
            res["requests"].append(p["request"]["url"])
        elif m == "Network.loadingFailed":
            res["failed"].append({"url": urls.get(p.get("requestId")),
                                  "error": p.get("errorText") or p.get("blockedReason")})
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (TimeoutError, EOFError, RuntimeError, OSError) as e:
        print(f"cdp_page: {e}", file=sys.stderr)
        sys.exit(1)
