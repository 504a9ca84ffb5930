#!/usr/bin/env bash
# CI's check of the Debian package: builds it, installs it with apt-get on this machine,
# starts the binary as its systemd unit would (user, working directory, check first; or the
# unit itself where systemd runs) and waits for /readyz. Removes it again at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
deb=$(packaging/deb/build.sh)
apt-get install -y -qq "./$deb" >/dev/null
getent passwd wartesaal >/dev/null
test "$(stat -c '%a %U:%G' /etc/wartesaal/secret.key)" = "640 root:wartesaal"
/usr/bin/wartesaal check --config /etc/wartesaal/wartesaal.toml
if [ -d /run/systemd/system ]; then
    systemctl start wartesaal
    stop() { systemctl stop wartesaal; }
else
    # No systemd here (a container): what the unit runs, as the unit runs it.
    (cd /var/lib/wartesaal && exec setpriv --reuid=wartesaal --regid=wartesaal --init-groups \
        /usr/bin/wartesaal run --config /etc/wartesaal/wartesaal.toml) &
    pid=$!
    stop() { kill "$pid"; wait "$pid" || true; }
fi
ready=""
for _ in $(seq 1 100); do
    if python3 -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:9090/readyz', timeout=1).status != 200)" 2>/dev/null; then
        ready=yes
        break
    fi
    sleep 0.1
done
stop
apt-get purge -y -qq wartesaal >/dev/null
test -n "$ready" || { echo "the installed wartesaal never answered /readyz" >&2; exit 1; }
echo "the package installs, starts and answers /readyz"
