// The real kube-apiserver, built from the published k8s.io/kubernetes module for the
// Kubernetes connector's integration tests (test/kubernetes/).
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	command := app.NewAPIServerCommand()
	code := cli.Run(command)
	os.Exit(code)
}
