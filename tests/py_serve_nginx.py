"""Replicas behind a real load balancer: two `vkattn serve` replicas (built-in demo model, --alias replica-a /
replica-b so a reply names the replica that made it) and Debian's nginx running deploy/nginx/vkattn.conf (its
ports rewritten to free loopback ports) in the foreground with a temporary prefix. 32 completions through nginx,
8 at a time, must all succeed and both replicas must have served; a streamed reply passes through unbuffered
and complete ([DONE] last); nginx's and the replicas' logs are kept in the work directory."""
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from pyref import runner  # noqa: E402
from py_serve import Server, check, checks, curl, free_port  # noqa: E402

CONF = os.path.join(HERE, "..", "deploy", "nginx", "vkattn.conf")


class Nginx:
    def __init__(self, workdir, ports, listen):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(nginx):
            raise RuntimeError("nginx is not installed (Debian: nginx; scripts/setup.sh installs it)")
        self.prefix = os.path.join(workdir, "nginx")
        os.makedirs(os.path.join(self.prefix, "logs"), exist_ok=True)
        os.chmod(self.prefix, 0o777)
        site = open(CONF).read()
        site = site.replace("127.0.0.1:8081", f"127.0.0.1:{ports[0]}").replace("127.0.0.1:8082", f"127.0.0.1:{ports[1]}")
        site = re.sub(r"listen 127\.0\.0\.1:8080;", f"listen 127.0.0.1:{listen};", site)
        assert f"127.0.0.1:{listen}" in site and f"127.0.0.1:{ports[1]}" in site, "deploy/nginx/vkattn.conf changed shape"
        with open(os.path.join(self.prefix, "vkattn.conf"), "w") as f:
            f.write(site)
        p = self.prefix
        with open(os.path.join(p, "nginx.conf"), "w") as f:
            f.write(f"""daemon off;
master_process off;
worker_processes 1;
pid {p}/nginx.pid;
error_log {p}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {p}/logs/access.log;
    client_body_temp_path {p}/client_body;
    proxy_temp_path {p}/proxy;
    fastcgi_temp_path {p}/fastcgi;
    uwsgi_temp_path {p}/uwsgi;
    scgi_temp_path {p}/scgi;
    include {p}/vkattn.conf;
}}
""")
        self.p = subprocess.Popen([nginx, "-p", p, "-c", os.path.join(p, "nginx.conf"), "-e", os.path.join(p, "logs", "error.log")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.base = f"http://127.0.0.1:{listen}"
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.p.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.p.returncode}: {self.p.stderr.read()}")
            if subprocess.run(["curl", "-s", "-o", "/dev/null", self.base + "/health"]).returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("nginx did not start within 30 s")

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()


def main(vk):
    os.makedirs(vk.workdir, exist_ok=True)
    reps, ngx = [], None
    try:
        for name in ("a", "b"):
            reps.append(Server(vk.vkattn, ["--parallel", "4", "-c", "512", "--alias", f"replica-{name}"],
                               os.path.join(vk.workdir, f"replica-{name}.log")))
        ngx = Nginx(vk.workdir, [r.port for r in reps], free_port())
        lb = type("LB", (), {"base": ngx.base})()

        def one(i):
            body = {"prompt": ["Once upon a time", "The meaning of life", "You will"][i % 3], "max_tokens": 4,
                    "temperature": 0.7, "seed": i}
            st, out = curl(lb, "POST", "/v1/completions", body, auth=False)
            try:
                return st, json.loads(out).get("model")
            except ValueError:
                return st, None

        with ThreadPoolExecutor(8) as ex:
            res = list(ex.map(one, range(32)))
        served = {m: sum(1 for _, x in res if x == m) for m in ("replica-a", "replica-b")}
        check(all(st == 200 for st, _ in res), f"32 requests through nginx: statuses {sorted(set(st for st, _ in res))}")
        check(served["replica-a"] > 0 and served["replica-b"] > 0 and sum(served.values()) == 32,
              f"both replicas served: {served}")
        st, body = curl(lb, "POST", "/v1/chat/completions",
                        {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 6, "stream": True}, auth=False,
                        stream=True)
        ev = [line[6:] for line in body.split("\n") if line.startswith("data: ")]
        check(st == 200 and len(ev) >= 3 and ev[-1] == "[DONE]", f"SSE through nginx: {len(ev)} events")
    finally:
        if ngx:
            ngx.stop()
        rcs = [r.stop() for r in reps]
    check(rcs == [0, 0], f"replicas exit 0 on SIGTERM: {rcs}")
    print(f"{checks['n']} checks, {checks['failed']} failed")
    return checks["failed"] == 0


if __name__ == "__main__":
    runner.main(main)
