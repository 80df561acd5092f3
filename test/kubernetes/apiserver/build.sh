#!/usr/bin/env bash
# Builds the real etcd, kube-apiserver (and a kubectl) the Kubernetes connector's integration tests run
# against, from the published Go modules (go.mod here pins k8s.io/kubernetes and its staging
# modules), into the git-ignored .cache/kubernetes/bin. Reuses binaries already built from the
# same go.mod/go.sum. Needs Go ≥ 1.26 and the Go module proxy; takes minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="$root/.cache/kubernetes/bin"
stamp="$out/.built-from"
want="$(cat "$0" "$here/go.mod" "$here/go.sum" "$here"/cmd/*/main.go | sha256sum | cut -d' ' -f1)"
if [ -x "$out/kube-apiserver" ] && [ -x "$out/etcd" ] && [ -x "$out/kubectl" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "kube-apiserver and etcd already built in $out"
  exit 0
fi
go="$(command -v go || echo /usr/local/go/bin/go)"
mkdir -p "$out"
cd "$here"
echo "building etcd, kube-apiserver and kubectl into $out (several minutes)…"
version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' go.mod)"
minor="$(echo "$version" | cut -d. -f2)"
ldflags="-X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
GOFLAGS=-mod=mod nice "$go" build -trimpath -ldflags "$ldflags" -o "$out/" ./cmd/etcd ./cmd/kube-apiserver ./cmd/kubectl
echo "$want" > "$stamp"
"$out/kube-apiserver" --version
