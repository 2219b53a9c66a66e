"""The simulators' control client: one per process, and nothing of it left open at exit."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# A process that calls an HTTP/1.1 server (which keeps the connection) through the control
# client, then exits normally; the handler registered before the client's module runs
# after the module's own (atexit runs last-registered first) and prints how many client
# sockets to that server are still open.
_SCRIPT = textwrap.dedent(
    """
    import atexit, gc, http.server, socket, threading

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]

    def left_open():
        gc.collect()
        count = 0
        for obj in gc.get_objects():
            if isinstance(obj, socket.socket) and obj.fileno() != -1:
                try:
                    peer = obj.getpeername()
                except OSError:
                    continue
                count += peer[1] == port
        print("left open:", count, flush=True)

    atexit.register(left_open)

    from homolog.counterparts.loopback import control_http

    answer = control_http().get(f"http://127.0.0.1:{port}/", timeout=5)
    print("status:", answer.status_code, flush=True)
    """
)


def test_the_control_client_closes_its_kept_connections_when_the_process_exits() -> None:
    done = subprocess.run(
        [sys.executable, "-W", "error::ResourceWarning", "-c", _SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "status: 200" in done.stdout
    assert "left open: 0" in done.stdout, done.stdout + done.stderr
