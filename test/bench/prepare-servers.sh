#!/usr/bin/env bash
# Prepares Cyrus IMAP and Courier IMAP/POP3 for the test bench, beside Dovecot. Their Debian
# packages conflict with Dovecot's (Conflicts: imap-server), so they are not installed: the
# server packages are downloaded and unpacked into $MAILPUMP_SERVERS_DIR, and only the
# libraries they need are installed. Run as root (CI does); safe to run again.
set -euo pipefail

dir="${MAILPUMP_SERVERS_DIR:-/var/cache/mailpump-test-servers}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive

cyrus_packages=(cyrus-common cyrus-imapd cyrus-pop3d)
courier_packages=(courier-base courier-imap courier-pop courier-authdaemon courier-authlib courier-authlib-userdb)
libraries=(gawk libclamav12 libical3 libpcre3 libxapian30 libzephyr4 sasl2-bin libsasl2-modules
  libcourier-unicode4 libgamin0 libidn12 libltdl7 libgdbm6 perl)

missing_libraries=()
for package in "${libraries[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing_libraries+=("$package")
done
if [ ${#missing_libraries[@]} -gt 0 ]; then
  echo "installing libraries for Cyrus and Courier: ${missing_libraries[*]}"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-upgrade "${missing_libraries[@]}"
fi

# Cyrus's master refuses to run as anyone but its user; couriertls looks up its user.
for user in cyrus courier; do
  id "$user" >/dev/null 2>&1 || $sudo useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$user"
done

unpack() { # family marker packages...
  local family="$1" marker="$2"
  shift 2
  [ -x "$dir/$family/$marker" ] && return 0
  echo "unpacking $family: $*"
  local download
  download="$(mktemp -d)"
  (cd "$download" && apt-get download -o APT::Sandbox::User=root "$@" >/dev/null)
  $sudo rm -rf "$dir/$family.new"
  $sudo mkdir -p "$dir/$family.new"
  for deb in "$download"/*.deb; do $sudo dpkg-deb -x "$deb" "$dir/$family.new"; done
  rm -rf "$download"
  $sudo rm -rf "${dir:?}/$family"
  $sudo mv "$dir/$family.new" "$dir/$family"
}

unpack cyrus usr/lib/cyrus/bin/master "${cyrus_packages[@]}"
unpack courier usr/bin/couriertls "${courier_packages[@]}"
