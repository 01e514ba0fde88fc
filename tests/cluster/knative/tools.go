//go:build tools

// Package tools pins the commands tests/cluster/build.sh builds from this
// module (Knative Eventing, at the version tests/conformance/go.mod pins), so
// that `go mod tidy` keeps every go.sum entry they need. Its own module: one
// module with Tekton would force Eventing onto Pipelines' k8s and
// knative.dev/pkg versions, a combination upstream never tested.
package tools

import (
	_ "knative.dev/eventing/cmd/broker/filter"
	_ "knative.dev/eventing/cmd/broker/ingress"
	_ "knative.dev/eventing/cmd/controller"
	_ "knative.dev/eventing/cmd/in_memory/channel_controller"
	_ "knative.dev/eventing/cmd/in_memory/channel_dispatcher"
	_ "knative.dev/eventing/cmd/mtchannel_broker"
	_ "knative.dev/eventing/cmd/mtping"
	_ "knative.dev/eventing/cmd/webhook"
)
