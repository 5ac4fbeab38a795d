#!/usr/bin/env bash
# shellcheck disable=SC2015,SC2016 # `a && b || fail` is meant; exec.sh bodies are literal
# Tests of kubectl-cntr over a recorded kubectl (fake-kubectl: replies from
# recorded/, every call logged), plus the real kubectl checking the pod spec.
# No Kubernetes API server can run on the test machine; see docs/kubernetes.md.
#
# usage: kubectl-cntr-test.sh CASE   (ctest runs each case; `all` runs them all)
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PLUGIN=$HERE/../../kubectl-cntr/kubectl-cntr
POD=web-7d9f8c6b5-x2x9k
APP_ID=containerd://9f2b7c1d4e5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c
TOOLS_ID=containerd://7777777777777777777777777777777777777777777777777777777777777777
REAL_KUBECTL=$(command -v kubectl) || { echo "kubectl not installed (scripts/install-deps.sh --test)" >&2; exit 1; }
export REAL_KUBECTL

tmp=$(mktemp -d /tmp/kubectl-cntr-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
CASE=
fail() { printf 'FAIL %s: %s\n' "$CASE" "$*" >&2; [[ -f ${FAKE_LOG:-} ]] && sed 's/^/  log: /' "$FAKE_LOG" | cut -c1-200 >&2; exit 1; }

# A fresh scenario: recorded pod, helper pod states (in order), wait exit codes.
scenario() { # HELPER_FILES...
    rm -rf "$tmp/s"
    mkdir -p "$tmp/s/dir/list" "$tmp/s/state" "$tmp/s/bin"
    ln -s "$HERE/fake-kubectl" "$tmp/s/bin/kubectl"
    cp "$HERE/recorded/pod-$POD.json" "$HERE/recorded/pod-queued.json" "$tmp/s/dir/"
    local n=1 f
    for f in "$@"; do cp "$HERE/recorded/$f" "$tmp/s/dir/helper-$n.json"; n=$((n + 1)); done
    export FAKE_DIR=$tmp/s/dir FAKE_STATE=$tmp/s/state FAKE_LOG=$tmp/s/log
    : >"$FAKE_LOG"
}
plugin() { PATH=$tmp/s/bin:$PATH KUBECTL_CNTR_IMAGE=registry.example/cntr:0.1.0 "$PLUGIN" "$@"; }
# The log's calls reduced to their verbs ("get pod web...", "create", ...), one a line.
verbs() { awk '{v=$2; if ($2 ~ /^--context/) v=$3; print v}' "$FAKE_LOG" | tr '\n' ' ' | sed 's/ $//'; }
assert_verbs() { # PATTERN (an extended regex over the verbs)
    local v
    v=$(verbs)
    [[ $v =~ ^$1$ ]] || fail "kubectl calls were '$v', expected /$1/"
}
assert_deleted() {
    grep -qE "^kubectl( --context=[^ ]*)? delete pod --namespace=shop cntr-[0-9a-f]{8} --ignore-not-found" "$FAKE_LOG" ||
        fail "the helper pod was not deleted"
    local created deleted
    created=$(jq -r .metadata.name "$FAKE_STATE/created.json")
    deleted=$(grep ' delete ' "$FAKE_LOG" | grep -oE 'cntr-[0-9a-f]{8}')
    [[ $created == "$deleted" ]] || fail "created $created but deleted $deleted"
}

# The spec, checked by the real kubectl offline: decoded into a typed v1.Pod
# (`kubectl set env --local`, no server), and every field we wrote must survive
# the round trip (a misspelt or misplaced field is dropped by the typed decoder).
check_spec_with_kubectl() { # FILE
    local out
    out=$(KUBECONFIG=/dev/null "$REAL_KUBECTL" set env --local -f "$1" KUBECTL_CNTR_TEST=1 -o json) ||
        fail "the real kubectl cannot decode the spec as a Pod"
    python3 - "$1" <(printf '%s' "$out") <<'PY' || fail "the real kubectl dropped or changed fields of the spec"
import json, sys
spec, typed = (json.load(open(p)) for p in sys.argv[1:3])
for c in typed["spec"].get("containers", []) + typed["spec"].get("initContainers", []):
    c["env"] = [e for e in c.get("env", []) if e["name"] != "KUBECTL_CNTR_TEST"] or None
    if c["env"] is None: del c["env"]
def sub(a, b, path):
    if isinstance(a, dict):
        if not isinstance(b, dict): raise SystemExit(f"{path}: not an object after decoding")
        for k, v in a.items():
            if k not in b: raise SystemExit(f"{path}.{k}: dropped by kubectl (unknown field?)")
            sub(v, b[k], f"{path}.{k}")
    elif isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b): raise SystemExit(f"{path}: list changed")
        for i, (x, y) in enumerate(zip(a, b)): sub(x, y, f"{path}[{i}]")
    elif a != b: raise SystemExit(f"{path}: {a!r} became {b!r}")
sub(spec, typed, "")
PY
}

