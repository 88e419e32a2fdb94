// Command chartcheck validates rendered Kubernetes manifests offline (make
// chart-test): every document is decoded strictly (an unknown field is an
// error) into the Kubernetes API type of its kind, and a few basics are
// checked (names, selectors, resources, a hardened securityContext).
//
//	helm template r charts/veil | go run ./cmd/chartcheck [-extract-rules FILE] [-check-config]
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	yamlv3 "gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/veil-proxy/veil/proxy/config"
)

func main() {
	extract := flag.String("extract-rules", "", "write the groups of every PrometheusRule to this file (a Prometheus rule file for promtool)")
	checkConfig := flag.Bool("check-config", false, "parse and validate the veil.yaml of every ConfigMap holding one with proxy/config")
	values := flag.String("values", "", "comma-separated values files to check first: YAML with no duplicate key (helm keeps the last one silently)")
	flag.Parse()
	if *values != "" {
		for _, p := range strings.Split(*values, ",") {
			if err := checkValues(p); err != nil {
				fmt.Fprintln(os.Stderr, "chartcheck:", err)
				os.Exit(1)
			}
		}
	}
	var inputs []io.Reader
	names := []string{}
	if flag.NArg() == 0 {
		inputs, names = append(inputs, os.Stdin), append(names, "stdin")
	}
	for _, p := range flag.Args() {
		f, err := os.Open(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "chartcheck:", err)
			os.Exit(2)
		}
		defer f.Close()
		inputs, names = append(inputs, f), append(names, p)
	}
	res := &result{}
	failed := false
	for i, in := range inputs {
		docs, err := splitDocs(in)
		if err != nil {
			fmt.Fprintf(os.Stderr, "chartcheck: %s: %v\n", names[i], err)
			os.Exit(2)
		}
		for j, d := range docs {
			if err := checkDoc(d, res, *checkConfig); err != nil {
				fmt.Fprintf(os.Stderr, "chartcheck: %s: document %d: %v\n", names[i], j+1, err)
				failed = true
			}
		}
	}
	if *extract != "" {
		b, err := yaml.Marshal(map[string]any{"groups": res.groups})
		if err == nil {
			err = os.WriteFile(*extract, b, 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "chartcheck:", err)
			os.Exit(2)
		}
	}
	if failed {
		os.Exit(1)
	}
	fmt.Printf("chartcheck: %d documents OK (%s)\n", res.n, strings.Join(res.kinds, ", "))
}

type result struct {
	n      int
	kinds  []string
	groups []any
}

