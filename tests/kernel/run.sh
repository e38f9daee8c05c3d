#!/usr/bin/env bash
# Proves `armorlab load/status/unload/test` on a real kernel with AppArmor, under qemu.
#
# Idempotent: the Debian cloud kernel is downloaded once into tests/kernel/work/ (gitignored)
# and reused; the initramfs is rebuilt on every run (a few seconds) so it always carries the
# current armorlab binary. Prints one PASS/FAIL line per check and ends with
# `N passed, M failed`; exits non-zero when anything failed or the VM did not finish.
#
# Needs: apt-get (download only), dpkg-deb, qemu-system-x86_64, busybox (static),
# apparmor_parser with /etc/apparmor.d, cargo.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work="$here/work"
mkdir -p "$work"
cd "$root"

passed=0
failed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
  exit $?
}

# --- tools --------------------------------------------------------------------------
for tool in qemu-system-x86_64 busybox apparmor_parser dpkg-deb cargo gzip; do
  command -v "$tool" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin"
  if ! command -v "$tool" >/dev/null 2>&1; then
    fail "tool $tool is installed (missing: apt-get install qemu-system-x86 busybox-static apparmor)"
    finish
  fi
done
busybox_bin=$(command -v busybox)
parser_bin=$(command -v apparmor_parser)

# --- kernel ---------------------------------------------------------------------------
vmlinuz=$(ls "$work"/kernel/boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)
if [ -z "$vmlinuz" ]; then
  deb=$(ls "$work"/linux-image-6.1.0-*-cloud-amd64_*.deb 2>/dev/null | sort -V | tail -1)
  if [ -z "$deb" ]; then
    pkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' 2>/dev/null |
      awk '{print $1}' | sort -V | tail -1)
    if [ -z "$pkg" ]; then
      fail "find a Debian linux-image-6.1.0-N-cloud-amd64 package (run apt-get update)"
      finish
    fi
    echo "downloading $pkg"
    (cd "$work" && apt-get download "$pkg" >/dev/null 2>&1)
    deb=$(ls "$work"/linux-image-6.1.0-*-cloud-amd64_*.deb 2>/dev/null | sort -V | tail -1)
    [ -n "$deb" ] || { fail "apt-get download $pkg"; finish; }
  fi
  rm -rf "$work/kernel"
  dpkg-deb -x "$deb" "$work/kernel" || { fail "extract $deb"; finish; }
  vmlinuz=$(ls "$work"/kernel/boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)
fi
[ -n "$vmlinuz" ] || { fail "kernel image in $work/kernel/boot"; finish; }
echo "kernel: $vmlinuz"

# --- armorlab -------------------------------------------------------------------------
features=()
if grep -q '^core-api *=' cli/Cargo.toml; then features=(--features core-api); fi
if ! cargo build -q -p armorlab-cli "${features[@]}" 2>"$work/build.log"; then
  cat "$work/build.log"
  fail "cargo build -p armorlab-cli"
  finish
fi
armorlab="$root/target/debug/armorlab"

# --- the scenario's profiles ----------------------------------------------------------
profile="$root/templates/docker-default.docs.apparmor"
# A profile the kernel's parser rejects but armorlab's core accepts, so that the load
# reaches apparmor_parser and its rollback: the first candidate that qualifies here.
broken=""
candidates=(
  "  userns,"
  "  io_uring,"
  "  mqueue,"
  "  priority=1 /tmp/x r,"
  "  /usr/bin/foo ix,
  /usr/bin/foo px,"
  "  capability no_such_capability,"
  "  network inet foo,"
)
for extra in "${candidates[@]}"; do
  cand="$work/docker-default.broken"
  awk -v extra="$extra" '{ lines[NR] = $0 } END {
      for (i = NR; i > 0; i--) if (lines[i] ~ /^}/) { last = i; break }
      for (i = 1; i <= NR; i++) { if (i == last) print extra; print lines[i] } }' \
    "$profile" >"$cand"
  if "$armorlab" check "$cand" >/dev/null 2>&1 &&
    ! "$parser_bin" -Q -K -I /etc/apparmor.d "$cand" >/dev/null 2>&1; then
    broken="$cand"
    echo "rejected-by-parser profile: docker-default plus \`$(echo "$extra" | tr -s ' \n' ' ')\`"
    break
  fi
