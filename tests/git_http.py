"""A git remote as GitHub serves one, on 127.0.0.1: git's smart HTTP
(``git http-backend``) behind a small server that refuses every request
without the right ``Authorization`` header (401, as a private repository
does), and a checkout made the way actions/checkout v4 makes one: the token
only in the checkout's own ``.git/config``, as
``http.<url>.extraheader``.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import os
import subprocess
import threading
from pathlib import Path


def basic(token: str) -> str:
    """The header value actions/checkout writes: basic x-access-token:TOKEN."""
    return "basic " + base64.b64encode(f"x-access-token:{token}".encode()).decode()


class _Handler(http.server.BaseHTTPRequestHandler):
    root: Path
    token: str
    log: list
    faults: dict

    def _serve(self):
        auth = self.headers.get("Authorization", "")
        ok = auth.lower() == basic(self.token).lower()
        fault = self.faults.get("push") if "git-receive-pack" in self.path else None
        status = 401 if not ok else fault or 200
        self.log.append((self.command, self.path.split("?")[0], status))
        if not ok:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="gilbench-test"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if fault:   # a remote having a bad night: every push answered with this
            self.send_response(fault)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            body = b"".join(chunks)
        elif self.headers.get("Content-Length"):
            body = self.rfile.read(int(self.headers["Content-Length"]))
        path, _, query = self.path.partition("?")
        barrier = self.faults.get("race") if path.endswith("/git-receive-pack") else None
        if barrier is not None:
            # Hold this push until another arrives, then let both go: two
            # pushes made from the same old tip, one of which must lose.
            try:
                barrier.wait(timeout=900)
            except threading.BrokenBarrierError:
                pass
            self.faults.pop("race", None)
        env = dict(os.environ, GIT_PROJECT_ROOT=str(self.root), GIT_HTTP_EXPORT_ALL="1",
                   PATH_INFO=path, QUERY_STRING=query, REQUEST_METHOD=self.command,
                   CONTENT_TYPE=self.headers.get("Content-Type", ""),
                   CONTENT_LENGTH=str(len(body)), REMOTE_USER="x-access-token",
                   REMOTE_ADDR="127.0.0.1", GIT_HTTP_MAX_REQUEST_BUFFER="100M")
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        out = subprocess.run(["git", "http-backend"], input=body, env=env,
                             capture_output=True, timeout=120).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode("latin-1").split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.split()[0])
            elif key:
                headers.append((key, value.strip()))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _serve

    def log_message(self, *args):  # quiet
        pass


@contextlib.contextmanager
def serve(root: Path, token: str, faults: dict | None = None):
    """Serve the bare repositories under ``root`` at http://127.0.0.1:PORT/;
    yields (base url, request log of (method, path, status)).  ``faults``: a
    dict the caller may change while serving; ``faults["push"] = 500`` answers
    every push (git-receive-pack) with that status; ``faults["race"] =
    threading.Barrier(2)`` holds the first push until a second one comes, so
    that two pushes from the same old tip race (once)."""
    log: list = []
    handler = type("Handler", (_Handler,), {"root": root, "token": token, "log": log,
                                            "faults": {} if faults is None else faults})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", log
    finally:
        server.shutdown()
        server.server_close()


def git(*args, cwd, env=None, check=True):
    env = dict(os.environ if env is None else env, GIT_TERMINAL_PROMPT="0")
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=check, capture_output=True,
                          text=True)


def checkout_like_actions(url: str, token: str, dest: Path, ref: str = "main") -> None:
    """What actions/checkout v4 does: init, the token as the checkout's own
    http extraheader, fetch, check out ``ref`` as a local branch."""
    dest.mkdir(parents=True)
    git("init", "-q", cwd=dest)
    git("remote", "add", "origin", url, cwd=dest)
    prefix = url.split("/", 3)
    git("config", "--local", f"http.{prefix[0]}//{prefix[2]}/.extraheader",
        f"AUTHORIZATION: {basic(token)}", cwd=dest)
    git("fetch", "-q", "--no-tags", "origin", f"+refs/heads/{ref}:refs/remotes/origin/{ref}",
        cwd=dest)
    git("checkout", "-q", "-B", ref, f"refs/remotes/origin/{ref}", cwd=dest)
