#!/bin/sh
# /init of the test VM (busybox sh). Runs the armorlab scenario against the real kernel
# and prints one `PASS name` or `FAIL name` line per check, then `SCENARIO DONE`.
# Opens files for writing but never writes to them (`: >FILE` opens and closes).

/bin/busybox mkdir -p /proc /sys /tmp /dev /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t securityfs securityfs /sys/kernel/security
mount -t tmpfs tmpfs /tmp
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null

# Explicit deny rules are not logged unless audit is `noquiet`; the log helps debugging
# a failed check. The value must be written without a trailing newline.
printf %s noquiet > /sys/module/apparmor/parameters/audit 2>/dev/null
echo 0 > /proc/sys/kernel/printk_ratelimit 2>/dev/null

AL=/usr/bin/armorlab
PROFILE=/scenario/docker-default
BROKEN=/scenario/docker-default.broken
DIR=/etc/apparmor.d
pass=0
fail=0

check() {
  # check NAME CMD...: PASS when CMD succeeds.
  name=$1
  shift
  if "$@" >/tmp/out 2>&1; then
    echo "PASS $name"
    pass=$((pass + 1))
  else
    echo "FAIL $name"
    sed 's/^/    | /' /tmp/out
    fail=$((fail + 1))
  fi
}

# Runs a command confined by profile $1 (by asking the kernel to switch profile on exec).
confined() {
  prof=$1
  shift
  sh -c '
    if [ -e /proc/self/attr/apparmor/exec ]; then a=/proc/self/attr/apparmor/exec; else a=/proc/self/attr/exec; fi
    printf "exec %s" "$0" > "$a" || exit 97
    exec "$@"
  ' "$prof" "$@"
}

# The kernel's verdict for opening PATH under the profile: allow, deny, or absent.
# PERM is r (open for reading) or w (open for writing, nothing written).
kernel_verdict() {
  perm=$1
  path=$2
  if [ "$perm" = w ]; then
    confined docker-default sh -c ': > "$0"' "$path" 2>/tmp/err
  else
    confined docker-default sh -c ': < "$0"' "$path" 2>/tmp/err
  fi
  rc=$?
  if [ $rc -eq 0 ]; then
    echo allow
  elif grep -q 'Permission denied' /tmp/err; then
    echo deny
  elif grep -q -e "No such file" -e "nonexistent directory" /tmp/err; then
    echo absent
  else
    echo "error($rc: $(cat /tmp/err))"
  fi
}

verdict_is() {
  # verdict_is PERM PATH VERDICT
  v=$(kernel_verdict "$1" "$2")
  echo "kernel verdict for $1 $2: $v"
  [ "$v" = "$3" ]
}

mode_is() {
  # mode_is NAME MODE: the kernel lists NAME in MODE, and `armorlab status` agrees.
  grep -qx "$1 ($2)" /sys/kernel/security/apparmor/profiles &&
    $AL status --color never | grep -q "^  $1 ($2)" &&
    $AL status --format json | grep -q "{\"mode\":\"$2\",\"name\":\"$1\"}"
}

echo "SCENARIO START"
echo "kernel $(uname -r), apparmor enabled: $(cat /sys/module/apparmor/parameters/enabled)"

check "load docker-default" $AL load $PROFILE
check "installed as $DIR/docker-default" cmp $PROFILE $DIR/docker-default
check "status lists docker-default in enforce mode" mode_is docker-default enforce
check "confined process denied opening /proc/sysrq-trigger for writing" \
  verdict_is w /proc/sysrq-trigger deny
check "confined process allowed opening /proc/sys/kernel/core_pattern for writing" \
  verdict_is w /proc/sys/kernel/core_pattern allow
confined docker-default sleep 60 &
sleeper=$!
sleep 1
check "status shows the sleeping process confined by docker-default" \
  sh -c "$AL status --format json | grep -q '\"comm\":\"sleep\",\"mode\":\"enforce\",\"pid\":[0-9]*,\"profile\":\"docker-default\"'"
kill $sleeper 2>/dev/null

# The kernel's verdicts must agree with `armorlab test` on every path of the list.
while read -r perm path; do
  case "$perm" in ''|'#'*) continue ;; esac
  k=$(kernel_verdict "$perm" "$path")
  if [ "$k" = absent ]; then
    echo "SKIP $perm $path (absent in this VM)"
    continue
  fi
  a=$($AL test $PROFILE --format json "$perm $path" 2>/tmp/aerr | sed -n 's/.*"verdict":"\([a-z]*\)".*/\1/p')
  check "kernel and armorlab test agree on $perm $path (kernel: $k, armorlab: ${a:-error $(head -c 200 /tmp/aerr)})" \
    [ "$k" = "$a" ]
done < /scenario/queries

check "load --complain switches to complain mode" $AL load --complain $PROFILE
check "status lists docker-default in complain mode" mode_is docker-default complain
check "load again switches back to enforce mode" $AL load $PROFILE
check "status lists docker-default in enforce mode again" mode_is docker-default enforce

# A profile the kernel's parser rejects: load fails, the previous version stays loaded
# and installed.
check "load of a profile apparmor_parser rejects fails" sh -c "! $AL load $BROKEN"
check "after the rejected load the previous file is installed" cmp $PROFILE $DIR/docker-default
check "after the rejected load docker-default is still loaded in enforce mode" mode_is docker-default enforce
check "after the rejected load confinement still denies /proc/sysrq-trigger" \
  verdict_is w /proc/sysrq-trigger deny

check "unload docker-default" $AL unload docker-default
check "docker-default is gone from the kernel" sh -c '! grep -q "^docker-default " /sys/kernel/security/apparmor/profiles'
check "status no longer lists docker-default" sh -c "! $AL status | grep -q docker-default"
check "the unloaded profile's file is moved aside" sh -c "[ ! -e $DIR/docker-default ] && [ -e $DIR/.docker-default.armorlab-previous ]"
check "unload of a profile that is not loaded fails with exit 1" sh -c "$AL unload docker-default; [ \$? -eq 1 ]"

echo "SCENARIO DONE $pass passed, $fail failed"
sync
poweroff -f
