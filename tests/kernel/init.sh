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

if grep -q 'armorlab_scenario=disabled' /proc/cmdline; then
  # Booted with apparmor=0: every host command must say so, and change nothing.
  echo "SCENARIO START"
  echo "kernel $(uname -r), apparmor enabled: $(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)"
  check "disabled kernel: status fails with exit 2 and says AppArmor is disabled" \
    sh -c "$AL status 2>/tmp/e; [ \$? -eq 2 ] && grep -q 'AppArmor is disabled' /tmp/e"
  check "disabled kernel: load fails with exit 2 and says AppArmor is disabled" \
    sh -c "$AL load $PROFILE 2>/tmp/e; [ \$? -eq 2 ] && grep -q 'AppArmor is disabled' /tmp/e"
  check "disabled kernel: nothing was installed" [ ! -e $DIR/docker-default ]
  echo "SCENARIO DONE $pass passed, $fail failed"
  sync
  poweroff -f
fi

echo "SCENARIO START"
echo "kernel $(uname -r), apparmor enabled: $(cat /sys/module/apparmor/parameters/enabled)"

# Without apparmor_parser: a clear error that says how to install it, nothing installed.
mv /sbin/apparmor_parser /sbin/apparmor_parser.away
check "without apparmor_parser load fails with exit 2 and says how to install it" \
  sh -c "$AL load $PROFILE 2>/tmp/e; [ \$? -eq 2 ] && grep -q 'apt-get install apparmor' /tmp/e"
check "without apparmor_parser nothing was installed" [ ! -e $DIR/docker-default ]
mv /sbin/apparmor_parser.away /sbin/apparmor_parser

check "load docker-default" $AL load $PROFILE
check "installed as $DIR/docker-default" cmp $PROFILE $DIR/docker-default
check "status lists docker-default in enforce mode" mode_is docker-default enforce
harness_confines() {
  label=$(confined docker-default sh -c 'cat /proc/self/attr/current' | tr -d '\0')
  echo "label: $label"
  [ "$label" = 'docker-default (enforce)' ]
}
check "a process started by the test harness really runs under docker-default" harness_confines
check "confined process denied opening /proc/sysrq-trigger for writing" \
  verdict_is w /proc/sysrq-trigger deny
check "confined process allowed opening /proc/sys/kernel/core_pattern for writing" \
  verdict_is w /proc/sys/kernel/core_pattern allow
confined docker-default sh -c 'sleep 60' &
sleeper=$!
sleep 1
check "status shows the sleeping process confined by docker-default" \
  sh -c "$AL status --format json | grep -q '\"comm\":\"sleep\",\"container\":null,\"mode\":\"enforce\",\"pid\":[0-9]*,\"profile\":\"docker-default\"'"
kill $sleeper 2>/dev/null

# The kernel's verdicts must agree with `armorlab test` on every path of the list.
compare_all() {
  file=$1
  label=$2
  while read -r perm path; do
    case "$perm" in ''|'#'*) continue ;; esac
    k=$(kernel_verdict "$perm" "$path")
    if [ "$k" = absent ]; then
      echo "SKIP $perm $path (absent in this VM)"
      continue
    fi
    a=$($AL test "$file" --format json "$perm $path" 2>/tmp/aerr | sed -n 's/.*"verdict":"\([a-z]*\)".*/\1/p')
    check "$label: kernel and armorlab test agree on $perm $path (kernel: $k, armorlab: ${a:-error $(head -c 200 /tmp/aerr)})" \
      [ "$k" = "$a" ]
  done < /scenario/queries
}
compare_all $PROFILE docs

check "load --complain switches to complain mode" $AL load --complain $PROFILE
check "status lists docker-default in complain mode" mode_is docker-default complain
check "load again switches back to enforce mode" $AL load $PROFILE
check "status lists docker-default in enforce mode again" mode_is docker-default enforce

