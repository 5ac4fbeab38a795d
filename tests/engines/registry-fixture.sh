#!/usr/bin/env bash
# Local OCI registries for the cntr-fatimg tests and benchmark (ctest FIXTURES_SETUP /
# FIXTURES_CLEANUP "registry").
#
# usage: registry-fixture.sh setup|cleanup|status
#   setup    start Debian's docker-registry twice on 127.0.0.1:
#              ANON  127.0.0.1:5000  plain HTTP, anonymous
#              TLS   127.0.0.1:5443  HTTPS with a certificate of a CA generated here
#                                    (openssl), htpasswd basic auth (bcrypt)
#              TOKEN 127.0.0.1:5001  plain HTTP, bearer tokens (the Docker Hub flow) from
#                                    registry-token-server.py on 127.0.0.1:5002:
#                                    anonymous pull, push with the htpasswd user
#            Nothing is written outside $DIR: the CA sits in
#            $DIR/certs.d/127.0.0.1:5443/ca.crt, which clients are pointed at with
#            CNTR_CERTS_DIRS (cntr-fatimg) or --dest-cert-dir (skopeo).
#            Idempotent: if the registries of an earlier setup still run (each pid
#            checked with its start time) and their certificates are valid for
#            another day, nothing is started; otherwise whatever is left of them is
#            stopped and everything is made anew. Writes KEY=VALUE lines to $DIR/env.
#   cleanup  stop the registries this script started and remove $DIR (storage,
#            certificates, logs).
# $DIR is $CNTR_REGISTRY_FIXTURE_DIR, default /run/cntr-test/registry.
# Ports: $CNTR_REGISTRY_ANON_PORT (5000), $CNTR_REGISTRY_TLS_PORT (5443),
# $CNTR_REGISTRY_TOKEN_PORT (5001) and the token server's port + 1.
set -euo pipefail

DIR=${CNTR_REGISTRY_FIXTURE_DIR:-/run/cntr-test/registry}
ANON_PORT=${CNTR_REGISTRY_ANON_PORT:-5000}
TLS_PORT=${CNTR_REGISTRY_TLS_PORT:-5443}
TOKEN_PORT=${CNTR_REGISTRY_TOKEN_PORT:-5001}
TOKEN_SERVER_PORT=$((TOKEN_PORT + 1))
USER_NAME=cntr-test
PASSWORD=cntr-test-password
REGISTRY_BIN=/usr/bin/docker-registry
CERTS_DIRS=$DIR/certs.d
CERT_DAYS=30