case_help() {
    scenario
    out=$(plugin --help) || fail "--help failed"
    [[ $out == *"Usage:"*"kubectl cntr [-n NAMESPACE] POD"*"--cleanup"* ]] || fail "--help: $out"
    [[ ! -s $FAKE_LOG ]] || fail "--help called kubectl"
    plugin --bogus 2>"$tmp/err"; rc=$?
    ((rc == 125)) || fail "an unknown option exited $rc, not 125"
    grep -q "unknown option --bogus" "$tmp/err" && grep -q -- "--help" "$tmp/err" || fail "unhelpful error: $(cat "$tmp/err")"
    KUBECTL_CNTR_IMAGE='' PATH=$tmp/s/bin:$PATH "$PLUGIN" "$POD" 2>"$tmp/err"; rc=$?
    ((rc == 125)) && grep -q "build-image.sh" "$tmp/err" || fail "no image: exit $rc, $(cat "$tmp/err")"
}

case_dry_run_spec() {
    scenario
    plugin -n shop "$POD" --dry-run --context=prod -- sh -c 'echo hi' >"$tmp/spec.json" 2>"$tmp/err" || fail "--dry-run failed: $(cat "$tmp/err")"
    assert_verbs "get"
    grep -q -- "--context=prod get pod --namespace=shop $POD" "$FAKE_LOG" || fail "--context or -n not passed to kubectl"
    check_spec_with_kubectl "$tmp/spec.json"
    jq -e --arg id "$APP_ID" '
        .kind == "Pod" and .spec.nodeName == "worker-1" and .spec.hostPID == true
        and .spec.restartPolicy == "Never" and .spec.activeDeadlineSeconds == 14400
        and .spec.tolerations == [{"operator": "Exists"}]
        and .spec.automountServiceAccountToken == false
        and .spec.imagePullSecrets == [{"name": "regcred"}]
        and (.spec.containers | length) == 1
        and .spec.containers[0].securityContext.privileged == true
        and .spec.containers[0].image == "registry.example/cntr:0.1.0"
        and .metadata.namespace == "shop"
        and .metadata.labels["app.kubernetes.io/managed-by"] == "kubectl-cntr"
        and (.metadata.labels["kubectl-cntr/session"] | test("^[0-9a-f]{8}$"))
        and .metadata.name == "cntr-" + .metadata.labels["kubectl-cntr/session"]
        and .metadata.annotations["kubectl-cntr/container-id"] == $id
        and ([.spec.volumes[] | select(.hostPath)] == [{"name": "cgroup", "hostPath": {"path": "/sys/fs/cgroup", "type": "Directory"}}])
        and .spec.containers[0].volumeMounts == [{"name": "cgroup", "mountPath": "/sys/fs/cgroup"}]' "$tmp/spec.json" >/dev/null ||
        fail "the spec lacks a required property: $(cat "$tmp/spec.json")"
    grep -qF -- "exec --namespace=shop cntr-" "$tmp/err" && grep -qF -- "cntr attach -t cgroup $APP_ID -- sh -c echo\\ hi" "$tmp/err" ||
        fail "--dry-run did not show the exec: $(cat "$tmp/err")"
    # With --tools and extra pull secrets: a second container, pull secrets merged.
    plugin -n shop "$POD" -c proxy --tools registry.example/debug-tools:1 --image-pull-secret extra \
        --image-pull-secret regcred --dry-run >"$tmp/spec2.json" 2>/dev/null && fail "-c proxy (CrashLoopBackOff) was accepted"
    plugin -n shop "$POD" -c app --tools registry.example/debug-tools:1 --image-pull-secret extra \
        --image-pull-secret regcred --deadline 600 --dry-run >"$tmp/spec2.json" 2>/dev/null || fail "--tools --dry-run failed"
    check_spec_with_kubectl "$tmp/spec2.json"
    jq -e '.spec.imagePullSecrets == [{"name": "regcred"}, {"name": "extra"}]
        and [.spec.containers[].name] == ["cntr", "tools"]
        and .spec.containers[1].image == "registry.example/debug-tools:1"
        and .spec.containers[1].securityContext == null
        and .spec.activeDeadlineSeconds == 600
        and .spec.initContainers[0].image == "registry.example/cntr:0.1.0"' "$tmp/spec2.json" >/dev/null ||
        fail "the --tools spec is wrong: $(cat "$tmp/spec2.json")"
    [[ ! -e $FAKE_STATE/created.json ]] || fail "--dry-run created a pod"
    # The check above can fail: a misspelt field is dropped by the real kubectl.
    jq '.spec.hostPid = true' "$tmp/spec.json" >"$tmp/bad.json"
    (check_spec_with_kubectl "$tmp/bad.json") 2>/dev/null && fail "the spec check accepted a misspelt field"
    return 0
}

