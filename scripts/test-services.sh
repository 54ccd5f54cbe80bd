#!/usr/bin/env bash
# Start or stop the real peers the tests use: carbon-cache (Graphite plaintext) and a second sshd, both on
# loopback only. Installs the Debian packages (and Chromium for the page tests) when they are missing.
#
#   scripts/test-services.sh start STATE_DIR   # writes STATE_DIR/env (source it before the tests)
#   scripts/test-services.sh stop STATE_DIR
set -euo pipefail
cmd=${1:?usage: test-services.sh start|stop STATE_DIR}
ST=${2:?usage: test-services.sh start|stop STATE_DIR}
mkdir -p "$ST"
ST=$(cd "$ST" && pwd)

stop_services() {
  for f in "$ST/carbon/run/carbon.pid.launcher" "$ST/sshd/sshd.pid.launcher"; do
    [ -f "$f" ] || continue
    p=$(cat "$f")
    kill "$p" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null
    rm -f "$f"
  done
}

if [ "$cmd" = stop ]; then stop_services; exit 0; fi
[ "$cmd" = start ] || { echo "usage: test-services.sh start|stop STATE_DIR" >&2; exit 2; }

free_port() { # first port >= $1 that nothing listens on
  local p=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
  echo "$p"
}
wait_port() {
  for _ in $(seq 1 150); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "port $1 did not open" >&2
  return 1
}

if ! command -v carbon-cache >/dev/null || ! [ -x /usr/bin/whisper-fetch ] || ! [ -x /usr/sbin/sshd ] ||
  ! command -v chromium >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    graphite-carbon python3-whisper openssh-server chromium >/dev/null
fi

CARBON_PORT=${CARBON_PORT:-$(free_port 2003)}
SSHD_PORT=${SSHD_PORT:-$(free_port 2222)}

C=$ST/carbon
mkdir -p "$C"/{conf,whisper,log,run,lists}
cat >"$C/conf/carbon.conf" <<CONF
[cache]
STORAGE_DIR = $C/
LOCAL_DATA_DIR = $C/whisper/
WHITELISTS_DIR = $C/lists/
CONF_DIR = $C/conf/
LOG_DIR = $C/log/
PID_DIR = $C/run/
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = $CARBON_PORT
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = $(free_port $((CARBON_PORT + 1)))
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = $(free_port $((CARBON_PORT + 5000)))
CARBON_METRIC_INTERVAL = 0
WHISPER_AUTOFLUSH = True
WHISPER_FALLOCATE_CREATE = False
LOG_CREATES = True
CONF
printf '[all]\npattern = .*\nretentions = 1s:1h,60s:7d\n' >"$C/conf/storage-schemas.conf"
carbon-cache --config="$C/conf/carbon.conf" --pidfile="$C/run/carbon.pid" --nodaemon start >"$C/log/console.log" 2>&1 &
echo $! >"$C/run/carbon.pid.launcher"
wait_port "$CARBON_PORT"

S=$ST/sshd
mkdir -p "$S" /run/sshd
[ -f "$S/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C test-host -f "$S/host_ed25519"
[ -f "$S/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C test-client -f "$S/client_ed25519"
cp "$S/client_ed25519.pub" "$S/authorized_keys"
chmod 600 "$S/authorized_keys"
cat >"$S/sshd_config" <<CONF
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $S/host_ed25519
PidFile $S/sshd.pid
AuthorizedKeysFile $S/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
Subsystem sftp internal-sftp
CONF
/usr/sbin/sshd -t -f "$S/sshd_config"
/usr/sbin/sshd -D -e -f "$S/sshd_config" >"$S/sshd.log" 2>&1 &
echo $! >"$S/sshd.pid.launcher"
wait_port "$SSHD_PORT"
ssh-keyscan -p "$SSHD_PORT" -t ed25519 127.0.0.1 2>/dev/null >"$S/known_hosts"

cat >"$ST/env" <<ENV
export CARBON_HOST=127.0.0.1 CARBON_PORT=$CARBON_PORT CARBON_WHISPER_DIR=$C/whisper
export SSH_HOST=127.0.0.1 SSH_PORT=$SSHD_PORT SSH_USER=$(id -un) SSH_KEY=$S/client_ed25519 SSH_KNOWN_HOSTS=$S/known_hosts SSH_HOST_PUB=$S/host_ed25519.pub
export CHROMIUM_PATH=/usr/bin/chromium
ENV
echo "test services up: carbon 127.0.0.1:$CARBON_PORT, sshd 127.0.0.1:$SSHD_PORT (env in $ST/env)"