# A profile the kernel's parser rejects: load fails, the previous version stays loaded
# and installed.
$AL load $BROKEN >/tmp/broken.out 2>&1
broken_rc=$?
echo "    | $(tr '\n' ' ' < /tmp/broken.out | head -c 600)"
check "load of a profile apparmor_parser rejects fails with exit 1" [ $broken_rc -eq 1 ]
check "the rejected load shows apparmor_parser's message" grep -q "apparmor_parser rejected the profile" /tmp/broken.out
check "the rejected load says it restored the previous version" grep -q "restored and reloaded the previous version" /tmp/broken.out
check "after the rejected load the previous file is installed" cmp $PROFILE $DIR/docker-default
check "after the rejected load docker-default is still loaded in enforce mode" mode_is docker-default enforce
check "after the rejected load confinement still denies /proc/sysrq-trigger" \
  verdict_is w /proc/sysrq-trigger deny

# A file that smuggles a second profile in must be refused, and the kernel untouched.
check "a file redefining docker-default next to its own profile is refused" \
  sh -c "$AL load /scenario/smuggle; [ \$? -eq 1 ]"
check "the refused file is not installed" [ ! -e $DIR/smuggle -a ! -e $DIR/innocent ]
check "after the refused load docker-default is still the installed one" cmp $PROFILE $DIR/docker-default
check "the smuggling file's own profile was not loaded" sh -c '! grep -q "^innocent " /sys/kernel/security/apparmor/profiles'

# Not root: a clear error, exit 2, nothing changed.
check "load as an unprivileged user fails with exit 2 and says it needs root" \
  sh -c "su -s /bin/sh -c '$AL load $PROFILE' nobody 2>/tmp/nr; [ \$? -eq 2 ] && grep -q 'needs root' /tmp/nr"
check "dry run changes nothing" sh -c "$AL load --dry-run /scenario/docker-default.rendered && cmp $PROFILE $DIR/docker-default"

check "unload docker-default" $AL unload docker-default
check "docker-default is gone from the kernel" sh -c '! grep -q "^docker-default " /sys/kernel/security/apparmor/profiles'
check "status no longer lists docker-default" sh -c "! $AL status | grep -q docker-default"
check "the unloaded profile's file is moved aside" sh -c "[ ! -e $DIR/docker-default ] && [ -e $DIR/.docker-default.armorlab-previous ]"
check "unload of a profile that is not loaded fails with exit 1" sh -c "$AL unload docker-default; [ \$? -eq 1 ]"

# Docker's current docker-default (rendered from moby's template, with abi and more deny
# rules) must agree with the kernel too.
check "load the rendered docker-default" $AL load /scenario/docker-default.rendered
check "status lists the rendered docker-default in enforce mode" mode_is docker-default enforce
compare_all /scenario/docker-default.rendered rendered
check "unload the rendered docker-default" $AL unload docker-default

# A profile of our own with owner rules, a deny inside an allowed tree, globs and a
# capability split, probed with real syscalls: open, chown (CAP_CHOWN, w), chmod of a file
# another user owns (CAP_FOWNER, w).
mkdir -p /tmp/own /tmp/any /tmp/glob
touch /tmp/own/mine /tmp/own/theirs /tmp/any/x /tmp/any/secret /tmp/glob/a.txt /tmp/glob/a.log \
  /tmp/capfile /tmp/nobodyfile
chown 65534 /tmp/own/theirs /tmp/nobodyfile
check "load armorlab-probe" $AL load /scenario/armorlab-probe

probe_verdict() {
  case $1 in
    open-w) confined armorlab-probe sh -c ': > "$0"' "$2" ;;
    open-r) confined armorlab-probe sh -c ': < "$0"' "$2" ;;
    # Through `sh -c`: busybox may run an applet given to `exec` in-process without
    # execve, which would skip the profile switch; the shell itself is exec'd.
    chown) confined armorlab-probe sh -c 'chown 65534 "$0"' "$2" ;;
    chmod) confined armorlab-probe sh -c 'chmod 600 "$0"' "$2" ;;
  esac 2>/tmp/err
  rc=$?
  if [ $rc -eq 0 ]; then
    echo allow
  elif grep -q -e 'Permission denied' -e 'Operation not permitted' /tmp/err; then
    echo deny
  else
    echo "error($rc: $(cat /tmp/err))"
  fi
}

