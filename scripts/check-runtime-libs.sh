#!/usr/bin/env bash
# Checks that the runtime image would have every shared library the given binaries load.
#
# Usage: scripts/check-runtime-libs.sh BINARY...
#   RUNTIME_PACKAGES overrides the package list (default: scripts/runtime-packages.txt).
#
# For each binary: `ldd` lists the shared libraries it loads (transitively); `dpkg -S` maps each
# one to the Debian package that ships it; every such package must be listed in
# runtime-packages.txt, the same file the Dockerfile's runtime stage installs from. libc6,
# libstdc++6 and libgcc-s1 are in every Debian image and count as base. A library that no package
# owns (built by hand into /usr/local, say) or that ldd cannot find fails the check too.
# This is what stands in for building the image where no Docker engine runs (CI): it catches a
# new dependency that was added to the build but not to the image.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
list=${RUNTIME_PACKAGES:-$here/runtime-packages.txt}
BASE_PACKAGES=(libc6 libstdc++6 libgcc-s1)

if (($# == 0)); then
  echo "usage: $0 BINARY..." >&2
  exit 2
fi
[ -r "$list" ] || { echo "check-runtime-libs: cannot read $list" >&2; exit 2; }

declare -A allowed=()
for p in "${BASE_PACKAGES[@]}"; do allowed[$p]=base; done
while read -r line; do
  line=${line%%#*}
  line=${line//[[:space:]]/}
  [ -n "$line" ] && allowed[$line]=listed
done <"$list"

# Debian 12 merged /lib into /usr/lib, but the dpkg database records whichever path the package
# shipped, so a library is looked up under both spellings of both the path ldd printed and its
# resolved target. Plain bash string work and one `dpkg -S` per binary: a fork costs much more
# than the rest on a busy machine.
candidates() {  # LIB REALPATH -> sets cands
  cands=("$1" "$2" "/usr$1" "/usr$2" "${1#/usr}" "${2#/usr}")
}
declare -A owners=()  # path -> "pkg1 pkg2"
lookup_owners() {
  local line path pkgs p out
  # Lines look like "libfoo1:amd64, libbar:amd64: /path"; diversions and misses are skipped.
  while IFS= read -r line; do
    [[ $line == diversion* || $line != *": /"* ]] && continue
    path=${line##*: }
    IFS=',' read -ra pkgs <<<"${line%: /*}"
    out=""
    for p in "${pkgs[@]}"; do
      p=${p//[[:space:]]/}
      out+="${p%%:*} "
    done
    owners[$path]=$out
  done < <(dpkg -S "$@" 2>/dev/null || true)
}

status=0
declare -A used=()
for bin in "$@"; do
  if [ ! -x "$bin" ] || [ -d "$bin" ]; then
    echo "check-runtime-libs: $bin: not an executable file" >&2
    status=1
    continue
  fi
  if ! out=$(ldd "$bin" 2>&1); then
    if grep -q 'not a dynamic executable' <<<"$out"; then
      echo "check-runtime-libs: $bin is static: nothing to check"
      continue
    fi
    echo "check-runtime-libs: ldd $bin failed: $out" >&2
    status=1
    continue
  fi
  if missing=$(grep 'not found' <<<"$out"); then
    echo "check-runtime-libs: $bin: libraries not found on this machine:" >&2
    echo "$missing" >&2
    status=1
  fi
  # Lines look like "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)" or, for the loader,
  # "/lib64/ld-linux-x86-64.so.2 (0x...)"; linux-vdso has no file.
  mapfile -t libs < <(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' <<<"$out" | sort -u)
  ((${#libs[@]})) || continue
  mapfile -t reals < <(readlink -f "${libs[@]}")
  declare -A want=()
  for i in "${!libs[@]}"; do
    candidates "${libs[$i]}" "${reals[$i]}"
    for c in "${cands[@]}"; do [ -n "$c" ] && want[$c]=1; done
  done
  lookup_owners "${!want[@]}"
  unset want

  for i in "${!libs[@]}"; do
    lib=${libs[$i]}
    pkgs=""
    candidates "$lib" "${reals[$i]}"
    for c in "${cands[@]}"; do
      if [ -n "${owners[$c]:-}" ]; then pkgs=${owners[$c]}; break; fi
    done
    if [ -z "$pkgs" ]; then
      echo "check-runtime-libs: $bin: $lib belongs to no Debian package (it would be missing from the image)" >&2
      status=1
      continue
    fi
    for pkg in $pkgs; do
      used[$pkg]=1
      if [ -z "${allowed[$pkg]:-}" ]; then
        echo "check-runtime-libs: $bin: $lib comes from package '$pkg', which is not in $list" >&2
        status=1
      fi
    done
  done
  echo "check-runtime-libs: $bin: ${#libs[@]} shared libraries checked"
done

# An unneeded package only makes the image bigger: say so, but do not fail.
for p in "${!allowed[@]}"; do
  if [ "${allowed[$p]}" = listed ] && [ -z "${used[$p]:-}" ]; then
    echo "check-runtime-libs: note: $p is listed in $(basename "$list") but no checked binary loads it"
  fi
done

if ((status == 0)); then
  echo "check-runtime-libs: OK, every library comes from $(basename "$list") or the base packages"
fi
exit $status
