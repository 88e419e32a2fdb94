package main

import (
	"strings"
	"testing"
)

const goodDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  selector:
    matchLabels: {app: x}
  template:
    metadata:
      labels: {app: x}
    spec:
      securityContext: {runAsNonRoot: true}
      containers:
        - name: c
          image: i
          resources:
            requests: {cpu: 10m}
            limits: {cpu: 100m}
          securityContext:
            runAsNonRoot: true
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
`

func check(t *testing.T, doc string) error {
	t.Helper()
	docs, err := splitDocs(strings.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		if err := checkDoc(d, &result{}, false); err != nil {
			return err
		}
	}
	return nil
}

func TestGoodManifestAccepted(t *testing.T) {
	doc := "# comment only\n---\n" + goodDeployment + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n"
	if err := check(t, doc); err != nil {
		t.Fatalf("good manifest refused: %v", err)
	}
}

func TestRejected(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field":      strings.Replace(goodDeployment, "spec:\n  selector:", "spec:\n  replica: 2\n  selector:", 1),
		"unknown nested":     strings.Replace(goodDeployment, "image: i", "image: i\n          imagePullPolicyy: Always", 1),
		"unknown kind":       "apiVersion: v1\nkind: Pod2\nmetadata: {name: p}\n",
		"no name":            "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
		"selector mismatch":  strings.Replace(goodDeployment, "labels: {app: x}", "labels: {app: y}", 1),
		"writable root":      strings.Replace(goodDeployment, "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", 1),
		"no resources":       strings.Replace(goodDeployment, "requests: {cpu: 10m}\n            limits: {cpu: 100m}", "{}", 1),
		"monitoring unknown": "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: s}\nspec:\n  selector: {}\n  endpoints: [{port: admin, bogus: 1}]\n",
	} {
		if err := check(t, doc); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