done
if [ -z "$broken" ]; then
  fail "find a profile armorlab accepts and apparmor_parser rejects (the rollback check needs one)"
  # Run the scenario anyway with a profile both reject, so the other checks still run.
  broken="$work/docker-default.broken"
  sed 's/^}$/  this is not a rule\n}/' "$profile" >"$broken"
fi

# --- initramfs ------------------------------------------------------------------------
rootfs="$work/rootfs"
rm -rf "$rootfs"
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc/apparmor,proc,sys,tmp,dev,scenario,lib64,lib/x86_64-linux-gnu}
cp "$busybox_bin" "$rootfs/bin/busybox"
ln -s busybox "$rootfs/bin/sh"
cp "$parser_bin" "$rootfs/sbin/apparmor_parser"
cp "$armorlab" "$rootfs/usr/bin/armorlab"
for bin in "$parser_bin" "$armorlab"; do
  ldd "$bin" | grep -o '/[^ ]*' | while read -r lib; do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
done
mkdir -p "$rootfs/etc/apparmor.d"
for d in tunables abstractions abi; do
  cp -a "/etc/apparmor.d/$d" "$rootfs/etc/apparmor.d/"
done
: >"$rootfs/etc/apparmor/parser.conf"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
# A file that defines its own profile and smuggles in a second docker-default.
printf 'profile innocent {\n  /tmp/** r,\n}\nprofile docker-default {\n  /** rwlk,\n}\n' >"$rootfs/scenario/smuggle"
cp "$profile" "$rootfs/scenario/docker-default"
cp "$root/templates/docker-default.rendered.apparmor" "$rootfs/scenario/docker-default.rendered"
cp "$broken" "$rootfs/scenario/docker-default.broken"
cat >"$rootfs/scenario/queries" <<'EOF'
# PERM PATH: opened (never written) by a process confined by docker-default.
w /proc/sysrq-trigger
w /proc/sys/kernel/core_pattern
w /proc/sys/kernel/shmmax
w /proc/sys/kernel/hostname
w /proc/sys/vm/swappiness
w /proc/sys/net/ipv4/ip_forward
r /proc/sysrq-trigger
r /proc/kcore
r /proc/sys/kernel/core_pattern
r /proc/1/status
w /sys/kernel/mm/transparent_hugepage/enabled
r /sys/kernel/security/apparmor/profiles
r /sys/kernel/mm/transparent_hugepage/enabled
w /sys/fs/cgroup/cgroup.procs
r /etc/passwd
w /tmp/armorlab-probe
w /etc/hostname
w /proc/1/oom_score_adj
r /proc/1/cmdline
w /proc/sys/kernel/shm_rmid_forced
w /proc/sys/kernel/sem
w /proc/sys/fs/file-max
r /proc/sys/kernel/shmmax
w /sys/power/state
w /sys/module/apparmor/parameters/audit
w /sys/fs/cgroup/cgroup.subtree_control
r /sys/kernel/security/apparmor/.remove
EOF
: >"$rootfs/etc/hostname"
cat >"$rootfs/scenario/armorlab-probe" <<'EOF'
profile armorlab-probe {
  /** r,
  /bin/busybox rix,
  /dev/** rw,
  /tmp/err w,
  /tmp/out w,
  owner /tmp/own/** w,
  /tmp/any/** w,
  deny /tmp/any/secret w,
  /tmp/glob/*.txt w,
  /tmp/capfile w,
  /tmp/nobodyfile w,
  capability chown,
  capability dac_override,
}
EOF
# HOW|ARGUMENT|QUERY: how the VM exercises the access, and the same access for `armorlab test`.
cat >"$rootfs/scenario/probe-queries" <<'EOF'
open-w|/tmp/own/mine|w /tmp/own/mine
open-w|/tmp/own/theirs|other w /tmp/own/theirs
open-w|/tmp/any/x|w /tmp/any/x
open-w|/tmp/any/secret|w /tmp/any/secret
open-w|/tmp/glob/a.txt|w /tmp/glob/a.txt
open-w|/tmp/glob/a.log|w /tmp/glob/a.log
open-r|/tmp/glob/a.log|r /tmp/glob/a.log
open-w|/etc/passwd|w /etc/passwd
chown|/tmp/capfile|capability chown
chmod|/tmp/nobodyfile|capability fowner
EOF
# Explicit deny rules in complain mode, and the same rules in enforce mode as a control:
# a plain (quiet) deny, an `audit deny`, and an owner-only deny with an owned and a foreign
# file. The two profiles differ only in name and flags.
cx_rules='  file,
  deny /tmp/cx/denied w,
  audit deny /tmp/cx/audited w,
  deny owner /tmp/cx/own-* w,
  deny /tmp/cx/mixed w,
  audit deny /tmp/cx/mixed r,
  deny capability chown,
  audit deny capability fowner,
  network inet,
  deny network alg,'
printf 'profile cx-complain flags=(complain) {\n%s\n}\n' "$cx_rules" >"$rootfs/scenario/cx-complain"
printf 'profile cx-enforce {\n%s\n}\n' "$cx_rules" >"$rootfs/scenario/cx-enforce"
printf 'profile netx {\n%s\n}\n' "$cx_rules" >"$rootfs/scenario/netx"
# HOW|ARGUMENT|QUERY: the access made under the profile, and the same access for
# `armorlab test`. `mixed` is opened read-write: a quiet `w` and a logged `r` denial.
cat >"$rootfs/scenario/cx-queries" <<'EOF2'
open-w|/tmp/cx/denied|w /tmp/cx/denied
open-w|/tmp/cx/audited|w /tmp/cx/audited
open-w|/tmp/cx/own-mine|w /tmp/cx/own-mine
open-w|/tmp/cx/own-theirs|other w /tmp/cx/own-theirs
open-w|/tmp/cx/plain|w /tmp/cx/plain
open-rw|/tmp/cx/mixed|rw /tmp/cx/mixed
chown|/tmp/cx/capfile|capability chown
chmod|/tmp/cx/nobodyfile|capability fowner
socket|alg seqpacket|network alg seqpacket
socket|inet dgram|network inet dgram
EOF2
# `deny network alg` (docker-default's rendered template) against real sockets:
# a static program so that it needs nothing from the initramfs.
mkdir -p "$rootfs/usr/share/apparmor-features"
cp /usr/share/apparmor-features/features "$rootfs/usr/share/apparmor-features/" 2>/dev/null
cp /etc/apparmor/parser.conf "$rootfs/scenario/debian-parser.conf" 2>/dev/null
if command -v gcc >/dev/null 2>&1 &&
  gcc -static -O2 -o "$rootfs/usr/bin/algsock" "$here/algsock.c" 2>"$work/algsock.log"; then
  :
else
  cat "$work/algsock.log" 2>/dev/null
  fail "build the static AF_ALG probe (gcc -static tests/kernel/algsock.c)"
fi
cp "$here/init.sh" "$rootfs/init"
chmod +x "$rootfs/init"
(cd "$rootfs" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 >"$work/initrd.gz") ||
  { fail "build the initramfs"; finish; }

# --- boot ---------------------------------------------------------------------------
# Runs the VM once with the given extra kernel arguments and adds its PASS/FAIL lines to
# the totals; $1 names the run in the log file names.
boot() {
  local name=$1 extra=$2
  local console="$work/console-$name.log"
  rm -f "$console"
  timeout 600 qemu-system-x86_64 -accel tcg -m 1024 -smp 1 -display none -no-reboot \
    -serial "file:$console" -kernel "$vmlinuz" -initrd "$work/initrd.gz" \
    -append "console=ttyS0 panic=-1 loglevel=4 $extra" >/dev/null 2>&1
  local rc=$?
  [ $rc -eq 0 ] || echo "qemu exited with $rc (124 means it timed out)"
  tr -d '\r' <"$console" >"$console.txt"
  if ! grep -q '^SCENARIO START' "$console.txt"; then
    tail -40 "$console.txt"
    fail "$name: the VM booted and ran the scenario"
    return
  fi
  # Every line between START and DONE: checks, their output, skips.
  sed -n '/^SCENARIO START/,/^SCENARIO DONE/p' "$console.txt" | grep -v '^SCENARIO' |
    grep -v 'audit: type=' >"$work/scenario-$name.log"
  cat "$work/scenario-$name.log"
  passed=$((passed + $(grep -c '^PASS ' "$work/scenario-$name.log")))
  failed=$((failed + $(grep -c '^FAIL ' "$work/scenario-$name.log")))
  if ! grep -q '^SCENARIO DONE' "$console.txt"; then
    tail -20 "$console.txt"
    fail "$name: the scenario ran to its end"
  fi
}

boot apparmor "apparmor=1 security=apparmor"
boot disabled "apparmor=0 armorlab_scenario=disabled"
finish
