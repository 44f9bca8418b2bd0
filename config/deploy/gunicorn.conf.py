"""gunicorn for Motif's web processes (`gunicorn -c config/deploy/gunicorn.conf.py config.wsgi`).

Every value can be overridden from the environment (GUNICORN_*), so the systemd unit, the Procfile
and `make serve-prod` share this one file. Graceful reload: `kill -HUP <master pid>` (systemd:
`systemctl reload motif-web`) starts new workers on the new code and lets the old ones finish their
requests within graceful_timeout."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Threads let one worker overlap requests that wait on the database, Redis or S3; the CPU-bound
# verify path is bounded by processes, so the default is cores + 1 processes of 4 threads.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
# Verification of a 60 MB upload is the slowest request; nothing legitimate takes 60 s.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then, jittered so they do not all restart together (bounds slow leaks).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
# The app is loaded in each worker, not the master, so a HUP reload picks up new code.
preload_app = False
# The proxy in front sets X-Forwarded-For/-Proto; only trust it from these addresses.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# "-" is stdout; an empty value turns the access log off.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
limit_request_line = 8190
limit_request_fields = 100
