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
if [ -x "$out/kube-apiserver" ] && [ -x "$out/etcd" ] && [ -x "$out/kubectl" ] && [ -x "$out/kwok" ] && [ -f "$out/kwok.x-k8s.io_clusterportforwards.yaml" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "etcd, kube-apiserver, kubectl and kwok already built in $out"
  exit 0
fi
go="$(command -v go || echo /usr/local/go/bin/go)"
mkdir -p "$out"
cd "$here"
echo "building etcd, kube-apiserver, kubectl and kwok into $out (several minutes)…"
version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' go.mod)"
minor="$(echo "$version" | cut -d. -f2)"
ldflags="-X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
GOFLAGS=-mod=mod nice "$go" build -trimpath -ldflags "$ldflags" -o "$out/" ./cmd/etcd ./cmd/kube-apiserver ./cmd/kubectl
# KWOK: a fake kubelet, so exec/attach reach a "container" (a local process) in the tests.
GOBIN="$out" nice "$go" install sigs.k8s.io/kwok/cmd/kwok@v0.8.0
for crd in clusterexecs clusterlogs clusterportforwards; do
  cp "$("$go" env GOMODCACHE)/sigs.k8s.io/kwok@v0.8.0/kustomize/crd/bases/kwok.x-k8s.io_$crd.yaml" "$out/"
  chmod u+w "$out/kwok.x-k8s.io_$crd.yaml"
done
# Its "fast" stages: nodes turn Ready, pods on them Running at once.
kwok_src="$("$go" env GOMODCACHE)/sigs.k8s.io/kwok@v0.8.0/kustomize/stage"
for f in "$kwok_src"/node/fast/node-initialize.yaml "$kwok_src"/pod/fast/pod-ready.yaml \
  "$kwok_src"/pod/fast/pod-complete.yaml "$kwok_src"/pod/fast/pod-delete.yaml; do
  cat "$f"; echo "---"
done > "$out/kwok-stages.yaml"
echo "$want" > "$stamp"
"$out/kube-apiserver" --version