// splitDocs splits a multi-document YAML stream on "---" lines, dropping
// empty (or comment-only) documents.
func splitDocs(r io.Reader) ([][]byte, error) {
	var docs [][]byte
	var cur bytes.Buffer
	flush := func() {
		if hasContent(cur.Bytes()) {
			docs = append(docs, append([]byte(nil), cur.Bytes()...))
		}
		cur.Reset()
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "---" || strings.HasPrefix(line, "--- ") {
			flush()
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
	}
	flush()
	return docs, sc.Err()
}

func hasContent(b []byte) bool {
	for _, l := range strings.Split(string(b), "\n") {
		t := strings.TrimSpace(l)
		if t != "" && !strings.HasPrefix(t, "#") {
			return true
		}
	}
	return false
}

// strict decodes JSON into v, refusing unknown fields and trailing data.
func strict(j []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

func checkDoc(doc []byte, res *result, checkConfig bool) error {
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return fmt.Errorf("yaml: %w", err)
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(j, &tm); err != nil {
		return err
	}
	key := tm.APIVersion + "/" + tm.Kind
	var meta *metav1.ObjectMeta
	var extra func() error
	switch key {
	case "apps/v1/Deployment":
		var o appsv1.Deployment
		err, meta, extra = strict(j, &o), &o.ObjectMeta, func() error { return checkDeployment(&o) }
	case "v1/Service":
		var o corev1.Service
		err, meta, extra = strict(j, &o), &o.ObjectMeta, func() error {
			if len(o.Spec.Ports) == 0 || len(o.Spec.Selector) == 0 {
				return errors.New("service without ports or selector")
			}
			return nil
		}
	case "v1/ConfigMap":
		var o corev1.ConfigMap
		err, meta, extra = strict(j, &o), &o.ObjectMeta, func() error {
			if v, ok := o.Data["veil.yaml"]; ok && checkConfig {
				if err := parseConfig([]byte(v)); err != nil {
					return fmt.Errorf("veil.yaml: %w", err)
				}
			}
			for k, v := range o.Data {
				if strings.HasSuffix(k, ".json") && !json.Valid([]byte(v)) {
					return fmt.Errorf("ConfigMap %s: %s is not valid JSON", o.Name, k)
				}
			}
			return nil
		}
	case "v1/Secret":
		var o corev1.Secret
		err, meta = strict(j, &o), &o.ObjectMeta
	case "v1/ServiceAccount":
		var o corev1.ServiceAccount
		err, meta = strict(j, &o), &o.ObjectMeta
	case "autoscaling/v2/HorizontalPodAutoscaler":
		var o autoscalingv2.HorizontalPodAutoscaler
		err, meta, extra = strict(j, &o), &o.ObjectMeta, func() error {
			if o.Spec.ScaleTargetRef.Name == "" || o.Spec.MaxReplicas < 1 {
				return errors.New("HPA without scaleTargetRef.name or maxReplicas")
			}
			return nil
		}
	case "policy/v1/PodDisruptionBudget":
		var o policyv1.PodDisruptionBudget
		err, meta, extra = strict(j, &o), &o.ObjectMeta, func() error {
			if o.Spec.Selector == nil || (o.Spec.MinAvailable == nil) == (o.Spec.MaxUnavailable == nil) {
				return errors.New("PDB needs a selector and exactly one of minAvailable, maxUnavailable")
			}
			return nil
		}
	case "networking.k8s.io/v1/NetworkPolicy":
		var o networkingv1.NetworkPolicy
		err, meta = strict(j, &o), &o.ObjectMeta
	case "monitoring.coreos.com/v1/ServiceMonitor":
		var o serviceMonitor
		err, meta, extra = strict(j, &o), &o.ObjectMeta, func() error {
			if len(o.Spec.Endpoints) == 0 {
				return errors.New("ServiceMonitor without endpoints")
			}
			return nil
		}
	case "monitoring.coreos.com/v1/PrometheusRule":
		var o prometheusRule
		err, meta, extra = strict(j, &o), &o.ObjectMeta, func() error {
			if len(o.Spec.Groups) == 0 {
				return errors.New("PrometheusRule without groups")
			}
			// Keep the groups as written (generic) for promtool.
			var g struct {
				Spec struct {
					Groups []any `json:"groups"`
				} `json:"spec"`
			}
			if err := json.Unmarshal(j, &g); err != nil {
				return err
			}
			res.groups = append(res.groups, g.Spec.Groups...)
			return nil
		}
	default:
		return fmt.Errorf("unknown kind %q (apiVersion %q)", tm.Kind, tm.APIVersion)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", tm.Kind, err)
	}
	if meta.Name == "" {
		return fmt.Errorf("%s: metadata.name is empty", tm.Kind)
	}
	if extra != nil {
		if err := extra(); err != nil {
			return fmt.Errorf("%s %s: %w", tm.Kind, meta.Name, err)
		}
	}
	res.n++
	res.kinds = append(res.kinds, tm.Kind+"/"+meta.Name)
	return nil
}

func checkDeployment(d *appsv1.Deployment) error {
	if d.Spec.Selector == nil {
		return errors.New("no selector")
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return err
	}
	if sel.Empty() || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		return errors.New("selector does not match the pod template's labels")
	}
	ps := d.Spec.Template.Spec
	if len(ps.Containers) == 0 {
		return errors.New("no containers")
	}
	podNonRoot := ps.SecurityContext != nil && ps.SecurityContext.RunAsNonRoot != nil && *ps.SecurityContext.RunAsNonRoot
	for _, c := range append(append([]corev1.Container(nil), ps.InitContainers...), ps.Containers...) {
		if len(c.Resources.Requests) == 0 || len(c.Resources.Limits) == 0 {
			return fmt.Errorf("container %s: resources requests and limits are required", c.Name)
		}
		sc := c.SecurityContext
		if sc == nil {
			return fmt.Errorf("container %s: no securityContext", c.Name)
		}
		if !podNonRoot && (sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot) {
			return fmt.Errorf("container %s: runAsNonRoot is not true", c.Name)
		}
		if sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot {
			return fmt.Errorf("container %s: runAsNonRoot is false", c.Name)
		}
		if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			return fmt.Errorf("container %s: readOnlyRootFilesystem is not true", c.Name)
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			return fmt.Errorf("container %s: allowPrivilegeEscalation is not false", c.Name)
		}
	}
	return nil
}

// checkValues parses a values file with yaml.v3, which refuses a key
// defined twice in one mapping: helm would keep the last silently.
func checkValues(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var v map[string]any
	if err := yamlv3.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// parseConfig decodes a rendered veil.yaml strictly and validates it with
// proxy/config, tolerating only problems about files that do not exist here
// (the Secrets and ConfigMaps mounted into the pod).
func parseConfig(b []byte) error {
	_, err := config.Parse(b)
	var p config.Problems
	if err == nil || !errors.As(err, &p) {
		return err
	}
	var left config.Problems
	for _, s := range p {
		if !strings.Contains(s, "no such file or directory") {
			left = append(left, s)
		}
	}
	if len(left) == 0 {
		return nil
	}
	return left
}
