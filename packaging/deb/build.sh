#!/usr/bin/env bash
# Builds the Debian package of wartesaal with dpkg-deb (Debian's own tool):
#
#   packaging/deb/build.sh            ->  target/debian/wartesaal_<version>_<arch>.deb
#
# It holds the release binary as /usr/bin/wartesaal, the systemd unit, the example config as
# /etc/wartesaal/wartesaal.toml (a conffile: upgrades keep the operator's edits) with the
# shipped templates under /usr/share/wartesaal, and maintainer scripts that create the
# `wartesaal` system user and its secrets on first install. Install it with
#   apt-get install ./target/debian/wartesaal_<version>_<arch>.deb
set -euo pipefail
cd "$(dirname "$0")/../.."

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
arch=$(dpkg --print-architecture)
# PROFILE=dev packages the debug binary instead: CI checks the packaging with the binary its
# tests already built rather than compiling every dependency once more in release.
profile="${PROFILE:-release}"
cargo build --profile "$profile" --locked --quiet --bin wartesaal
dir=$([ "$profile" = dev ] && echo debug || echo "$profile")

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
install -D -m 0755 "target/$dir/wartesaal" "$root/usr/bin/wartesaal"
sed 's|/usr/local/bin/wartesaal|/usr/bin/wartesaal|g' deploy/systemd/wartesaal.service \
  | install -D -m 0644 /dev/stdin "$root/lib/systemd/system/wartesaal.service"
# The example config with the package's paths: secrets in /etc/wartesaal, the line in
# /var/lib/wartesaal (the unit's StateDirectory), the admin token switched on.
sed -e 's|"config/secret.key"|"/etc/wartesaal/secret.key"|' \
    -e 's|^# token_file = "config/admin.token"|token_file = "/etc/wartesaal/admin.token"|' \
    -e 's|^dir = "var/wartesaal"|dir = "/var/lib/wartesaal"|' \
    -e 's|"config/templates"|"/usr/share/wartesaal/templates"|' \
    -e 's|"config/smtp.credentials"|"/etc/wartesaal/smtp.credentials"|' \
    -e 's|--config config/wartesaal.toml|--config /etc/wartesaal/wartesaal.toml|' \
    -e 's|"config/\([a-z.-]*\)"|"/etc/wartesaal/\1"|g' \
    config/wartesaal.toml | install -D -m 0644 /dev/stdin "$root/etc/wartesaal/wartesaal.toml"
grep -q '"/etc/wartesaal/secret.key"' "$root/etc/wartesaal/wartesaal.toml"
grep -q '^token_file = "/etc/wartesaal/admin.token"' "$root/etc/wartesaal/wartesaal.toml"
grep -q '^dir = "/var/lib/wartesaal"' "$root/etc/wartesaal/wartesaal.toml"
mkdir -p "$root/usr/share/wartesaal" "$root/usr/share/doc/wartesaal"
cp -r config/templates "$root/usr/share/wartesaal/templates"
install -m 0644 README.md "$root/usr/share/doc/wartesaal/README.md"
# The reference the README links to, with its pictures, at the same relative paths.
mkdir -p "$root/usr/share/doc/wartesaal/docs"
cp -r docs/. "$root/usr/share/doc/wartesaal/docs/"
install -m 0644 LICENSE "$root/usr/share/doc/wartesaal/copyright"

mkdir -p "$root/DEBIAN"
cat >"$root/DEBIAN/control" <<CONTROL
Package: wartesaal
Version: $version
Architecture: $arch
Maintainer: wartesaal developers <wartesaal@localhost>
Depends: adduser, libc6
Section: web
Priority: optional
Homepage: https://github.com/wartesaal/wartesaal
Description: virtual waiting room in front of an unchanged booking site
 A reverse proxy that gives every visitor a signed ticket with a place in
 line and lets visitors through in ticket order at the rate the booking
 site can take. Everyone else sees a calm page with their place and an
 honest wait. Prometheus metrics and an admin API for the operators.
CONTROL
echo /etc/wartesaal/wartesaal.toml >"$root/DEBIAN/conffiles"
install -m 0755 packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm "$root/DEBIAN/"

mkdir -p target/debian
out="target/debian/wartesaal_${version}_${arch}.deb"
dpkg-deb --root-owner-group --build "$root" "$out" >/dev/null
echo "$out"