while IFS='|' read -r how arg query; do
  case "$how" in ''|'#'*) continue ;; esac
  k=$(probe_verdict "$how" "$arg")
  a=$($AL test /scenario/armorlab-probe --format json "$query" 2>/tmp/aerr | sed -n 's/.*"verdict":"\([a-z]*\)".*/\1/p')
  check "probe: kernel and armorlab test agree on \`$query\` ($how $arg; kernel: $k, armorlab: ${a:-error $(head -c 200 /tmp/aerr)})" \
    [ "$k" = "$a" ]
done < /scenario/probe-queries
check "unload armorlab-probe" $AL unload armorlab-probe

# Explicit deny rules in complain mode. Each file exists beforehand (a missing one fails with
# ENOENT before AppArmor decides); own-theirs belongs to nobody and is world-writable so that
# no capability is needed to open it.
mkdir -p /tmp/cx
touch /tmp/cx/denied /tmp/cx/audited /tmp/cx/own-mine /tmp/cx/own-theirs /tmp/cx/plain \
  /tmp/cx/mixed /tmp/cx/capfile /tmp/cx/nobodyfile
chmod 666 /tmp/cx/*
chown 65534 /tmp/cx/own-theirs /tmp/cx/nobodyfile
# As a Debian 12 host loads them: with Debian's parser.conf (its pinned feature set); the
# network section below shows what an empty one changes.
cp /scenario/debian-parser.conf /etc/apparmor/parser.conf
check "load cx-complain (flags=(complain))" $AL load /scenario/cx-complain
check "load cx-enforce (the same rules in enforce mode)" $AL load /scenario/cx-enforce
check "the kernel lists cx-complain in complain mode" mode_is cx-complain complain
check "the kernel lists cx-enforce in enforce mode" mode_is cx-enforce enforce

# Makes access HOW on ARGUMENT under profile $1 (as probe_verdict does); prints allow or
# deny, then the AppArmor log lines the attempt produced (from dmesg, cleared before the
# attempt) on the following lines.
cx_attempt() {
  dmesg -c >/dev/null
  case $2 in
    open-w) confined "$1" sh -c ': > "$0"' "$3" ;;
    open-rw) confined "$1" sh -c ': <> "$0"' "$3" ;;
    chown) confined "$1" sh -c 'chown 65534 "$0"' "$3" ;;
    chmod) confined "$1" sh -c 'chmod 600 "$0"' "$3" ;;
    socket) confined "$1" /usr/bin/algsock $3 >/tmp/sock.out ;;
  esac 2>/tmp/err
  rc=$?
  if [ "$2" = socket ]; then
    # algsock says allow or deny itself, with the errno text.
    echo "$(cut -d' ' -f1 /tmp/sock.out)"
  elif [ $rc -eq 0 ]; then
    echo allow
  elif grep -q -e 'Permission denied' -e 'Operation not permitted' /tmp/err; then
    echo deny
  else
    echo "error($rc: $(cat /tmp/err))"
  fi
  # Without the `audit: type=` prefix: run.sh drops console lines carrying it.
  dmesg | grep 'apparmor=' | grep -v 'operation="exec"\|operation="change_onexec"' |
    sed 's/.*apparmor=/apparmor=/; s/ pid=[0-9]*//; s/ comm="[^"]*"//; s/ fsuid=.*//'
}

# armorlab's verdict for QUERY against FILE, and whether it reports the denial as quiet.
al_field() {
  $AL test "$1" --format json "$2" 2>/tmp/aerr | sed -n "s/.*\"$3\":\"\\([a-z]*\\)\".*/\\1/p"
}

