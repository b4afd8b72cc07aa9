#!/usr/bin/env bash
# Serve RNN Lab to a class: N Streamlit replicas on loopback ports behind nginx (sticky sessions,
# websocket proxying, gzip), all stopped on Ctrl-C or SIGTERM.
#   bash scripts/serve_class.sh [--replicas N] [--port P] [--host ADDR] [-- extra `streamlit run` args]
# Defaults: 2 replicas, nginx on 127.0.0.1:8080 (--host 0.0.0.0 to let a classroom in).
# Every replica gets the same server.cookieSecret: $RNNLAB_COOKIE_SECRET, or a random one per start.
# Installs Debian's nginx when /usr/sbin/nginx is missing (root, or sudo). Prints one line per
# process it started ("replica 1: pid 123 port 45678", "nginx: pid 456") and then "serving ...".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh" requirements.txt   # cds to the repo root

replicas=2 port=8080 host=127.0.0.1 extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --replicas) replicas="$2"; shift 2 ;;
        --port) port="$2"; shift 2 ;;
        --host) host="$2"; shift 2 ;;
        --) shift; extra=("$@"); break ;;
        *) echo "serve_class.sh: unknown argument $1 (see the header of $0)" >&2; exit 2 ;;
    esac
done
[[ "$replicas" =~ ^[1-9][0-9]*$ ]] || { echo "serve_class.sh: --replicas must be a positive integer" >&2; exit 2; }

NGINX=/usr/sbin/nginx
source scripts/_apt.sh
apt_ensure "$NGINX=nginx"

run_dir="$(mktemp -d -t rnnlab-serve.XXXXXX)"
chmod 755 "$run_dir"   # nginx's workers (another user when we are root) read their temp paths here
pids=() replica_pids=()
cleanup() {
    trap - EXIT INT TERM
    # Replicas run in their own sessions: signal each group, so TensorFlow workers go too.
    [ -n "${nginx_pid:-}" ] && kill -TERM "$nginx_pid" 2>/dev/null || true
    for pid in "${replica_pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    for _ in $(seq 100); do
        alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for pid in "${replica_pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
    [ -n "${nginx_pid:-}" ] && kill -KILL "$nginx_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$run_dir"
    echo "serve_class.sh: stopped ${#replica_pids[@]} replica(s) and nginx" >&2
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Free loopback ports, all chosen before any is released.
read -r -a ports <<<"$(.venv/bin/python - "$replicas" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
)"

wait_healthy() {  # URL SECONDS PID: poll /_stcore/health until ok, or fail if PID died
    .venv/bin/python - "$@" <<'PY'
import os, sys, time, urllib.request
url, limit, pid = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
deadline = time.monotonic() + limit
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(f"{url}: process {pid} exited")
    try:
        with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(f"{url}: not healthy after {limit:g} s")
PY
}

# One BLAS thread per replica: the app's matrices are small, and OpenBLAS's worker threads fighting
# over busy cores made one np.linalg.qr(252 x 63) take 75 ms instead of 3 (bench/RESULTS.md).
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
export STREAMLIT_SERVER_COOKIE_SECRET="${RNNLAB_COOKIE_SECRET:-$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(32))')}"
upstreams=""
for i in $(seq "$replicas"); do
    p="${ports[$((i - 1))]}"
    setsid .venv/bin/python -m streamlit run app.py --server.address 127.0.0.1 --server.port "$p" \
        --server.headless true --server.fileWatcherType none --browser.gatherUsageStats false \
        ${extra[@]+"${extra[@]}"} >"$run_dir/replica-$i.log" 2>&1 </dev/null &
    replica_pids+=("$!") pids+=("$!")
    upstreams+="        server 127.0.0.1:$p;"$'\n'
    echo "replica $i: pid $! port $p log $run_dir/replica-$i.log"
done
for i in $(seq "$replicas"); do
    wait_healthy "http://127.0.0.1:${ports[$((i - 1))]}" 120 "${replica_pids[$((i - 1))]}" || {
        tail -n 30 "$run_dir/replica-$i.log" >&2; exit 1; }
done

conf="$(<deploy/nginx.conf.template)"
user_line=""
if [ "$(id -u)" = 0 ]; then user_line="user nobody nogroup;"; fi
conf="${conf//@USER@/$user_line}"
conf="${conf//@PREFIX@/$run_dir}"
conf="${conf//@LISTEN@/$host:$port}"
conf="${conf//@UPSTREAM_SERVERS@/${upstreams%$'\n'}}"
printf '%s\n' "$conf" >"$run_dir/nginx.conf"
"$NGINX" -p "$run_dir" -c "$run_dir/nginx.conf" -e stderr -g 'daemon off;' &
nginx_pid=$! pids+=("$!")
echo "nginx: pid $nginx_pid config $run_dir/nginx.conf"
wait_healthy "http://$host:$port" 30 "$nginx_pid"
echo "serving RNN Lab on http://$host:$port ($replicas replicas behind nginx; Ctrl-C stops everything)"

# Until a signal, or until any of them exits (then stop the rest: a half-served class is worse).
set +e
wait -n "${pids[@]}"
status=$?
echo "serve_class.sh: a process exited (status $status); stopping everything" >&2
exit 1
