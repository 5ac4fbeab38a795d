#!/usr/bin/env bash
# Local OCI registries for the cntr-fatimg tests and benchmark (ctest FIXTURES_SETUP /
# FIXTURES_CLEANUP "registry").
#
# usage: registry-fixture.sh setup|cleanup|status
#   setup    start Debian's docker-registry twice on 127.0.0.1:
#              ANON  127.0.0.1:5000  plain HTTP, anonymous
#              TLS   127.0.0.1:5443  HTTPS with a certificate of a CA generated here
#                                    (openssl), htpasswd basic auth (bcrypt)
#            The CA is installed as /etc/docker/certs.d/127.0.0.1:5443/ca.crt (only if
#              TOKEN 127.0.0.1:5001  plain HTTP, bearer tokens (the Docker Hub flow) from
#                                    registry-token-server.py on 127.0.0.1:5002:
#                                    anonymous pull, push with the htpasswd user
#            The CA is installed as /etc/docker/certs.d/127.0.0.1:5443/ca.crt (only if
#            no such file exists). Idempotent: if the registries of an earlier setup
#            still run, nothing is started. Writes KEY=VALUE lines to $DIR/env.
#   cleanup  stop the registries this script started (pids recorded in $DIR), remove
#            the CA file it installed and $DIR (storage, certificates, logs).
# $DIR is $CNTR_REGISTRY_FIXTURE_DIR, default /tmp/cntr-registry-fixture.
# Ports: $CNTR_REGISTRY_ANON_PORT (5000), $CNTR_REGISTRY_TLS_PORT (5443),
# $CNTR_REGISTRY_TOKEN_PORT (5001) and the token server's port + 1.
set -euo pipefail

DIR=${CNTR_REGISTRY_FIXTURE_DIR:-/tmp/cntr-registry-fixture}
ANON_PORT=${CNTR_REGISTRY_ANON_PORT:-5000}
TLS_PORT=${CNTR_REGISTRY_TLS_PORT:-5443}
TOKEN_PORT=${CNTR_REGISTRY_TOKEN_PORT:-5001}
TOKEN_SERVER_PORT=$((TOKEN_PORT + 1))
USER_NAME=cntr-test
PASSWORD=cntr-test-password
REGISTRY_BIN=/usr/bin/docker-registry
CA_DEST=/etc/docker/certs.d/127.0.0.1:$TLS_PORT/ca.crt

log() { printf 'registry-fixture: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

running() { # pidfile
    local pid
    [[ -f $1 ]] || return 1
    pid=$(<"$1")
    [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -e docker-registry -e registry-token-server
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
    setsid "$REGISTRY_BIN" serve "$DIR/$1.yml" >"$DIR/$1.log" 2>&1 </dev/null &
    echo $! >"$DIR/$1.pid"
}

make_certs() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cntr test CA" \
        -keyout "$DIR/ca.key" -out "$DIR/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$DIR/server.key" -out "$DIR/server.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >"$DIR/san.ext"
    openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -CAcreateserial \
        -days 2 -extfile "$DIR/san.ext" -out "$DIR/server.crt" 2>/dev/null
    # The token server's signing certificate (trusted by the token registry).
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=cntr test token issuer" \
        -keyout "$DIR/token.key" -out "$DIR/token.crt" 2>/dev/null
    # skopeo --dest-cert-dir / --src-cert-dir want a directory holding ca.crt.
    mkdir -p "$DIR/certs"
    cp "$DIR/ca.crt" "$DIR/certs/ca.crt"
}

setup() {
    command -v "$REGISTRY_BIN" >/dev/null || die "$REGISTRY_BIN missing (scripts/install-deps.sh installs docker-registry)"
    if running "$DIR/anon.pid" && running "$DIR/tls.pid" && running "$DIR/token.pid" &&
        running "$DIR/token-server.pid" && [[ -f $DIR/env ]]; then
        log "registries already running (from $DIR)"
        return 0
    fi
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
    setsid python3 "$(dirname "${BASH_SOURCE[0]}")/registry-token-server.py" "$TOKEN_SERVER_PORT" \
        "$DIR/token.key" "$DIR/token.crt" cntr-test-token-issuer "$USER_NAME" "$PASSWORD" \
        >"$DIR/token-server.log" 2>&1 </dev/null &
    echo $! >"$DIR/token-server.pid"
    wait_for anon "http://127.0.0.1:$ANON_PORT/v2/" || die "anonymous registry did not start"
    wait_for tls "https://127.0.0.1:$TLS_PORT/v2/" --cacert "$DIR/ca.crt" -u "$USER_NAME:$PASSWORD" ||
        die "TLS registry did not start"
    wait_for token-server "http://127.0.0.1:$TOKEN_SERVER_PORT/token?service=x" || die "token server did not start"
    curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$TOKEN_PORT/v2/" 2>/dev/null || true
    wait_for token "http://127.0.0.1:$TOKEN_PORT/v2/" -H "Authorization: Bearer $(curl -fsS \
        "http://127.0.0.1:$TOKEN_SERVER_PORT/token?service=cntr-test-registry" | sed 's/.*"token": "\([^"]*\)".*/\1/')" ||
        die "token registry did not start"
    if [[ ! -e $CA_DEST ]]; then
        mkdir -p "$(dirname "$CA_DEST")"
        cp "$DIR/ca.crt" "$CA_DEST"
        echo "$CA_DEST" >"$DIR/installed-ca"
    elif ! cmp -s "$CA_DEST" "$DIR/ca.crt"; then
        log "warning: $CA_DEST exists and is not ours; left alone (TLS pulls may fail to verify)"
    fi
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
CA_DEST=$CA_DEST
ENV
    log "setup done: anonymous registry on 127.0.0.1:$ANON_PORT, TLS+auth registry on 127.0.0.1:$TLS_PORT, token-auth registry on 127.0.0.1:$TOKEN_PORT ($DIR)"
}

cleanup() {
    local rc=0 name pid
    for name in anon tls token token-server; do
        if running "$DIR/$name.pid"; then
            pid=$(<"$DIR/$name.pid")
            kill "$pid" || rc=1
            for _ in $(seq 50); do [[ -d /proc/$pid ]] || break; sleep 0.1; done
            [[ -d /proc/$pid ]] && { kill -KILL "$pid" || rc=1; }
            log "cleanup: stopped $name (pid $pid)"
        fi
    done
    if [[ -f $DIR/installed-ca ]]; then
        rm -f "$(<"$DIR/installed-ca")"
        rmdir "$(dirname "$(<"$DIR/installed-ca")")" 2>/dev/null || true
    fi
    rm -rf "$DIR"
    ((rc == 0)) || die "cleanup failed"
    log "cleanup done"
}

case ${1:-} in
setup) setup ;;
cleanup) cleanup ;;
status) running "$DIR/anon.pid" && running "$DIR/tls.pid" && running "$DIR/token.pid" && running "$DIR/token-server.pid" ;;
*) die "usage: $0 setup|cleanup|status" ;;
esac