case_session() {
    scenario helper-creating.json helper-running.json
    printf '1\n0\n' >"$FAKE_DIR/wait.rc"
    printf 'printf "%%s|" "$@"; read -r line; echo "stdin=$line"; exit 7\n' >"$FAKE_DIR/exec.sh"
    out=$(echo from-stdin | plugin -n shop "$POD" --profile team -- sh -c 'exit 7' 2>"$tmp/err"); rc=$?
    ((rc == 7)) || fail "the command's exit status 7 came back as $rc: $(cat "$tmp/err")"
    [[ $out == *"cntr|attach|-t|cgroup|--profile|team|$APP_ID|--|sh|-c|exit 7|"*"stdin=from-stdin"* ]] ||
        fail "exec ran '$out'"
    assert_verbs "get create wait get wait exec delete"
    grep -qE "exec --namespace=shop cntr-[0-9a-f]{8} -c cntr -i -- cntr attach" "$FAKE_LOG" || fail "exec flags wrong"
    grep -qE "wait --namespace=shop --for=condition=Ready pod/cntr-[0-9a-f]{8} --timeout=" "$FAKE_LOG" || fail "no kubectl wait"
    assert_deleted
}

case_tools() {
    scenario helper-running-tools.json
    printf 'printf "%%s|" "$@"\n' >"$FAKE_DIR/exec.sh"
    out=$(plugin -n shop "$POD" --tools registry.example/debug-tools:1 </dev/null 2>"$tmp/err") || fail "--tools session failed: $(cat "$tmp/err")"
    [[ $out == "cntr|attach|-t|cgroup|--tools|container:$TOOLS_ID|$APP_ID|" ]] || fail "exec ran '$out'"
    assert_verbs "get create wait get exec delete"
    jq -e '[.spec.containers[].name] == ["cntr", "tools"]' "$FAKE_STATE/created.json" >/dev/null || fail "no tools container"
    assert_deleted
}

signal_case() { # SIGNAL NUMBER
    scenario helper-running.json
    printf 'exec sleep 60\n' >"$FAKE_DIR/exec.sh"
    # A background job of a script starts with SIGINT ignored; a user's shell
    # does not do that to kubectl cntr, so restore the default for it.
    env --default-signal=INT PATH="$tmp/s/bin:$PATH" KUBECTL_CNTR_IMAGE=r/cntr:1 "$PLUGIN" -n shop "$POD" </dev/null 2>"$tmp/err" &
    local pid=$! i
    for ((i = 0; i < 100; i++)); do
        [[ -s $FAKE_STATE/exec.pid ]] && break
        sleep 0.1
    done
    [[ -s $FAKE_STATE/exec.pid ]] || fail "the exec never started: $(cat "$tmp/err")"
    local exec_pid
    exec_pid=$(cat "$FAKE_STATE/exec.pid")
    kill "-$1" "$pid"
    local start=$SECONDS
    wait "$pid"
    rc=$?
    ((SECONDS - start < 5)) || fail "the plugin took $((SECONDS - start))s to end on $1"
    ((rc == 128 + $2)) || fail "exit status $rc on $1, expected $((128 + $2))"
    sleep 0.2
    ! kill -0 "$exec_pid" 2>/dev/null || { kill "$exec_pid"; fail "kubectl exec still runs after $1"; }
    assert_verbs "get create wait exec delete"
    assert_deleted
    grep -q "deleted helper pod shop/cntr-" "$tmp/err" || fail "no message about the deletion"
}
case_sigint() { signal_case INT 2; }
case_sigterm() { signal_case TERM 15; }
case_sighup() { signal_case HUP 1; }

case_create_refused() {
    scenario helper-running.json
    echo 1 >"$FAKE_DIR/create.rc"
    plugin -n shop "$POD" </dev/null 2>"$tmp/err"; rc=$?
    ((rc == 125)) || fail "exit $rc, not 125"
    grep -q "could not create the helper pod" "$tmp/err" && grep -q "Pod Security" "$tmp/err" || fail "unhelpful: $(cat "$tmp/err")"
    assert_verbs "get create delete"
}