# With audit=normal (the boot default, which Debian keeps) armorlab's verdicts must be the
# kernel's. With audit=noquiet a quiet denial is no longer quiet: the kernel then logs it,
# and in complain mode lets it through; armorlab's verdict is for the default setting, so
# there the check is that the kernel allows exactly when armorlab allows or reports the
# denial as quiet (the case its complain note says noquiet changes).
for audit in normal noquiet; do
  printf %s "$audit" > /sys/module/apparmor/parameters/audit
  echo "audit parameter: $(cat /sys/module/apparmor/parameters/audit)"
  for prof in cx-complain cx-enforce; do
    while IFS='|' read -r how path query; do
      [ -n "$how" ] || continue
      cx_attempt "$prof" "$how" "$path" >/tmp/cx.out
      k=$(head -1 /tmp/cx.out)
      a=$(al_field /scenario/$prof "$query" verdict)
      q=$(al_field /scenario/$prof "$query" quiet)
      echo "  $prof audit=$audit $how $path: kernel $k, armorlab ${a:-error $(head -c 200 /tmp/aerr)} (quiet: ${q:-none})"
      sed -n '2,$p' /tmp/cx.out | sed 's/^/    log: /'
      if [ "$audit" = normal ] || [ "$prof" = cx-enforce ]; then
        expect=$a
      elif [ "$a" = allow ] || [ -n "$q" ]; then
        expect=allow
      else
        expect=$a
      fi
      check "explicit deny: kernel and armorlab agree on \`$query\` under $prof with audit=$audit (kernel: $k, expected from armorlab: ${expect:-none})" \
        sh -c '[ -n "$1" ] && [ "$1" = "$2" ]' - "$expect" "$k"
    done < /scenario/cx-queries
  done
done
printf %s noquiet > /sys/module/apparmor/parameters/audit
check "unload cx-complain" $AL unload cx-complain
check "unload cx-enforce" $AL unload cx-enforce
: > /etc/apparmor/parser.conf

# Network rules on real sockets, once with Debian's own parser.conf (its pinned feature
# set), as a Debian 12 host loads a profile, and once with an empty one (the parser then
# reads the kernel's features). docker-default's rendered template declares
# `abi <abi/3.0>`; netx (the cx rules without flags) declares no abi, and then an empty
# parser.conf leaves apparmor_parser 3.0.8 on its old default ABI, which has no network
# rules: armorlab's verdict is Debian's, and its note must say that.
echo "kernel features: $(ls /sys/kernel/security/apparmor/features | tr '\n' ' ')"
echo "kernel network features: $(ls /sys/kernel/security/apparmor/features/network* 2>/dev/null | tr '\n' ' ')"
if [ -x /usr/bin/algsock ]; then
  for features in debian kernel; do
    if [ $features = debian ]; then
      cp /scenario/debian-parser.conf /etc/apparmor/parser.conf
    else
      : > /etc/apparmor/parser.conf
    fi
    for prof in docker-default netx; do
      file=/scenario/$prof
      [ $prof = docker-default ] && file=/scenario/docker-default.rendered
      $AL load $file >/tmp/load.out 2>&1 || sed 's/^/    | /' /tmp/load.out
      # AF_ALG is what `deny network alg` refuses; an inet datagram socket, which the
      # profiles allow, is the control.
      for sock in "alg seqpacket" "inet dgram"; do
        dmesg -c >/dev/null
        k=$(confined $prof /usr/bin/algsock $sock)
        dmesg | grep 'apparmor=' | grep -v 'operation="exec"\|operation="change_onexec"' |
          sed 's/.*apparmor=/    log: apparmor=/; s/ pid=[0-9]*//'
        a=$(al_field $file "network $sock" verdict)
        echo "  socket $sock under $prof ($features features): kernel: $k, armorlab: ${a:-error $(head -c 200 /tmp/aerr)}"
        if [ $prof = netx ] && [ $features = kernel ] && [ "${k%% *}" != "$a" ]; then
          check "socket $sock under $prof without abi and without policy features: the kernel (${k%% *}) differs from armorlab ($a) as its note says" \
            sh -c "$AL test $file --format json 'network $sock' | grep -q 'names no policy features'"
        else
          check "socket $sock under $prof ($features features): kernel (${k%% *}) and armorlab (${a:-none}) agree" \
            sh -c '[ -n "$1" ] && [ "$1" = "$2" ]' - "$a" "${k%% *}"
        fi
      done
      $AL unload $prof >/dev/null 2>&1
    done
  done
  : > /etc/apparmor/parser.conf
fi

echo "SCENARIO DONE $pass passed, $fail failed"
sync
poweroff -f
