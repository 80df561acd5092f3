// etcd, built from the published go.etcd.io/etcd/server/v3 module (the version
// k8s.io/kubernetes requires), as the storage of the test kube-apiserver.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