case_image_pull_backoff() {
    scenario helper-creating.json helper-pullbackoff.json
    echo 1 >"$FAKE_DIR/wait.rc"
    plugin -n shop "$POD" </dev/null 2>"$tmp/err"; rc=$?
    ((rc == 125)) || fail "exit $rc, not 125"
    grep -q 'ImagePullBackOff: Back-off pulling image "registry.example/cntr:0.1.0"' "$tmp/err" && grep -q -- "--image-pull-secret" "$tmp/err" ||
        fail "unhelpful: $(cat "$tmp/err")"
    assert_verbs "get create wait get wait get delete"
    assert_deleted
}

case_pending_timeout() {
    scenario helper-unschedulable.json
    echo 1 >"$FAKE_DIR/wait.rc"
    plugin -n shop "$POD" --timeout 1 </dev/null 2>"$tmp/err"; rc=$?
    ((rc == 125)) || fail "exit $rc, not 125"
    grep -q "not ready after 1s: unscheduled Unschedulable: 0/3 nodes are available" "$tmp/err" || fail "unhelpful: $(cat "$tmp/err")"
    assert_deleted
}

case_bad_target() {
    scenario
    plugin -n shop nosuchpod 2>"$tmp/err"; rc=$?
    ((rc == 125)) && grep -q "cannot read pod nosuchpod in namespace shop" "$tmp/err" || fail "missing pod: $rc $(cat "$tmp/err")"
    plugin -n shop queued 2>"$tmp/err"; rc=$?
    ((rc == 125)) && grep -q "not scheduled to a node yet" "$tmp/err" || fail "unscheduled pod: $rc $(cat "$tmp/err")"
    plugin -n shop "$POD" -c proxy 2>"$tmp/err"; rc=$?
    ((rc == 125)) && grep -q "proxy .* is not running (waiting:CrashLoopBackOff)" "$tmp/err" || fail "crashing container: $rc $(cat "$tmp/err")"
    plugin -n shop "$POD" -c nope 2>"$tmp/err"; rc=$?
    ((rc == 125)) && grep -q 'no container "nope"' "$tmp/err" && grep -q "app proxy" "$tmp/err" || fail "unknown container: $rc $(cat "$tmp/err")"
    ! grep -q create "$FAKE_LOG" || fail "a pod was created for a bad target"
}

case_exec_error() {
    scenario helper-running.json
    printf 'echo "error: unable to upgrade connection: container not found" >&2; exit 1\n' >"$FAKE_DIR/exec.sh"
    plugin -n shop "$POD" </dev/null 2>"$tmp/err"; rc=$?
    ((rc == 1)) || fail "exit $rc, not kubectl's 1"
    assert_deleted
}

case_cleanup() {
    scenario
    cp "$HERE/recorded/list-0.json" "$HERE/recorded/list-1.json" "$FAKE_DIR/list/"
    out=$(plugin --cleanup --dry-run) || fail "--cleanup --dry-run failed"
    [[ $out == *"shop/cntr-1a2b3c4d"*Running*"payments/cntr-5e6f7a8b"*Failed* ]] || fail "--cleanup --dry-run listed: $out"
    ! grep -q delete "$FAKE_LOG" || fail "--cleanup --dry-run deleted"
    grep -q -- "get pods --all-namespaces -l app.kubernetes.io/managed-by=kubectl-cntr" "$FAKE_LOG" || fail "not listed by label in all namespaces"
    : >"$FAKE_LOG"
    out=$(plugin --cleanup) || fail "--cleanup failed"
    grep -q "delete pod --namespace=shop cntr-1a2b3c4d" "$FAKE_LOG" && grep -q "delete pod --namespace=payments cntr-5e6f7a8b" "$FAKE_LOG" ||
        fail "--cleanup did not delete both"
    # Without the right to list every namespace: the context's namespace only.
    echo 1 >"$FAKE_DIR/list-all.rc"
    : >"$FAKE_LOG"
    plugin --cleanup 2>"$tmp/err" >/dev/null || fail "--cleanup without cluster-wide list failed"
    assert_verbs "get get delete delete"
    grep -q "context's namespace only" "$tmp/err" || fail "no fallback message"
    rm -f "$FAKE_DIR"/list/*.json
    out=$(plugin --cleanup -n shop 2>&1) || fail "--cleanup with nothing left failed"
    [[ $out == *"no helper pods left"* ]] || fail "$out"
}

cases=(help dry_run_spec session tools sigint sigterm sighup create_refused image_pull_backoff
    pending_timeout bad_target exec_error cleanup)
if [[ ${1:-} == all ]]; then
    for CASE in "${cases[@]}"; do ("case_$CASE") || exit 1; echo "ok $CASE"; done
    exit 0
fi
CASE=${1:?usage: kubectl-cntr-test.sh CASE|all}
declare -F "case_$CASE" >/dev/null || { echo "no case $CASE" >&2; exit 1; }
"case_$CASE" && echo "ok $CASE"