log() { printf 'registry-fixture: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# shellcheck source=../../scripts/lib/processes.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/processes.sh"

# The pid in PIDFILE ("PID STARTTIME") if that very process still runs: after a
# killed run the number may belong to another program by now.
recorded() { # pidfile
    local pid start
    [[ -f $1 ]] || return 1
    read -r pid start <"$1" || return 1
    [[ -n $pid && -n $start && $(proc_start "$pid") == "$start" ]] && alive "$pid" || return 1
    printf '%s\n' "$pid"
}
is_running() { recorded "$1" >/dev/null; }
remember() { # pidfile pid
    echo "$2 $(proc_start "$2")" >"$1"
}

answers() { # url [curl args]
    curl -fsS -o /dev/null --max-time 2 "$@" 2>/dev/null
}

wait_for() { # name url [curl args]
    local name=$1
    shift
    for _ in $(seq 100); do
        answers "$@" && return 0
        sleep 0.1
    done
    log "$name did not answer on $1; its log:"
    cat "$DIR/$name.log" >&2 || true
    return 1
}

write_config() { # name port extra-yaml
    cat >"$DIR/$1.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $DIR/$1-storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$2
  secret: cntr-test-$1
$3
YAML
}

start() { # name
    mkdir -p "$DIR/$1-storage"
    spawn_daemon "$REGISTRY_BIN" serve "$DIR/$1.yml" >"$DIR/$1.log" 2>&1 </dev/null
    remember "$DIR/$1.pid" $!
}

make_certs() {
    openssl req -x509 -newkey rsa:2048 -nodes -days "$CERT_DAYS" -subj "/CN=cntr test CA" \
        -keyout "$DIR/ca.key" -out "$DIR/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$DIR/server.key" -out "$DIR/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >"$DIR/san.ext"
    openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -CAcreateserial \
        -days "$CERT_DAYS" -extfile "$DIR/san.ext" -out "$DIR/server.crt" 2>/dev/null
    # The token server's signing certificate (trusted by the token registry).
    openssl req -x509 -newkey rsa:2048 -nodes -days "$CERT_DAYS" -subj "/CN=cntr test token issuer" \
        -keyout "$DIR/token.key" -out "$DIR/token.crt" 2>/dev/null
    # skopeo --dest-cert-dir / --src-cert-dir want a directory holding ca.crt.
    mkdir -p "$DIR/certs" "$CERTS_DIRS/127.0.0.1:$TLS_PORT"
    cp "$DIR/ca.crt" "$DIR/certs/ca.crt"
    cp "$DIR/ca.crt" "$CERTS_DIRS/127.0.0.1:$TLS_PORT/ca.crt"
}

all_running() {
    is_running "$DIR/anon.pid" && is_running "$DIR/tls.pid" && is_running "$DIR/token.pid" &&
        is_running "$DIR/token-server.pid"
}

stop_all() {
    local rc=0 name pid
    for name in anon tls token token-server; do
        if pid=$(recorded "$DIR/$name.pid"); then
            kill "$pid" || rc=1
            for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
            alive "$pid" && { kill -KILL "$pid" || rc=1; }
            log "stopped $name (pid $pid)"
        fi
    done
    return "$rc"
}

setup() {
    command -v "$REGISTRY_BIN" >/dev/null || die "$REGISTRY_BIN missing (scripts/install-deps.sh --test installs docker-registry)"
    if all_running && [[ -f $DIR/env ]]; then
        if openssl x509 -checkend 86400 -noout -in "$DIR/server.crt" >/dev/null 2>&1 &&
            openssl x509 -checkend 86400 -noout -in "$DIR/token.crt" >/dev/null 2>&1; then
            log "registries already running (from $DIR)"
            return 0
        fi
        log "the running registries' certificates expire within a day; starting them anew"
    fi
    # Whatever an interrupted run left behind goes before the ports are checked.
    stop_all || true
    for port in "$ANON_PORT" "$TLS_PORT" "$TOKEN_PORT" "$TOKEN_SERVER_PORT"; do
        if ss -Hltn "sport = :$port" | grep -q .; then
            die "port $port on 127.0.0.1 is in use by another program; set CNTR_REGISTRY_ANON_PORT / CNTR_REGISTRY_TLS_PORT"
        fi
    done
    rm -rf "$DIR"
    mkdir -p "$DIR"
    make_certs
    htpasswd -Bbn "$USER_NAME" "$PASSWORD" >"$DIR/htpasswd"
    write_config anon "$ANON_PORT" ""
    write_config tls "$TLS_PORT" "  tls:
    certificate: $DIR/server.crt
    key: $DIR/server.key
auth:
  htpasswd:
    realm: cntr-test
    path: $DIR/htpasswd"
    write_config token "$TOKEN_PORT" "auth:
  token:
    realm: http://127.0.0.1:$TOKEN_SERVER_PORT/token
    service: cntr-test-registry
    issuer: cntr-test-token-issuer
    rootcertbundle: $DIR/token.crt"
    start anon
    start tls
    start token
    spawn_daemon python3 "$(dirname "${BASH_SOURCE[0]}")/registry-token-server.py" "$TOKEN_SERVER_PORT" \
        "$DIR/token.key" "$DIR/token.crt" cntr-test-token-issuer "$USER_NAME" "$PASSWORD" \
        >"$DIR/token-server.log" 2>&1 </dev/null
    remember "$DIR/token-server.pid" $!
    wait_for anon "http://127.0.0.1:$ANON_PORT/v2/" || die "anonymous registry did not start"
    wait_for tls "https://127.0.0.1:$TLS_PORT/v2/" --cacert "$DIR/ca.crt" -u "$USER_NAME:$PASSWORD" ||
        die "TLS registry did not start"
    wait_for token-server "http://127.0.0.1:$TOKEN_SERVER_PORT/token?service=x" || die "token server did not start"
    curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$TOKEN_PORT/v2/" 2>/dev/null || true
    wait_for token "http://127.0.0.1:$TOKEN_PORT/v2/" -H "Authorization: Bearer $(curl -fsS \
        "http://127.0.0.1:$TOKEN_SERVER_PORT/token?service=cntr-test-registry" | sed 's/.*"token": "\([^"]*\)".*/\1/')" ||
        die "token registry did not start"
    cat >"$DIR/env" <<ENV
ANON=127.0.0.1:$ANON_PORT
TLS=127.0.0.1:$TLS_PORT
TOKEN=127.0.0.1:$TOKEN_PORT
USER=$USER_NAME
PASSWORD=$PASSWORD
ANON_STORAGE=$DIR/anon-storage
TLS_STORAGE=$DIR/tls-storage
CA_CERT=$DIR/ca.crt
CERT_DIR=$DIR/certs
CERTS_DIRS=$CERTS_DIRS
ENV
    log "setup done: anonymous registry on 127.0.0.1:$ANON_PORT, TLS+auth registry on 127.0.0.1:$TLS_PORT, token-auth registry on 127.0.0.1:$TOKEN_PORT ($DIR)"
}

cleanup() {
    local rc=0
    stop_all || rc=1
    rm -rf "$DIR"
    ((rc == 0)) || die "cleanup failed"
    log "cleanup done"
}

case ${1:-} in
setup) setup ;;
cleanup) cleanup ;;
status) all_running ;;
*) die "usage: $0 setup|cleanup|status" ;;
esac
